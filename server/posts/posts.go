// Package posts owns posts: drafting, editing, targeting accounts and
// scheduling them for publication.
package posts

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/media"
	"github.com/switchboardhq/switchboard/server/spintax"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/tz"
)

// Limits on post content. Platforms cap captions far lower; these only keep
// a request from storing unbounded text.
const (
	maxTitle    = 500
	maxBody     = 100_000
	maxMedia    = 20
	maxAccounts = 1000
)

// Limits on the first comment, the location and the category, in
// characters: Instagram's comment limit, a generous place name, and the
// Sharingtools post type a category also holds.
const (
	MaxFirstComment = 2200
	MaxLocation     = 200
	MaxCategory     = 50
)

// Service manages posts.
type Service struct {
	client *ent.Client
	bus    events.Bus
	// tasks cancels the waiting tasks of what goes away.
	tasks *tasks.Service
	// publish is the POST_PUBLISH kind, registered on tasks by NewService.
	publish Publish
	driver  store.Driver
	now     func() time.Time
	// followUp enqueues follow-up comments (see OnFollowUp).
	followUp FollowUpFunc
	// published is told of posts that become PUBLISHED (see OnPublished).
	published PublishedFunc
	// media resolves the library ids of a post's media list (see UseMedia).
	media *media.Service
}

// NewService returns a post service on a store of driver d. It registers
// the POST_PUBLISH task kind on ts, whose transitions it keeps its posts in
// step with.
func NewService(client *ent.Client, bus events.Bus, ts *tasks.Service, d store.Driver) *Service {
	s := &Service{client: client, bus: bus, tasks: ts, driver: d, now: time.Now}
	s.publish = s.registerPublish(ts, bus, d)
	return s
}

// UseMedia lets posts name items of the media library by id in their
// media lists; without it only addresses are accepted.
func (s *Service) UseMedia(m *media.Service) { s.media = m }

// mediaRef reads a planned post's media address as a library item (see
// media.Service.RefOf); without a library only ids are read so, and
// refused as unknown.
func (s *Service) mediaRef(address string) (int, bool) {
	if s.media == nil {
		return media.Ref(address)
	}
	return s.media.RefOf(address)
}

// checkMedia refuses a media list naming an id that is not in the
// viewer's library.
func (s *Service) checkMedia(ctx context.Context, tx *ent.Tx, entries []string) error {
	if s.media == nil {
		for _, e := range entries {
			if _, ok := media.Ref(e); ok {
				return errs.Invalid("media", "media %s not found", e)
			}
		}
		return nil
	}
	return s.media.CheckTx(ctx, tx, entries)
}

// mediaURLs is a post's media list as a worker fetches it: library ids
// replaced by their addresses.
func (s *Service) mediaURLs(ctx context.Context, tx *ent.Tx, entries []string) ([]string, error) {
	if s.media == nil {
		return entries, s.checkMedia(ctx, tx, entries)
	}
	return s.media.URLsTx(ctx, tx, entries)
}

// CreateInput is a new post. With ScheduledAt and at least one account it is
// scheduled at once; otherwise it is a draft.
type CreateInput struct {
	Title *string
	Body  *string
	Link  *string
	// Media lists http(s) addresses and ids of media library items, in
	// order.
	Media       []string
	AccountIDs  []int
	ScheduledAt *time.Time
	Timezone    *string
	Category    *string
	Tags        []string
	// FirstComment is posted under the published post; it may hold spintax.
	FirstComment *string
	Location     *string
}

// UpdateInput changes a post; nil fields are left as they are.
type UpdateInput struct {
	ID         int
	Title      *string
	Body       *string
	Link       *string
	Media      []string
	AccountIDs []int
	Timezone   *string
	Category   *string
	Tags       []string
	// FirstComment is posted under the published post; it may hold spintax.
	FirstComment *string
	Location     *string
	// ScheduledAt schedules the post for then (a time in the past: as soon
	// as possible) with the edit.
	ScheduledAt *time.Time
	// Unschedule takes a scheduled, failed or cancelled post back to
	// draft with the edit (see Unschedule).
	Unschedule bool
}

// Get returns the post with id in the viewer's workspace.
func (s *Service) Get(ctx context.Context, id int) (*ent.Post, error) {
	p, err := s.client.Post.Get(ctx, id)
	return p, errs.FromEnt(err, "post")
}

