package highlevel

// Posts: planned once for many accounts, created or replaced whole,
// listed with HighLevel's filters, deleted softly.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/category"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/tag"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
)

// Limits of the post routes.
const (
	defaultPostsLimit = 10
	maxPostsLimit     = 100
	// maxBulkDelete is the document's "Cannot delete more than 50 posts
	// at a time."
	maxBulkDelete = 50
)

// Bulk-delete's documented answers.
var (
	errBulkTooMany  = fail(http.StatusBadRequest, "Cannot delete more than 50 posts at a time.")
	errBulkNone     = fail(http.StatusNotFound, "No posts found with the given IDs.")
	errBulkInternal = fail(http.StatusInternalServerError, "An error occurred while trying to delete the posts. Please try again later.")
)

// requestStatuses maps the statuses a client may ask for on create and
// replace; published, in_progress and pending publish now.
var requestStatuses = map[string]post.Status{
	"draft": post.StatusDRAFT, "scheduled": post.StatusSCHEDULED, "in_review": post.StatusIN_REVIEW,
	"published": post.StatusSCHEDULED, "in_progress": post.StatusSCHEDULED, "pending": post.StatusSCHEDULED,
}

// serverStatuses are statuses only Switchboard sets.
var serverStatuses = map[string]bool{"failed": true, "notification_sent": true, "deleted": true}

// planInput translates a create or replace body into the domain's
// planned post; it checks what the document's DTO validates (types,
// enums, ObjectIds, dates) and leaves the platform rules to posts.
func (h *handlers) planInput(r *http.Request, in postInput) (posts.PlanInput, error) {
	var out posts.PlanInput
	if in.Type == nil {
		return out, unprocessable("type must be one of the following values: post, story, reel")
	}
	out.Format = posts.Format(*in.Type)
	status := "draft"
	if in.Status != nil {
		status = *in.Status
	}
	st, ok := requestStatuses[status]
	switch {
	case serverStatuses[status]:
		return out, unprocessable("status " + status + " is set by the server and cannot be requested")
	case !ok:
		return out, unprocessable("status must be one of the following values: draft, scheduled, in_review, published, in_progress, pending, failed, notification_sent, deleted")
	}
	out.Status = st
	out.PublishNow = status == "published" || status == "in_progress" || status == "pending"
	if in.ScheduleDate != nil && *in.ScheduleDate != "" {
		at, err := time.Parse(time.RFC3339, *in.ScheduleDate)
		if err != nil {
			return out, unprocessable("scheduleDate must be a valid ISO 8601 date string")
		}
		out.ScheduledAt = &at
	}
	for _, f := range []struct {
		name string
		ids  []string
	}{{"accountIds", in.AccountIDs}, {"tags", in.Tags}} {
		for _, id := range f.ids {
			if !isObjectID(id) {
				return out, unprocessable("each value in " + f.name + " must be a mongodb id")
			}
		}
	}
	out.AccountIDs, out.TagIDs = in.AccountIDs, in.Tags
	if in.CategoryID != nil && *in.CategoryID != "" {
		if !isObjectID(*in.CategoryID) {
			return out, unprocessable("categoryId must be a mongodb id")
		}
		out.CategoryID = *in.CategoryID
	}
	stored := storedPost{Type: *in.Type, postExtras: postExtras{
		OgTagsDetails: in.OgTagsDetails, PostApprovalDetails: in.PostApprovalDetails,
		platformDetails: platformDetails(in.platformInput),
	}}
	for _, u := range []struct {
		field string
		id    *string
		to    *string
	}{{"createdBy", in.CreatedBy, &stored.CreatedBy}, {"userId", in.UserID, &stored.UserID}} {
		if u.id == nil || *u.id == "" {
			continue
		}
		if _, err := h.member(r.Context(), u.field, *u.id); err != nil {
			return out, err
		}
		*u.to = strings.ToLower(*u.id)
	}
	if status != "draft" && stored.UserID == "" {
		return out, unprocessable("userId must be a mongodb id")
	}
	out.Approval = len(in.PostApprovalDetails) > 0 && string(in.PostApprovalDetails) != "null"
	out.Body = deref(in.Summary)
	out.FirstComment = deref(in.FollowUpComment)
	for i, m := range in.Media {
		if m.URL == "" {
			return out, unprocessable(fmt.Sprintf("media.%d.url should not be empty", i))
		}
		if m.Type == "" {
			return out, unprocessable(fmt.Sprintf("media.%d.type should not be empty", i))
		}
		out.Media = append(out.Media, m.Media)
	}
	d, err := platformRules(platformDetails(in.platformInput))
	if err != nil {
		return out, err
	}
	out.Details = d
	stored.SelectedBestTime = deref(in.SelectedBestTime)
	stored.ScheduleTimeUpdated = in.ScheduleTimeUpdated != nil && *in.ScheduleTimeUpdated
	stored.ApplyWatermark = in.ApplyWatermark != nil && *in.ApplyWatermark
	stored.MediaOptimization = in.MediaOptimization != nil && *in.MediaOptimization
	out.Extra = func(media []posts.Media) (json.RawMessage, error) {
		stored.Media = make([]mediaJSON, len(in.Media))
		for i, m := range in.Media {
			stored.Media[i] = mediaJSON(m)
		}
		for i, m := range media {
			// As the domain stored them: alt text truncated, a media
			// library item's type the library's.
			stored.Media[i].AltText, stored.Media[i].Type = m.AltText, m.Type
		}
		raw, err := json.Marshal(stored)
		if err != nil {
			return nil, fmt.Errorf("encode post details: %w", err)
		}
		return raw, nil
	}
	return out, nil
}

