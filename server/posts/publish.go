package posts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/spintax"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// PublishPayload is what a POST_PUBLISH task asks a worker to publish on
// one account: the post's content with its spintax expanded for that
// account.
type PublishPayload struct {
	Title        string   `json:"title"`
	Body         string   `json:"body"`
	Link         string   `json:"link"`
	Media        []string `json:"media"`
	FirstComment string   `json:"first_comment"`
	Location     string   `json:"location"`
}

// PublishResult is what a worker reports of a published post: its address,
// under the name of whichever protocol the worker speaks.
type PublishResult struct {
	LinkPost string `json:"link_post,omitempty"` // Likepion
	URL      string `json:"url,omitempty"`
	PostURL  string `json:"postUrl,omitempty"`
	// PlatformPostID is the post's id on the platform, which a follow-up
	// comment is published under.
	PlatformPostID string `json:"platformPostId,omitempty"`
}

// Link returns the published post's address.
func (r PublishResult) Link() string {
	for _, l := range []string{r.LinkPost, r.URL, r.PostURL} {
		if l != "" {
			return l
		}
	}
	return ""
}

// maxLink bounds a reported address; a worker's text is stored on the post.
const maxLink = 2048

// Validate bounds the reported address.
func (r PublishResult) Validate() error {
	for name, l := range map[string]string{"link_post": r.LinkPost, "url": r.URL, "postUrl": r.PostURL, "platformPostId": r.PlatformPostID} {
		if len(l) > maxLink {
			return tasks.FieldError{Field: name, Message: fmt.Sprintf("must be at most %d characters", maxLink)}
		}
	}
	return nil
}

// Publish is the POST_PUBLISH kind: posts owns it and keeps each post in
// step with its tasks.
type Publish = tasks.Kind[PublishPayload, PublishResult]

// registerPublish registers POST_PUBLISH on ts with one handler: the
// roll-up, and then the follow-ups, which see the posts as rolled up. They
// are one handler because they act on the same posts: the follow-ups take
// the posts the roll-up locked and read, instead of reading them again in
// every batch of reports.
func (s *Service) registerPublish(ts *tasks.Service, bus events.Bus, d store.Driver) Publish {
	return tasks.Register[PublishPayload, PublishResult](ts, task.KindPOST_PUBLISH, tasks.Handler{
		Name:  "posts.rollup",
		Stage: tasks.StageOwner,
		Func: func(ctx context.Context, tx *ent.Tx, changed []*ent.Task) error {
			locked, err := rollUpLocking(ctx, tx, bus, d, changed, s.onPublished)
			if err != nil {
				return err
			}
			return s.followUps(ctx, tx, locked)
		},
	})
}

// PublishedFunc is told of a post that has just become PUBLISHED (every
// account's task completed), inside tx, the transaction of the transition
// that completed it, with the post's row locked and ctx allowed every
// workspace. p is the post as the roll-up wrote it, without edges. An
// error rolls the transition back.
type PublishedFunc func(ctx context.Context, tx *ent.Tx, p *ent.Post) error

// OnPublished makes fn the one told of each post that becomes PUBLISHED
// (the category queues', which take in a category's new posts). It is
// called once while the app is built, before any task changes.
func (s *Service) OnPublished(fn PublishedFunc) { s.published = fn }

func (s *Service) onPublished(ctx context.Context, tx *ent.Tx, p *ent.Post) error {
	if s.published == nil {
		return nil
	}
	return s.published(ctx, tx, p)
}

// errNoAccounts is the error of a post that is due with no target account.
const errNoAccounts = "no target accounts"

// errUnpublishable rolls back a fan-out that must end in FAILED instead.
var errUnpublishable = errors.New("post cannot be published")