// Create validates and stores a post.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.Post, error) {
	if err := validateContent(in.Title, in.Body, in.Link, in.Media, in.Timezone, in.Tags); err != nil {
		return nil, err
	}
	if err := validateExtras(in.Category, in.FirstComment, in.Location); err != nil {
		return nil, err
	}
	if in.ScheduledAt != nil {
		if err := NeedAccounts(len(in.AccountIDs)); err != nil {
			return nil, err
		}
	}
	var created *ent.Post
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := checkAccounts(ctx, tx, in.AccountIDs); err != nil {
			return err
		}
		if err := s.checkMedia(ctx, tx, in.Media); err != nil {
			return err
		}
		c := tx.Post.Create().
			SetNillableTitle(in.Title).
			SetNillableBody(in.Body).
			SetNillableLink(in.Link).
			SetNillableTimezone(in.Timezone).
			SetNillableCategory(in.Category).
			SetNillableFirstComment(in.FirstComment).
			SetNillableLocation(in.Location).
			SetNillableScheduledAt(in.ScheduledAt).
			SetSource(post.SourceAPI).
			AddAccountIDs(in.AccountIDs...)
		if in.Media != nil {
			c.SetMedia(in.Media)
		}
		if in.Tags != nil {
			c.SetTags(in.Tags)
		}
		if in.ScheduledAt != nil {
			c.SetStatus(post.StatusSCHEDULED) // checked above: it has accounts
		}
		p, err := c.Save(ctx)
		if err != nil {
			return errs.FromEnt(err, "post")
		}
		created = p
		s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: p.WorkspaceID, ID: p.ID, Op: events.OpCreated})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create post: %w", err)
	}
	return created.Unwrap(), nil
}

// Update edits a post that has not started publishing (see Editable) and,
// with ScheduledAt or Unschedule, schedules or unschedules it: the whole
// change in one transaction, so a post never keeps half of it.
func (s *Service) Update(ctx context.Context, in UpdateInput) (*ent.Post, error) {
	return s.edit(ctx, in, "edited")
}

// Schedule sets when a post is published. A time in the past means as soon
// as possible.
func (s *Service) Schedule(ctx context.Context, id int, at time.Time, timezone *string) (*ent.Post, error) {
	if at.IsZero() {
		return nil, errs.Invalid("scheduledAt", "is required")
	}
	return s.edit(ctx, UpdateInput{ID: id, Timezone: timezone, ScheduledAt: &at}, "scheduled")
}

// edit applies in; verb names what the caller asked in the refusal of a
// post that can no longer change.
func (s *Service) edit(ctx context.Context, in UpdateInput, verb string) (*ent.Post, error) {
	if err := validateContent(in.Title, in.Body, in.Link, in.Media, in.Timezone, in.Tags); err != nil {
		return nil, err
	}
	if err := validateExtras(in.Category, in.FirstComment, in.Location); err != nil {
		return nil, err
	}
	if in.ScheduledAt != nil && in.Unschedule {
		return nil, errs.Invalid("scheduledAt", "cannot schedule and unschedule at once")
	}
	var updated *ent.Post
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// The row lock orders the edit with a sweep fanning the post out:
		// an edit never writes SCHEDULED over a post that was queued
		// since it was read.
		p, err := store.LockRows(s.driver, tx.Post.Query().Where(post.ID(in.ID)), store.LockWait).Only(ctx)
		if err != nil {
			return errs.FromEnt(err, "post")
		}
		if !Editable(p.Status) {
			return errs.Conflict("post is %s and can no longer be %s", strings.ToLower(string(p.Status)), verb)
		}
		u := p.Update().
			SetNillableTitle(in.Title).
			SetNillableBody(in.Body).
			SetNillableLink(in.Link).
			SetNillableTimezone(in.Timezone).
			SetNillableCategory(in.Category).
			SetNillableFirstComment(in.FirstComment).
			SetNillableLocation(in.Location)
		if in.Media != nil {
			if err := s.checkMedia(ctx, tx, in.Media); err != nil {
				return err
			}
			u.SetMedia(in.Media)
		}
		if in.Tags != nil {
			u.SetTags(in.Tags)
		}
		accounts := -1 // unchanged
		if in.AccountIDs != nil {
			if err := checkAccounts(ctx, tx, in.AccountIDs); err != nil {
				return err
			}
			u.ClearAccounts().AddAccountIDs(in.AccountIDs...)
			accounts = len(in.AccountIDs)
		}
		status := p.Status
		switch {
		case in.ScheduledAt != nil:
			status = post.StatusSCHEDULED
			u.SetScheduledAt(*in.ScheduledAt).SetStatus(status).SetError("")
		case in.Unschedule && Unschedulable(p.Status):
			status = post.StatusDRAFT
			u.SetStatus(status).ClearScheduledAt().SetError("")
		}
		if Waiting(status) && (accounts >= 0 || in.ScheduledAt != nil) {
			if accounts < 0 {
				ids, err := AccountIDs(ctx, tx.Account, p.ID)
				if err != nil {
					return fmt.Errorf("count accounts: %w", err)
				}
				accounts = len(ids)
			}
			if err := NeedAccounts(accounts); err != nil {
				return err
			}
		}
		if updated, err = u.Save(ctx); err != nil {
			return errs.FromEnt(err, "post")
		}
		s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: p.WorkspaceID, ID: p.ID, Op: events.OpUpdated})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update post %d: %w", in.ID, err)
	}
	return updated.Unwrap(), nil
}