// platformRules reads the per-platform fields the rules need; an object
// of the wrong shape is a 422 naming it.
func platformRules(p platformDetails) (posts.PlatformDetails, error) {
	var d posts.PlatformDetails
	read := func(name string, raw json.RawMessage, v any) error {
		if len(raw) == 0 || string(raw) == "null" {
			return nil
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return unprocessable(name + " must be a valid object")
		}
		return nil
	}
	var fb typedDetails
	var ig instagramDetails
	var yt youtubeDetails
	var li linkedinDetails
	var pin pinterestDetails
	if err := errors.Join(
		read("facebookPostDetails", p.Facebook, &fb),
		read("instagramPostDetails", p.Instagram, &ig),
		read("youtubePostDetails", p.YouTube, &yt),
		read("linkedinPostDetails", p.LinkedIn, &li),
		read("pinterestPostDetails", p.Pinterest, &pin),
	); err != nil {
		var ae *apiError
		errors.As(err, &ae)
		return d, ae
	}
	d.FacebookFormat, d.InstagramFormat = posts.Format(fb.Type), posts.Format(ig.Type)
	d.InstagramCollaborators = ig.Collaborators
	d.YouTubeTitle, d.YouTubeType, d.YouTubePrivacy = yt.Title, yt.Type, yt.PrivacyLevel
	d.LinkedInPDFTitle = li.PDFTitle
	d.PinterestBoards, d.PinterestTitle, d.PinterestLink = pin.BoardIDs, pin.Title, pin.Link
	return d, nil
}

// planError shows a broken platform rule as the document's 400.
func planError(err error) error {
	var re *posts.RuleError
	if errors.As(err, &re) {
		return fail(http.StatusBadRequest, re.Field+" "+re.Message)
	}
	if errors.Is(err, errs.ErrConflict) {
		msg, _ := errs.PublicMessage(err)
		return fail(http.StatusBadRequest, msg)
	}
	return err
}

// POST /{locationId}/posts: 201 with the post.
func (h *handlers) createPost(w http.ResponseWriter, r *http.Request) error {
	return h.savePost(w, r, "", http.StatusCreated, "Created post")
}

// PUT /{locationId}/posts/{id}: the whole post replaced (the same body as
// create); 200 with the post.
func (h *handlers) replacePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathObjectID(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.Posts.GetByObjectID(r.Context(), id); err != nil {
		return orNotFound(err, "Post")
	}
	return h.savePost(w, r, strings.ToLower(id), http.StatusOK, "Post updated")
}

func (h *handlers) savePost(w http.ResponseWriter, r *http.Request, id string, status int, msg string) error {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return err
	}
	var body postInput
	if err := decode(w, r, &body); err != nil {
		return err
	}
	in, err := h.planInput(r, body)
	if err != nil {
		return err
	}
	in.ObjectID = id
	p, err := h.Posts.Plan(r.Context(), in)
	if err != nil {
		return orNotFound(planError(err), "Post")
	}
	out, err := h.loadPost(r, loc, p.ID)
	if err != nil {
		return err
	}
	return ok(w, status, msg, postResults{Post: out})
}

// loadPost reads a post with its accounts, tags and category.
func (h *handlers) loadPost(r *http.Request, loc Location, id int) (postJSON, error) {
	p, err := withTagRefs(h.Client.Post.Query().Where(post.ID(id))).Only(r.Context())
	if err != nil {
		return postJSON{}, orNotFound(errs.FromEnt(err, "post"), "Post")
	}
	if err := h.withAccounts(r.Context(), p); err != nil {
		return postJSON{}, err
	}
	return toPostJSON(loc, p), nil
}

