package highlevel

// Comments: writing a comment or reply, liking and unliking one, and
// listing them (server/comments; the platforms' side is workers' tasks).

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/comment"
	"github.com/switchboardhq/switchboard/server/comments"
	"github.com/switchboardhq/switchboard/server/errs"
)

// commentPlatformNames lists the document's "Supported Comments
// Platforms", for messages.
const commentPlatformNames = "facebook, instagram, linkedin, community, tiktok, bluesky, youtube, threads"

// commentRoute is what every comment route starts with: the location
// and the platform of the path.
func commentRoute(r *http.Request) (Location, comment.Platform, error) {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return loc, "", err
	}
	platform, err := commentPlatform(r)
	return loc, platform, err
}

// commentPlatform reads {platform}: lower-cased, one of the platforms.
func commentPlatform(r *http.Request) (comment.Platform, error) {
	p := comment.Platform(strings.ToLower(chi.URLParam(r, "platform")))
	if comment.PlatformValidator(p) != nil {
		return "", fail(http.StatusBadRequest, "platform must be one of the following values: "+commentPlatformNames)
	}
	return p, nil
}

// createCommentInput is the body of POST /comments/{platform}.
type createCommentInput struct {
	ParentID              string            `json:"parentId"`
	IsParentThread        *bool             `json:"isParentThread"`
	Content               string            `json:"content"`
	Attachments           []attachmentInput `json:"attachments,omitempty"`
	Mentions              []mentionInput    `json:"mentions,omitempty"`
	NotifyAllGroupMembers *bool             `json:"notifyAllGroupMembers,omitempty"`
}

// attachmentInput and mentionInput are a comment's attachment and mention
// as sent; attachmentJSON and mentionJSON as shown.
type (
	attachmentInput struct {
		URL  string `json:"url"`
		Type string `json:"type"`
	}
	mentionInput struct {
		Name   string  `json:"name"`
		ID     string  `json:"id"`
		Offset int     `json:"offset"`
		Length int     `json:"length"`
		Slug   *string `json:"slug,omitempty"`
	}
	attachmentJSON struct {
		URL  string `json:"url"`
		Type string `json:"type"`
	}
	mentionJSON struct {
		Name   string `json:"name"`
		ID     string `json:"id"`
		Offset int    `json:"offset"`
		Length int    `json:"length"`
		Slug   string `json:"slug,omitempty"`
	}
)

// commentJSON is a comment as these routes show it (the document shows
// none; docs/compat.md).
type commentJSON struct {
	ID                string           `json:"_id"`
	LocationID        string           `json:"locationId"`
	Platform          string           `json:"platform"`
	OriginID          string           `json:"originId"`
	PostID            *string          `json:"postId"`
	ParentID          *string          `json:"parentId"`
	PlatformCommentID string           `json:"platformCommentId"`
	Content           string           `json:"content"`
	Attachments       []attachmentJSON `json:"attachments"`
	Mentions          []mentionJSON    `json:"mentions"`
	From              commentAuthor    `json:"from"`
	FromUs            bool             `json:"fromUs"`
	Status            string           `json:"status"`
	Error             string           `json:"error,omitempty"`
	Liked             bool             `json:"liked"`
	LikeCount         int              `json:"likeCount"`
	ReplyCount        int              `json:"replyCount"`
	PublishedAt       *jsTime          `json:"publishedAt"`
	CreatedAt         jsTime           `json:"createdAt"`
	UpdatedAt         jsTime           `json:"updatedAt"`
}

// commentAuthor is who wrote a fetched comment; empty for ours.
type commentAuthor struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Avatar string `json:"avatar"`
}

// commentResults and commentsResults are the answers' results.
type (
	commentResults struct {
		Comment commentJSON `json:"comment"`
	}
	commentsResults struct {
		Comments []commentJSON `json:"comments"`
		Count    int           `json:"count"`
	}
)