// Unschedule takes a post back to draft: it keeps its content and accounts
// and is no longer published. Unscheduling a draft changes nothing. A post
// already queued or publishing cannot be taken back: its tasks may be in a
// worker's hands (cancel the tasks instead).
func (s *Service) Unschedule(ctx context.Context, id int) (*ent.Post, error) {
	var updated *ent.Post
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// Conditional, like the scheduler's claim on a due post: of an
		// unschedule and a sweep that race, exactly one moves the post.
		n, err := tx.Post.Update().
			Where(post.ID(id), unschedulable()).
			SetStatus(post.StatusDRAFT).
			ClearScheduledAt().
			SetError("").
			Save(ctx)
		if err != nil {
			return fmt.Errorf("move to draft: %w", err)
		}
		p, err := tx.Post.Get(ctx, id)
		if err != nil {
			return errs.FromEnt(err, "post")
		}
		if n == 0 && p.Status != post.StatusDRAFT {
			return errs.Conflict("post is %s and can no longer be unscheduled", strings.ToLower(string(p.Status)))
		}
		if n > 0 {
			s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: p.WorkspaceID, ID: p.ID, Op: events.OpUpdated})
		}
		updated = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("unschedule post %d: %w", id, err)
	}
	return updated.Unwrap(), nil
}

// Delete removes a post that is not being published; its waiting tasks are
// cancelled.
func (s *Service) Delete(ctx context.Context, id int) error {
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		p, err := tx.Post.Get(ctx, id)
		if err != nil {
			return errs.FromEnt(err, "post")
		}
		if !Deletable(p.Status) {
			return errs.Conflict("post is being published; cancel its tasks first")
		}
		if _, err := s.tasks.CancelWaiting(ctx, tx, ReasonDeleted,
			[]task.Status{task.StatusPENDING, task.StatusASSIGNED}, task.PostIDEQ(id)); err != nil {
			return err
		}
		if err := tx.Post.DeleteOneID(id).Exec(ctx); err != nil {
			return errs.FromEnt(err, "post")
		}
		s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: p.WorkspaceID, ID: id, Op: events.OpDeleted})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete post %d: %w", id, err)
	}
	return nil
}

// checkAccounts makes sure every id is an account the viewer can see; a
// foreign account is reported exactly like a missing one.
func checkAccounts(ctx context.Context, tx *ent.Tx, ids []int) error {
	if len(ids) > maxAccounts {
		return errs.Invalid("accountIDs", "at most %d accounts", maxAccounts)
	}
	if len(ids) == 0 {
		return nil
	}
	seen := make(map[int]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return errs.Invalid("accountIDs", "account %d listed twice", id)
		}
		seen[id] = true
	}
	found, err := tx.Account.Query().Where(account.IDIn(ids...)).IDs(ctx)
	if err != nil {
		return fmt.Errorf("look up accounts: %w", err)
	}
	for _, id := range found {
		delete(seen, id)
	}
	for id := range seen {
		return errs.Invalid("accountIDs", "account %d not found", id)
	}
	return nil
}

func validateContent(title, body, link *string, mediaList []string, timezone *string, tags []string) error {
	if title != nil && len(*title) > maxTitle {
		return errs.Invalid("title", "at most %d characters", maxTitle)
	}
	if body != nil && len(*body) > maxBody {
		return errs.Invalid("body", "at most %d characters", maxBody)
	}
	// Spintax is expanded only when the post is published; broken syntax
	// is refused now, where the author can still fix it, rather than
	// failing the post at its publication time.
	if err := validSpintax("title", title); err != nil {
		return err
	}
	if err := validSpintax("body", body); err != nil {
		return err
	}
	if link != nil && *link != "" && !isHTTPURL(*link) {
		return errs.Invalid("link", "must be an http or https URL")
	}
	if len(mediaList) > maxMedia {
		return errs.Invalid("media", "at most %d items", maxMedia)
	}
	for _, m := range mediaList {
		if _, ok := media.Ref(m); !ok && !isHTTPURL(m) {
			return errs.Invalid("media", "%q is neither an http or https URL nor a media id", m)
		}
	}
	if len(tags) > 50 {
		return errs.Invalid("tags", "at most 50 tags")
	}
	return tz.Validate("timezone", timezone)
}