// FanOut queues post id of workspace ws for publication if it is still
// SCHEDULED: one POST_PUBLISH task per target account, and the post QUEUED
// with a results entry per task, written once, with one event. A post that
// cannot be published (no accounts, broken spintax, a task the queue
// refuses) is FAILED with the reason instead. moved reports whether the
// post changed.
//
// The post's row lock is the claim on it: a concurrent sweep on another
// replica, or an edit that took the post out of SCHEDULED, waits and then
// finds it no longer SCHEDULED, so a post never gets its tasks twice.
func (s *Service) FanOut(ctx context.Context, id, ws int) (moved bool, err error) {
	// Act as the workspace itself: tasks and log entries are stamped with
	// it, and privacy keeps every read inside it.
	wctx := viewer.NewContext(ctx, &viewer.Viewer{WorkspaceID: ws})
	var reason string // why the post cannot be published
	err = store.WithTx(wctx, s.client, func(tx *ent.Tx) error {
		q := tx.Post.Query().Where(post.ID(id), waiting())
		p, err := store.LockRows(s.driver, q, store.LockWait).Only(wctx)
		if ent.IsNotFound(err) {
			return nil // taken by another sweep, or edited out of SCHEDULED
		}
		if err != nil {
			return fmt.Errorf("lock post: %w", err)
		}
		moved = true
		accs, err := accountsOf(wctx, tx.Account, id, account.FieldID, account.FieldPlatform)
		if err != nil {
			return err
		}
		urls, err := s.mediaURLs(wctx, tx, p.Media)
		if errors.Is(err, errs.ErrInvalid) {
			reason = err.Error()
			return errUnpublishable
		}
		if err != nil {
			return err
		}
		ins, err := s.publishInputs(p, urls, accs)
		if err != nil {
			reason = err.Error()
			return errUnpublishable
		}
		created, err := s.tasks.EnqueueTx(wctx, tx, ins)
		if err != nil {
			if errors.Is(err, errs.ErrInvalid) {
				reason = err.Error()
				return errUnpublishable
			}
			return fmt.Errorf("enqueue tasks: %w", err)
		}
		results := make(map[string]any, len(created))
		for _, t := range created {
			results[strconv.Itoa(*t.AccountID)] = result(t)
		}
		err = tx.Post.Update().Where(post.ID(id)).
			SetStatus(post.StatusQUEUED).SetError("").SetResults(results).
			Exec(wctx)
		if err != nil {
			return fmt.Errorf("queue post: %w", err)
		}
		s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: ws, ID: id, Op: events.OpUpdated})
		return nil
	})
	if errors.Is(err, errUnpublishable) {
		// The transaction that may have created some tasks is rolled back;
		// record the failure on its own.
		return s.failDue(wctx, id, ws, reason)
	}
	if err != nil {
		return false, err
	}
	return moved, nil
}

// failDue moves post id from SCHEDULED to FAILED with reason.
func (s *Service) failDue(ctx context.Context, id, ws int, reason string) (bool, error) {
	var moved bool
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		n, err := tx.Post.Update().
			Where(post.ID(id), waiting()).
			SetStatus(post.StatusFAILED).
			SetError(reason).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("fail post: %w", err)
		}
		if moved = n > 0; moved {
			s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: ws, ID: id, Op: events.OpUpdated})
		}
		return nil
	})
	return moved, err
}

// publishInputs returns one POST_PUBLISH task per account, with media (the
// post's list with library ids made addresses), the title,
// body and first comment (unless a follow-up task publishes it) expanded from a seed of the post and account, so
// the same pair always publishes the same text (a retried task, a re-run
// sweep).
//
// A planned post (HighLevel's, FollowUp set) is written once for many
// platforms, so its body is trimmed here to each account's platform's
// limit (ContentLimits), as HighLevel trims it.
func (s *Service) publishInputs(p *ent.Post, media []string, accs []*ent.Account) ([]tasks.EnqueueInput, error) {
	if len(accs) == 0 {
		return nil, errors.New(errNoAccounts)
	}
	if media == nil {
		media = []string{}
	}
	ins := make([]tasks.EnqueueInput, len(accs))
	for i, a := range accs {
		pl := PublishPayload{Link: p.Link, Media: media, Location: p.Location}
		for _, f := range []struct {
			name     string
			text     string
			expanded *string
		}{{"title", p.Title, &pl.Title}, {"body", p.Body, &pl.Body}, {"first_comment", p.FirstComment, &pl.FirstComment}} {
			out, err := Expand(p, a.ID, f.name, f.text)
			if err != nil {
				return nil, err
			}
			*f.expanded = out
		}
		if p.FollowUp {
			// A dependent task publishes it once the post is out.
			pl.FirstComment = ""
			pl.Body = Trim(pl.Body, ContentLimits[a.Platform])
		}
		in, err := s.publish.Input(pl, tasks.EnqueueInput{AccountID: &accs[i].ID, PostID: &p.ID})
		if err != nil {
			return nil, err
		}
		ins[i] = in
	}
	return ins, nil
}

// ContentLimits are the longest post text each platform publishes, in
// characters, from the platforms' published limits. A longer caption for
// Pinterest (800) or YouTube (5,000) is refused when the post is planned
// (checkPlatforms); trimming to them covers a post whose accounts changed
// since.
var ContentLimits = map[account.Platform]int{
	account.PlatformFacebook:  63206,
	account.PlatformInstagram: 2200,
	account.PlatformLinkedin:  3000,
	account.PlatformX:         280,
	account.PlatformThreads:   500,
	account.PlatformBluesky:   300,
	account.PlatformTiktok:    2200,
	account.PlatformGoogle:    1500,
	account.PlatformPinterest: maxCaptionPinterest,
	account.PlatformYoutube:   maxCaptionYouTube,
}

// Trim cuts text to at most limit characters (runes); a limit of 0 keeps
// it whole.
func Trim(text string, limit int) string {
	if limit <= 0 || utf8.RuneCountInString(text) <= limit {
		return text
	}
	return string([]rune(text)[:limit])
}

// Expand returns the text of field ("title", "body" or "first_comment") of
// post p as account acc publishes it.
func Expand(p *ent.Post, acc int, field, text string) (string, error) {
	out, err := spintax.Expand(text, spintax.Seed(p.UUID.String(), strconv.Itoa(acc), field))
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return out, nil
}