func toCommentJSON(loc Location, c *ent.Comment) commentJSON {
	out := commentJSON{
		ID: c.ObjectID, LocationID: loc.ID, Platform: string(c.Platform), OriginID: c.OriginID,
		PlatformCommentID: c.PlatformCommentID, Content: c.Content,
		Attachments: fromMaps[attachmentJSON](c.Attachments), Mentions: fromMaps[mentionJSON](c.Mentions),
		From:   commentAuthor{ID: c.AuthorID, Name: c.AuthorName, Avatar: c.AuthorAvatar},
		FromUs: c.FromUs, Status: strings.ToLower(string(c.Status)), Error: c.Error,
		Liked: c.Liked, LikeCount: c.LikeCount, ReplyCount: c.ReplyCount,
		CreatedAt: jsTime(c.CreatedAt), UpdatedAt: jsTime(c.UpdatedAt),
	}
	if p := c.Edges.Post; p != nil {
		out.PostID = &p.ObjectID
	}
	if p := c.Edges.Parent; p != nil {
		out.ParentID = &p.ObjectID
	}
	if c.PublishedAt != nil {
		t := jsTime(*c.PublishedAt)
		out.PublishedAt = &t
	}
	return out
}

// POST /comments/{platform}?locationId: 201 with the comment, PENDING
// until a worker publishes it.
func (h *handlers) createComment(w http.ResponseWriter, r *http.Request) error {
	loc, platform, err := commentRoute(r)
	if err != nil {
		return err
	}
	var in createCommentInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	switch {
	case in.ParentID == "":
		return unprocessable("parentId should not be empty")
	case !isObjectID(in.ParentID):
		return unprocessable("parentId must be a mongodb id")
	case in.IsParentThread == nil:
		return unprocessable("isParentThread must be a boolean value")
	case strings.TrimSpace(in.Content) == "":
		return unprocessable("content should not be empty")
	}
	ci := comments.CreateInput{Platform: platform, ParentID: in.ParentID, IsParentThread: *in.IsParentThread,
		Content: in.Content, NotifyAll: valueOf(in.NotifyAllGroupMembers)}
	for _, a := range in.Attachments {
		ci.Attachments = append(ci.Attachments, comments.Attachment{URL: a.URL, Type: a.Type})
	}
	for _, m := range in.Mentions {
		ci.Mentions = append(ci.Mentions, comments.Mention{Name: m.Name, ID: m.ID, Offset: m.Offset, Length: m.Length, Slug: valueOf(m.Slug)})
	}
	c, err := h.Comments.Create(r.Context(), ci)
	if err != nil {
		return commentError(err, "Post")
	}
	c, err = h.loadComment(r, c)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "Comment created successfully", commentResults{Comment: toCommentJSON(loc, c)})
}

// commentError words the domain's refusals: the document's rules
// (content length, one attachment, a platform without likes) and state
// conflicts are 400; a missing or foreign parent or comment 404.
func commentError(err error, what string) error {
	var inv *errs.InvalidError
	switch {
	case errors.As(err, &inv):
		return fail(http.StatusBadRequest, strings.TrimSpace(inv.Field+" "+inv.Message))
	case errors.Is(err, errs.ErrNotFound):
		return notFound(what)
	}
	return err
}

// loadComment reads c with the post and parent it shows the ids of.
func (h *handlers) loadComment(r *http.Request, c *ent.Comment) (*ent.Comment, error) {
	// Only the edges are read again: the answer is the comment as the
	// call wrote it, not as a worker may already have changed it since.
	fresh, err := h.Client.Comment.Query().Where(comment.ID(c.ID)).WithPost().WithParent().Only(r.Context())
	if err != nil {
		return nil, err
	}
	c.Edges.Post, c.Edges.Parent = fresh.Edges.Post, fresh.Edges.Parent
	return c, nil
}