// withTagRefs loads the tags' and category's ObjectIds a post shows; its
// accounts' are set afterwards by withAccounts (a post rendered without it
// shows none).
func withTagRefs(q *ent.PostQuery) *ent.PostQuery {
	return q.WithTagRefs(func(q *ent.TagQuery) { q.Select(tag.FieldObjectID).Order(tag.ByID()) }).
		WithCategoryRef(func(q *ent.CategoryQuery) { q.Select(category.FieldObjectID) })
}

// withAccounts sets each post's accounts (their ObjectIds, lowest id
// first) from posts.AccountsOf, which reads them by id from the posts'
// join rows: the edge's eager loading walks the workspace's accounts on
// SQLite.
func (h *handlers) withAccounts(ctx context.Context, ps ...*ent.Post) error {
	return posts.LoadAccounts(ctx, h.Client.Account, ps, account.FieldObjectID)
}

// GET /{locationId}/posts/{id}
func (h *handlers) getPost(w http.ResponseWriter, r *http.Request) error {
	loc, id, err := locationAndID(r, "id")
	if err != nil {
		return err
	}
	p, err := withTagRefs(h.Client.Post.Query().Where(post.ObjectID(strings.ToLower(id)))).Only(r.Context())
	if err != nil {
		return orNotFound(errs.FromEnt(err, "post"), "Post")
	}
	if err := h.withAccounts(r.Context(), p); err != nil {
		return err
	}
	return ok(w, http.StatusOK, "Fetched post", postResults{Post: toPostJSON(loc, p)})
}

// DELETE /{locationId}/posts/{id}: the post becomes deleted and its
// waiting publish tasks are cancelled.
func (h *handlers) deletePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathObjectID(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.Posts.Remove(r.Context(), []string{id}); err != nil {
		return orNotFound(planError(err), "Post")
	}
	return ok(w, http.StatusOK, "Post deleted successfully", deletePostResults{PostID: strings.ToLower(id)})
}

// POST /{locationId}/posts/bulk-delete {postIds}: the document's four
// answers — 201, 400 over 50 ids, 404 when none is found, 500 when the
// store fails.
func (h *handlers) bulkDeletePosts(w http.ResponseWriter, r *http.Request) error {
	var in bulkDeleteInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if len(in.PostIDs) > maxBulkDelete {
		return errBulkTooMany
	}
	if len(in.PostIDs) == 0 {
		return unprocessable("postIds should not be empty")
	}
	for _, id := range in.PostIDs {
		if !isObjectID(id) {
			return unprocessable("each value in postIds must be a mongodb id")
		}
	}
	n, err := h.Posts.Remove(r.Context(), in.PostIDs)
	switch {
	case errors.Is(err, posts.ErrNoneFound):
		return errBulkNone
	case errors.Is(err, errs.ErrConflict):
		return planError(err)
	case err != nil:
		h.Log.Error().Err(err).Str("route", "highlevel bulk-delete").Msg("highlevel: bulk delete failed")
		return errBulkInternal
	}
	return ok(w, http.StatusCreated, "Posts deleted successfully", bulkDeleteResults{DeletedCount: n})
}

// listTypes are posts/list's type values and the statuses each selects;
// recent and all select every post but deleted ones.
var listTypes = map[string][]post.Status{
	"scheduled": {post.StatusSCHEDULED}, "draft": {post.StatusDRAFT}, "in_review": {post.StatusIN_REVIEW},
	"failed": {post.StatusFAILED, post.StatusCANCELLED}, "published": {post.StatusPUBLISHED, post.StatusPARTIAL},
	"in_progress": {post.StatusQUEUED, post.StatusPUBLISHING}, "pending": {post.StatusQUEUED},
	"deleted": {post.StatusDELETED},
}

