package sharingtools

// Posts: the document's post routes over server/posts. Decisions (copied to
// docs/compat.md):
//
//   - A Sharingtools post targets one account; ours may target many. account_id
//     is the post's lowest target account id (null if it has none), and
//     POST /posts sets exactly one.
//   - user_id is the caller: a post belongs to a workspace, not to a user.
//   - caption is the post's body (spintax kept as written); media_ids is its
//     media list joined with commas: ids of the workspace's media library
//     (uploaded with GraphQL's uploadMedia or registered by address) and,
//     beyond the document, plain http(s) URLs, answered as given. The post
//     service decides which ids exist (server/media); an id of another
//     workspace is refused like an unknown one.
//   - status is the post's group (posts.GroupOf): DRAFT → saved; SCHEDULED,
//     QUEUED, PUBLISHING → scheduled; PUBLISHED, PARTIAL → published;
//     FAILED, CANCELLED → failed. is_scheduled is posts.IsScheduled: true
//     for SCHEDULED/QUEUED/PUBLISHING, or a post that has a schedule time
//     and is not a draft.
//   - Dates are "Y-m-d H:i:s" in UTC, in and out. A schedule_date in the past
//     is accepted: the post publishes at once.
//   - type is stored in the post's category (a free string, at most 50
//     characters). first_comment (≤2200 characters, spintax expanded per
//     account like the caption) and location (≤200) are stored on the post
//     and handed to the publishing worker in its task.
//   - "Cannot update published posts": PUT|PATCH of a post that is not
//     posts.Editable (queued, publishing, published or partly published) is
//     a 409.
//   - is_scheduled false on a scheduled (or failed) post takes it back to
//     saved, without a schedule_date. schedule_date alone reschedules a
//     scheduled post; on a draft it needs is_scheduled true.
//   - Field errors of the service are renamed to the document's fields
//     (accountIDs → account_id, body → caption, media → media_ids, ...).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const msgPublishedPost = "Published posts cannot be updated."

// postJSON is the document's post object.
type postJSON struct {
	ID           int     `json:"id"`
	UserID       int     `json:"user_id"`
	AccountID    *int    `json:"account_id"`
	Status       string  `json:"status"`
	Type         string  `json:"type"`
	Caption      string  `json:"caption"`
	FirstComment string  `json:"first_comment"`
	Location     string  `json:"location"`
	Link         string  `json:"link"`
	MediaIDs     string  `json:"media_ids"`
	IsScheduled  bool    `json:"is_scheduled"`
	ScheduleDate *string `json:"schedule_date"`
	PublishDate  *string `json:"publish_date"`
	CreateDate   *string `json:"create_date"`
}

func toPostJSON(ctx context.Context, p *ent.Post, accountID *int) postJSON {
	return postJSON{
		ID:           p.ID,
		UserID:       viewer.FromContext(ctx).UserID,
		AccountID:    accountID,
		Status:       postStatus(p.Status),
		Type:         p.Category,
		Caption:      p.Body,
		FirstComment: p.FirstComment,
		Location:     p.Location,
		Link:         p.Link,
		MediaIDs:     strings.Join(p.Media, ","),
		IsScheduled:  posts.IsScheduled(p.Status, p.ScheduledAt),
		ScheduleDate: formatTime(p.ScheduledAt),
		PublishDate:  formatTime(p.PublishedAt),
		CreateDate:   formatTime(&p.CreatedAt),
	}
}

// postStatus is the document's status of a post: its group, which the
// dashboard counts too.
func postStatus(s post.Status) string { return string(posts.GroupOf(s)) }

// postStatuses maps the document's statuses to ours.
func postStatuses(name string) ([]post.Status, bool) {
	ss := posts.StatusesOf(posts.Group(name))
	return ss, len(ss) > 0
}

// postFields are the fields PUT|PATCH may change; POST adds account_id.
type postFields struct {
	Caption      *string  `json:"caption"`
	Type         *string  `json:"type"`
	FirstComment *string  `json:"first_comment"`
	Location     *string  `json:"location"`
	Link         *string  `json:"link"`
	MediaIDs     *string  `json:"media_ids"`
	IsScheduled  *boolish `json:"is_scheduled"`
	ScheduleDate *string  `json:"schedule_date"`
}

func (b *postFields) empty() bool {
	return b.Caption == nil && b.Type == nil && b.FirstComment == nil && b.Location == nil &&
		b.Link == nil && b.MediaIDs == nil && b.IsScheduled == nil && b.ScheduleDate == nil
}