// POST (like, 201) and DELETE (unlike, 200) /comments/{platform}/{id}/like.
func (h *handlers) likeComment(w http.ResponseWriter, r *http.Request) error {
	loc, platform, err := commentRoute(r)
	if err != nil {
		return err
	}
	like := r.Method == http.MethodPost
	c, err := h.Comments.SetLiked(r.Context(), platform, chi.URLParam(r, "id"), like)
	if errors.Is(err, comments.ErrUnsupported) {
		return fail(http.StatusBadRequest, string(platform)+" does not support liking comments")
	}
	if err != nil {
		return commentError(err, "Comment")
	}
	if c, err = h.loadComment(r, c); err != nil {
		return err
	}
	if like {
		return ok(w, http.StatusCreated, "Comment liked successfully", commentResults{Comment: toCommentJSON(loc, c)})
	}
	return ok(w, http.StatusOK, "Comment unliked successfully", commentResults{Comment: toCommentJSON(loc, c)})
}

// listCommentsInput is the body of POST /comments/{platform}/list.
type listCommentsInput struct {
	FromDate  *string  `json:"fromDate,omitempty"`
	ToDate    *string  `json:"toDate,omitempty"`
	OriginIDs []string `json:"originIds"`
	SortBy    *string  `json:"sortBy,omitempty"`
	Search    *string  `json:"search,omitempty"`
	Skip      *int     `json:"skip,omitempty"`
	Limit     *int     `json:"limit,omitempty"`
	ParentID  *string  `json:"parentId,omitempty"`
}

// POST /comments/{platform}/list?locationId: 201 (though it only reads),
// the stored comments; workers are asked for fresh ones.
func (h *handlers) listComments(w http.ResponseWriter, r *http.Request) error {
	loc, platform, err := commentRoute(r)
	if err != nil {
		return err
	}
	var in listCommentsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if len(in.OriginIDs) == 0 {
		return unprocessable("originIds should not be empty")
	}
	q := comments.ListInput{Platform: platform, OriginIDs: in.OriginIDs, SortBy: valueOf(in.SortBy),
		Search: valueOf(in.Search), Skip: in.Skip, Limit: in.Limit, ParentID: valueOf(in.ParentID)}
	for _, d := range []struct {
		name string
		raw  *string
		dst  **time.Time
	}{{"fromDate", in.FromDate, &q.From}, {"toDate", in.ToDate, &q.To}} {
		if d.raw == nil || *d.raw == "" {
			continue
		}
		t, err := parseISO(*d.raw)
		if err != nil {
			return fail(http.StatusBadRequest, d.name+" must be a valid ISO 8601 date string")
		}
		*d.dst = &t
	}
	page, err := h.Comments.List(r.Context(), q)
	if err != nil {
		return commentError(err, "Parent")
	}
	ids := make([]int, len(page.Comments))
	for i, c := range page.Comments {
		ids[i] = c.ID
	}
	// Read again with the post and parent they name, in the page's order.
	loaded, err := h.Client.Comment.Query().Where(comment.IDIn(ids...)).WithPost().WithParent().All(r.Context())
	if err != nil {
		return err
	}
	byID := make(map[int]*ent.Comment, len(loaded))
	for _, c := range loaded {
		byID[c.ID] = c
	}
	out := commentsResults{Comments: make([]commentJSON, 0, len(ids)), Count: page.Total}
	for _, id := range ids {
		if c := byID[id]; c != nil {
			out.Comments = append(out.Comments, toCommentJSON(loc, c))
		}
	}
	return ok(w, http.StatusCreated, "Comments fetched successfully", out)
}

// parseISO reads an ISO 8601 date or date-time; a date is midnight UTC.
func parseISO(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not an ISO 8601 date")
}

// fromMaps decodes what a JSON column holds into T; never nil.
func fromMaps[T any](ms []map[string]any) []T {
	out := []T{}
	b, err := json.Marshal(ms)
	if err == nil && len(ms) > 0 {
		_ = json.Unmarshal(b, &out) // stored from T
	}
	return out
}