// POST /{locationId}/posts/list: 201 (the document's), newest first.
// fromDate and toDate bound the post's date (its schedule date, or its
// creation without one).
func (h *handlers) listPosts(w http.ResponseWriter, r *http.Request) error {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return err
	}
	var in listInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	for _, req := range []struct {
		name string
		v    *string
	}{{"skip", in.Skip}, {"limit", in.Limit}, {"fromDate", in.FromDate}, {"toDate", in.ToDate}, {"includeUsers", in.IncludeUsers}} {
		if req.v == nil {
			return unprocessable(req.name + " must be a string")
		}
	}
	skip, err := numberString("skip", *in.Skip, 0)
	if err != nil {
		return err
	}
	limit, err := numberString("limit", *in.Limit, defaultPostsLimit)
	if err != nil {
		return err
	}
	limit = min(max(limit, 1), maxPostsLimit)
	where := []predicate.Post{}
	switch t := deref(in.Type); t {
	case "", "recent", "all":
		where = append(where, post.StatusNEQ(post.StatusDELETED))
	default:
		ss, ok := listTypes[t]
		if !ok {
			return unprocessable("type must be one of the following values: recent, all, scheduled, draft, failed, in_review, published, in_progress, pending and deleted")
		}
		where = append(where, post.StatusIn(ss...))
	}
	from, to, err := dateRange(*in.FromDate, *in.ToDate)
	if err != nil {
		return err
	}
	if from != nil || to != nil {
		where = append(where, dateBetween(from, to))
	}
	if accs := strings.TrimSpace(deref(in.Accounts)); accs != "" {
		var ids []string
		for _, id := range strings.Split(accs, ",") {
			id = strings.ToLower(strings.TrimSpace(id))
			if !isObjectID(id) {
				return unprocessable("accounts must be account ids separated by commas")
			}
			ids = append(ids, id)
		}
		where = append(where, post.HasAccountsWith(account.ObjectIDIn(ids...)))
	}
	if pt := deref(in.PostType); pt != "" {
		if pt != "post" && pt != "story" && pt != "reel" {
			return unprocessable("postType must be one of the following values: post, story, reel")
		}
		where = append(where, h.postTypeIs(pt))
	}
	q := h.Client.Post.Query().Where(where...)
	total, err := q.Clone().Count(r.Context())
	if err != nil {
		return fmt.Errorf("count posts: %w", err)
	}
	ps, err := withTagRefs(q).Order(ent.Desc(post.FieldID)).Offset(skip).Limit(limit).All(r.Context())
	if err != nil {
		return fmt.Errorf("list posts: %w", err)
	}
	if err := h.withAccounts(r.Context(), ps...); err != nil {
		return err
	}
	out := postsResults{Posts: make([]postJSON, len(ps)), Count: total}
	for i, p := range ps {
		out.Posts[i] = toPostJSON(loc, p)
	}
	if strings.EqualFold(*in.IncludeUsers, "true") {
		if err := h.addUsers(r, out.Posts); err != nil {
			return err
		}
	}
	return ok(w, http.StatusCreated, "Fetched posts", out)
}

// dateRange reads posts/list's dates; empty strings are no bound.
func dateRange(from, to string) (*time.Time, *time.Time, error) {
	parse := func(name, s string) (*time.Time, error) {
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, s); err != nil {
				return nil, unprocessable(name + " must be a valid ISO 8601 date string")
			}
		}
		return &t, nil
	}
	f, err := parse("fromDate", from)
	if err != nil {
		return nil, nil, err
	}
	t, err := parse("toDate", to)
	if err != nil {
		return nil, nil, err
	}
	if f != nil && t != nil && f.After(*t) {
		return nil, nil, unprocessable("fromDate must not be after toDate")
	}
	return f, t, nil
}

// dateBetween bounds a post's date: its schedule date, or its creation
// when it has none.
func dateBetween(from, to *time.Time) predicate.Post {
	var sched, created []predicate.Post
	if from != nil {
		sched = append(sched, post.ScheduledAtGTE(*from))
		created = append(created, post.CreatedAtGTE(*from))
	}
	if to != nil {
		sched = append(sched, post.ScheduledAtLTE(*to))
		created = append(created, post.CreatedAtLTE(*to))
	}
	return post.Or(
		post.And(append(sched, post.ScheduledAtNotNil())...),
		post.And(append(created, post.ScheduledAtIsNil())...),
	)
}

// postTypeIs selects posts of HighLevel type t, read from their details.
func (h *handlers) postTypeIs(t string) predicate.Post {
	return predicate.Post(func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString(h.Driver.JSONText(s.C(post.FieldDetails), []string{"'type'"})).WriteOp(sql.OpEQ).Arg(t)
		}))
	})
}

// addUsers sets each post's user to its creator (createdBy, else userId).
func (h *handlers) addUsers(r *http.Request, ps []postJSON) error {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = cmpOr(p.CreatedBy, p.UserID)
	}
	users, err := h.usersByObjectID(r.Context(), ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		ps[i].User = users[id]
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