// check validates what the post service does not, adding faults to bad, and
// returns the parsed schedule_date, if any.
func (b *postFields) check(bad map[string]string) *time.Time {
	if b.ScheduleDate == nil {
		return nil
	}
	at, err := time.ParseInLocation(timeLayout, *b.ScheduleDate, time.UTC)
	if err != nil {
		bad["schedule_date"] = "must be a date as Y-m-d H:i:s (UTC)"
		return nil
	}
	return &at
}

// media splits media_ids; nil leaves the media as they are.
func (b *postFields) media() []string {
	if b.MediaIDs == nil {
		return nil
	}
	out := []string{}
	for _, m := range strings.Split(*b.MediaIDs, ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// createPostBody is postFields with account_id. It repeats the fields
// rather than embedding postFields, whose name would otherwise prefix the
// field in readBody's type errors.
type createPostBody struct {
	AccountID    *int     `json:"account_id"`
	Caption      *string  `json:"caption"`
	Type         *string  `json:"type"`
	FirstComment *string  `json:"first_comment"`
	Location     *string  `json:"location"`
	Link         *string  `json:"link"`
	MediaIDs     *string  `json:"media_ids"`
	IsScheduled  *boolish `json:"is_scheduled"`
	ScheduleDate *string  `json:"schedule_date"`
}

// boolish is a JSON boolean that also takes 0 and 1, as PHP clients of the
// original send them.
type boolish bool

func (b *boolish) UnmarshalJSON(raw []byte) error {
	switch string(bytes.TrimSpace(raw)) {
	case "true", "1":
		*b = true
	case "false", "0":
		*b = false
	default:
		// A type error lets readBody name the field.
		return &json.UnmarshalTypeError{Value: string(raw), Type: reflect.TypeOf(false)}
	}
	return nil
}

// postFieldNames renames the post service's fields to the document's.
var postFieldNames = map[string]string{
	"accountIDs": "account_id", "body": "caption", "media": "media_ids",
	"scheduledAt": "schedule_date", "category": "type", "firstComment": "first_comment",
}

// postError names the document's field in the service's invalid-input
// errors; the rest render as usual.
func postError(err error) error {
	var inv *errs.InvalidError
	if !errors.As(err, &inv) {
		return err
	}
	f, msg := inv.Field, inv.Message
	if n, ok := postFieldNames[f]; ok {
		f = n
	}
	if f == "account_id" && strings.HasSuffix(msg, "not found") {
		msg = "account not found" // the service names the id the client sent
	}
	return invalid(map[string]string{f: msg})
}

func (h *handlers) renderPost(w http.ResponseWriter, r *http.Request, status int, msg string, p *ent.Post) error {
	out, err := h.postsJSON(r.Context(), []*ent.Post{p})
	if err != nil {
		return err
	}
	writeOK(w, status, msg, out[0])
	return nil
}

// listPosts is "GET /posts?page=&per_page=&status=&account_id=&is_scheduled=",
// newest first.
func (h *handlers) listPosts(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	q := h.Client.Post.Query()
	bad := map[string]string{}
	v := r.URL.Query()
	if s := v.Get("status"); s != "" {
		if ss, ok := postStatuses(s); ok {
			q.Where(post.StatusIn(ss...))
		} else {
			bad["status"] = "must be one of saved, scheduled, published, failed"
		}
	}
	if s := v.Get("account_id"); s != "" {
		if id, err := strconv.Atoi(s); err == nil && id > 0 {
			q.Where(post.HasAccountsWith(account.ID(id)))
		} else {
			bad["account_id"] = "must be a positive integer"
		}
	}
	switch v.Get("is_scheduled") {
	case "":
	case "1":
		q.Where(posts.Scheduled())
	case "0":
		q.Where(post.Not(posts.Scheduled()))
	default:
		bad["is_scheduled"] = "must be 0 or 1"
	}
	if len(bad) > 0 {
		return invalid(bad)
	}
	total, err := q.Clone().Count(r.Context())
	if err != nil {
		return fmt.Errorf("count posts: %w", err)
	}
	ps, err := q.Order(ent.Desc(post.FieldCreatedAt), ent.Desc(post.FieldID)).
		Offset((p.Page - 1) * p.PerPage).Limit(p.PerPage).
		All(r.Context())
	if err != nil {
		return fmt.Errorf("list posts: %w", err)
	}
	out, err := h.postsJSON(r.Context(), ps)
	if err != nil {
		return err
	}
	writeList(w, "Posts retrieved.", out, newMeta(p, total))
	return nil
}

// postsJSON renders posts, each with its lowest account id (a post made
// elsewhere may target hundreds of accounts, and the object shows one).
func (h *handlers) postsJSON(ctx context.Context, ps []*ent.Post) ([]postJSON, error) {
	if err := posts.LoadAccounts(ctx, h.Client.Account, ps, account.FieldID); err != nil {
		return nil, err
	}
	out := make([]postJSON, len(ps))
	for i, p := range ps {
		var acc *int
		if a := p.Edges.Accounts; len(a) > 0 {
			acc = &a[0].ID
		}
		out[i] = toPostJSON(ctx, p, acc)
	}
	return out, nil
}

// getPost is "GET /posts/{id}".
func (h *handlers) getPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := h.Posts.Get(r.Context(), id)
	if err != nil {
		return err
	}
	return h.renderPost(w, r, http.StatusOK, "Post retrieved.", p)
}

// createPost is "POST /posts" → 201: a draft, or scheduled with
// is_scheduled and schedule_date.
func (h *handlers) createPost(w http.ResponseWriter, r *http.Request) error {
	var cb createPostBody
	if err := readBody(w, r, &cb); err != nil {
		return err
	}
	b := postFields{
		Caption: cb.Caption, Type: cb.Type, FirstComment: cb.FirstComment, Location: cb.Location,
		Link: cb.Link, MediaIDs: cb.MediaIDs, IsScheduled: cb.IsScheduled, ScheduleDate: cb.ScheduleDate,
	}
	bad := map[string]string{}
	switch {
	case cb.AccountID == nil:
		bad["account_id"] = "is required"
	case *cb.AccountID < 1:
		bad["account_id"] = "account not found"
	}
	at := b.check(bad)
	scheduled := b.IsScheduled != nil && bool(*b.IsScheduled)
	switch {
	case scheduled && b.ScheduleDate == nil:
		bad["schedule_date"] = "is required when is_scheduled is true"
	case !scheduled && b.ScheduleDate != nil:
		// a draft has no schedule time to keep it in
		bad["schedule_date"] = "needs is_scheduled true"
	}
	if len(bad) > 0 {
		return invalid(bad)
	}
	p, err := h.Posts.Create(r.Context(), posts.CreateInput{
		Body: b.Caption, Link: b.Link, Media: b.media(), Category: b.Type,
		FirstComment: b.FirstComment, Location: b.Location,
		AccountIDs: []int{*cb.AccountID}, ScheduledAt: at,
	})
	if err != nil {
		return postError(err)
	}
	return h.renderPost(w, r, http.StatusCreated, "Post created.", p)
}

// updatePost is "PUT|PATCH /posts/{id}": the given fields and the
// schedule, in one call of the post service.
func (h *handlers) updatePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b postFields
	if err := readBody(w, r, &b); err != nil {
		return err
	}
	ctx := r.Context()
	p, err := h.Posts.Get(ctx, id)
	if err != nil {
		return err
	}
	if b.empty() {
		return invalid(map[string]string{"body": "give at least one field"})
	}
	if !posts.Editable(p.Status) {
		return apiErr(http.StatusConflict, msgPublishedPost)
	}
	bad := map[string]string{}
	at := b.check(bad)
	was := posts.IsScheduled(p.Status, p.ScheduledAt)
	want := was
	if b.IsScheduled != nil {
		want = bool(*b.IsScheduled)
	}
	switch {
	case !want && b.ScheduleDate != nil:
		bad["schedule_date"] = "needs is_scheduled true"
	case b.IsScheduled != nil && want && b.ScheduleDate == nil && !posts.Waiting(p.Status):
		// a waiting post keeps its time; any other needs a new one
		bad["schedule_date"] = "is required when is_scheduled is true"
	}
	if len(bad) > 0 {
		return invalid(bad)
	}
	p, err = h.Posts.Update(ctx, posts.UpdateInput{
		ID: id, Body: b.Caption, Link: b.Link, Media: b.media(), Category: b.Type,
		FirstComment: b.FirstComment, Location: b.Location,
		ScheduledAt: at, Unschedule: was && !want,
	})
	if err != nil {
		return updateError(err)
	}
	return h.renderPost(w, r, http.StatusOK, "Post updated.", p)
}

// updateError is postError, with the service's refusal of a post that
// started publishing (since it was read) worded as the document's rule.
func updateError(err error) error {
	if errors.Is(err, errs.ErrConflict) {
		return apiErr(http.StatusConflict, msgPublishedPost)
	}
	return postError(err)
}

// deletePost is "DELETE /posts/{id}"; a post being published is a 409.
func (h *handlers) deletePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.Posts.Delete(r.Context(), id); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Post deleted.", map[string]any{"id": id})
	return nil
}