// validateExtras checks the fields a post carries besides its content.
// Lengths are in characters, as users count them.
func validateExtras(category, firstComment, location *string) error {
	if category != nil && utf8.RuneCountInString(*category) > MaxCategory {
		return errs.Invalid("category", "at most %d characters", MaxCategory)
	}
	if firstComment != nil && utf8.RuneCountInString(*firstComment) > MaxFirstComment {
		return errs.Invalid("firstComment", "at most %d characters", MaxFirstComment)
	}
	if location != nil && utf8.RuneCountInString(*location) > MaxLocation {
		return errs.Invalid("location", "at most %d characters", MaxLocation)
	}
	return validSpintax("firstComment", firstComment)
}

// validSpintax refuses text of field that the publisher could not expand.
func validSpintax(field string, text *string) error {
	if text == nil {
		return nil
	}
	if err := spintax.Validate(*text); err != nil {
		return errs.Invalid(field, "%v", err)
	}
	return nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// AccountIDs returns the ids of post postID's accounts that c's context
// sees (the viewer's workspace, not deleted), lowest first.
func AccountIDs(ctx context.Context, c *ent.AccountClient, postID int) ([]int, error) {
	accs, err := accountsOf(ctx, c, postID, account.FieldID)
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(accs))
	for i, a := range accs {
		ids[i] = a.ID
	}
	return ids, nil
}

// AccountsOf returns, for each of posts postIDs, its accounts that c's
// context sees, lowest id first, with only fields read (and the id), as
// accountsOf does for one post: the accounts by id from the posts' join
// rows, then each account's posts among postIDs by id.
func AccountsOf(ctx context.Context, c *ent.AccountClient, postIDs []int, fields ...string) (map[int][]*ent.Account, error) {
	out := make(map[int][]*ent.Account, len(postIDs))
	switch len(postIDs) {
	case 0:
		return out, nil
	case 1: // no need to map accounts to posts
		accs, err := accountsOf(ctx, c, postIDs[0], fields...)
		if len(accs) > 0 {
			out[postIDs[0]] = accs
		}
		return out, err
	}
	accs, err := c.Query().Where(account.HasPostsWith(post.IDIn(postIDs...))).
		Select(fields...).Order(account.ByID()).
		WithPosts(func(q *ent.PostQuery) { q.Where(post.IDIn(postIDs...)).Select(post.FieldID) }).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("accounts of %d posts: %w", len(postIDs), err)
	}
	for _, a := range accs {
		for _, p := range a.Edges.Posts {
			out[p.ID] = append(out[p.ID], a)
		}
		a.Edges.Posts = nil // read to map them, not part of the answer
	}
	return out, nil
}

// LoadAccounts sets the accounts of each of posts ps (Edges.Accounts) as
// AccountsOf reads them: what an answer that shows posts with their
// accounts uses instead of the edge's eager loading.
func LoadAccounts(ctx context.Context, c *ent.AccountClient, ps []*ent.Post, fields ...string) error {
	ids := make([]int, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	accs, err := AccountsOf(ctx, c, ids, fields...)
	if err != nil {
		return err
	}
	for _, p := range ps {
		p.Edges.Accounts = accs[p.ID]
	}
	return nil
}

// QueryAccounts is the query of post postID's accounts that c's context
// sees, for callers that filter it further: the accounts are looked up by
// id from the join table's rows for the post. ent's Post.QueryAccounts and
// its eager loading (WithAccounts) join the tables the other way round,
// and without statistics SQLite's planner walks every account of the
// workspace for them (a few milliseconds a post with 10,000 accounts, a
// quarter of POST /api/v1/posts' CPU); nothing reads a post's accounts
// through them.
func QueryAccounts(c *ent.AccountClient, postID int) *ent.AccountQuery {
	return c.Query().Where(account.HasPostsWith(post.ID(postID)))
}

// accountsOf returns post postID's accounts that c's context sees, lowest
// id first, with only fields read (see QueryAccounts).
func accountsOf(ctx context.Context, c *ent.AccountClient, postID int, fields ...string) ([]*ent.Account, error) {
	accs, err := QueryAccounts(c, postID).Select(fields...).Order(account.ByID()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("accounts of post %d: %w", postID, err)
	}
	return accs, nil
}
