// Package comments owns comments on published posts and replies to them,
// on connected accounts: writing one (a COMMENT_CREATE task a worker
// publishes), liking and unliking one (COMMENT_LIKE, COMMENT_UNLIKE), and
// the comments workers fetch from the platforms (COMMENTS_FETCH), which
// become Comment rows. The server never talks to a platform; the state
// shown to callers is what is stored, a like still being sent counting as
// given.
package comments

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/comment"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// MaxContent is the longest comment each platform takes, in characters.
var MaxContent = map[comment.Platform]int{
	comment.PlatformFacebook:  8000,
	comment.PlatformInstagram: 2200,
	comment.PlatformLinkedin:  3000,
	comment.PlatformCommunity: 8000,
	comment.PlatformTiktok:    150,
	comment.PlatformBluesky:   300,
	comment.PlatformYoutube:   10000,
	comment.PlatformThreads:   500,
}

// Likeable reports whether comments on p can be liked and unliked.
// Instagram's API cannot; YouTube and Threads are not offered either.
func Likeable(p comment.Platform) bool {
	switch p {
	case comment.PlatformFacebook, comment.PlatformLinkedin, comment.PlatformCommunity,
		comment.PlatformTiktok, comment.PlatformBluesky:
		return true
	}
	return false
}

// accountPlatform is the platform of the connected account a comment on p
// is made with; Community groups are HighLevel's own and have none.
func accountPlatform(p comment.Platform) (account.Platform, bool) {
	switch p {
	case comment.PlatformCommunity:
		return "", false
	case comment.PlatformBluesky:
		return account.Platform("bluesky"), true
	}
	return account.Platform(p), true
}

// ErrUnsupported is an action the platform does not offer (liking on
// Instagram). It is an errs.ErrInvalid on the field "platform".
var ErrUnsupported = errs.Invalid("platform", "is not supported for this action")

// Service writes, likes and lists comments in the viewer's workspace.
type Service struct {
	client *ent.Client
	driver store.Driver
	tasks  *tasks.Service
	now    func() time.Time

	create tasks.Kind[CreatePayload, CreateResult]
	like   tasks.Kind[LikePayload, LikeResult]
	unlike tasks.Kind[LikePayload, LikeResult]
	fetch  tasks.Kind[FetchPayload, FetchResult]
}

// NewService returns a comments service and registers its task kinds on ts.
func NewService(client *ent.Client, d store.Driver, ts *tasks.Service) *Service {
	s := &Service{client: client, driver: d, tasks: ts, now: time.Now}
	s.register(ts)
	return s
}

// Attachment is a picture under a comment (Facebook only).
type Attachment struct {
	URL  string `json:"url"`
	Type string `json:"type"`
}

// Mention names someone in a comment's text (Facebook, LinkedIn,
// Community).
type Mention struct {
	Name   string `json:"name"`
	ID     string `json:"id"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
	Slug   string `json:"slug,omitempty"`
}

// CreateInput is a new comment. ParentID is the 24-hex id of a post when
// IsParentThread, else of the comment replied to.
type CreateInput struct {
	Platform       comment.Platform
	ParentID       string
	IsParentThread bool
	Content        string
	Attachments    []Attachment
	Mentions       []Mention
	NotifyAll      bool
}

func (in *CreateInput) validate() error {
	if err := comment.PlatformValidator(in.Platform); err != nil {
		return errs.Invalid("platform", "unknown platform %q", in.Platform)
	}
	if !schema.IsObjectID(in.ParentID) {
		return errs.Invalid("parentId", "must be a valid 24-character id")
	}
	in.ParentID = strings.ToLower(in.ParentID)
	if strings.TrimSpace(in.Content) == "" {
		return errs.Invalid("content", "is required")
	}
	if n, max := utf8.RuneCountInString(in.Content), MaxContent[in.Platform]; n > max {
		return errs.Invalid("content", "must be at most %d characters on %s", max, in.Platform)
	}
	if len(in.Attachments) > 1 {
		return errs.Invalid("attachments", "must hold at most 1 attachment")
	}
	for i, a := range in.Attachments {
		if a.URL == "" || a.Type == "" {
			return errs.Invalid(fmt.Sprintf("attachments.%d", i), "url and type are required")
		}
	}
	for i, m := range in.Mentions {
		if m.Name == "" || m.ID == "" || m.Offset < 0 || m.Length < 0 {
			return errs.Invalid(fmt.Sprintf("mentions.%d", i), "name, id, offset and length are required")
		}
	}
	// Accepted everywhere, honoured where the platform renders them.
	if in.Platform != comment.PlatformFacebook {
		in.Attachments = nil
	}
	switch in.Platform {
	case comment.PlatformFacebook, comment.PlatformLinkedin, comment.PlatformCommunity:
	default:
		in.Mentions = nil
	}
	if in.Platform != comment.PlatformCommunity {
		in.NotifyAll = false
	}
	return nil
}

// Create stores a comment (PENDING) and the COMMENT_CREATE task that
// publishes it, in one transaction. The parent post or comment must be of
// the viewer's workspace and, for a comment, of the same platform.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.Comment, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var created *ent.Comment
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Comment.Create().SetPlatform(in.Platform).SetContent(in.Content).SetFromUs(true).
			SetNotifyAll(in.NotifyAll).SetPublishedAt(s.now())
		if len(in.Attachments) > 0 {
			c.SetAttachments(toMaps(in.Attachments))
		}
		if len(in.Mentions) > 0 {
			c.SetMentions(toMaps(in.Mentions))
		}
		payload := CreatePayload{Platform: string(in.Platform), Content: in.Content,
			Attachments: in.Attachments, Mentions: in.Mentions, NotifyAllGroupMembers: in.NotifyAll}
		var acc *ent.Account
		if in.IsParentThread {
			p, err := tx.Post.Query().Where(post.ObjectID(in.ParentID)).Only(ctx)
			if err != nil {
				return errs.FromEnt(err, "post")
			}
			if acc, err = postAccount(ctx, tx.Account, p, in.Platform); err != nil {
				return err
			}
			c.SetPostID(p.ID)
			payload.PostID = p.ObjectID
		} else {
			parent, err := tx.Comment.Query().Where(comment.ObjectID(in.ParentID)).WithAccount().Only(ctx)
			if err != nil {
				return errs.FromEnt(err, "comment")
			}
			if parent.Platform != in.Platform {
				return errs.NotFound("comment")
			}
			acc = parent.Edges.Account
			c.SetParentID(parent.ID).SetNillablePostID(parent.PostID).
				SetOriginID(parent.OriginID).SetPlatformPostID(parent.PlatformPostID)
			payload.ParentCommentID, payload.PlatformParentID = parent.ObjectID, parent.PlatformCommentID
			payload.PlatformPostID, payload.OriginID = parent.PlatformPostID, parent.OriginID
		}
		var accountID *int
		if acc != nil {
			accountID = &acc.ID
			c.SetAccountID(acc.ID)
			if origin := acc.ExternalIds[accounts.ExternalOriginID]; origin != "" && payload.OriginID == "" {
				payload.OriginID = origin
				c.SetOriginID(origin)
			}
		}
		saved, err := c.Save(ctx)
		if err != nil {
			return errs.FromEnt(err, "comment")
		}
		payload.CommentID = saved.ObjectID
		tin, err := s.create.Input(payload, tasks.EnqueueInput{AccountID: accountID, ActionType: "comment"})
		if err != nil {
			return err
		}
		ts, err := s.tasks.EnqueueTx(ctx, tx, []tasks.EnqueueInput{tin})
		if err != nil {
			return err
		}
		created, err = saved.Update().SetTaskID(ts[0].ID).Save(ctx)
		return errs.FromEnt(err, "comment")
	})
	if err != nil {
		return nil, fmt.Errorf("create comment: %w", err)
	}
	return created.Unwrap(), nil
}

// postAccount is the account of p's targets that a comment on platform is
// made with: none for Community; for the others, p must target one.
func postAccount(ctx context.Context, c *ent.AccountClient, p *ent.Post, platform comment.Platform) (*ent.Account, error) {
	ap, ok := accountPlatform(platform)
	if !ok {
		return nil, nil
	}
	a, err := posts.QueryAccounts(c, p.ID).Where(account.PlatformEQ(ap)).Order(account.ByID()).First(ctx)
	if ent.IsNotFound(err) {
		return nil, errs.Invalid("parentId", "the post was not published on %s", platform)
	}
	if err != nil {
		return nil, fmt.Errorf("find the post's %s account: %w", platform, err)
	}
	return a, nil
}

// SetLiked likes (liked true) or unlikes a comment of the viewer's
// workspace, by its 24-hex id, on platform. The state is decided from what
// is stored, a like still being sent counting as given: liking a liked
// comment, or unliking one that is not, is a conflict.
func (s *Service) SetLiked(ctx context.Context, platform comment.Platform, id string, liked bool) (*ent.Comment, error) {
	if err := comment.PlatformValidator(platform); err != nil {
		return nil, errs.Invalid("platform", "unknown platform %q", platform)
	}
	if !Likeable(platform) {
		return nil, ErrUnsupported
	}
	if !schema.IsObjectID(id) {
		return nil, errs.NotFound("comment")
	}
	var out *ent.Comment
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		q := tx.Comment.Query().Where(comment.ObjectID(strings.ToLower(id)), comment.PlatformEQ(platform))
		c, err := store.LockRows(s.driver, q, store.LockWait).Only(ctx)
		if err != nil {
			return errs.FromEnt(err, "comment")
		}
		if c.Liked == liked {
			if liked {
				return errs.Conflict("State conflict: the comment is already liked")
			}
			return errs.Conflict("State conflict: the comment is not liked")
		}
		k := s.like
		if !liked {
			k = s.unlike
		}
		in, err := k.Input(LikePayload{CommentID: c.ObjectID, Platform: string(c.Platform), OriginID: c.OriginID,
			PlatformCommentID: c.PlatformCommentID}, tasks.EnqueueInput{AccountID: c.AccountID, ActionType: "like"})
		if err != nil {
			return err
		}
		ts, err := s.tasks.EnqueueTx(ctx, tx, []tasks.EnqueueInput{in})
		if err != nil {
			return err
		}
		out, err = c.Update().SetLiked(liked).SetLikeTaskID(ts[0].ID).Save(ctx)
		return errs.FromEnt(err, "comment")
	})
	if err != nil {
		return nil, fmt.Errorf("set comment liked: %w", err)
	}
	return out.Unwrap(), nil
}

// toMaps is vs as stored in a JSON column.
func toMaps[T any](vs []T) []map[string]any {
	b, err := json.Marshal(vs)
	if err != nil {
		return nil
	}
	var out []map[string]any
	_ = json.Unmarshal(b, &out) // what Marshal wrote decodes
	return out
}

// finished reports whether t has reached a final state.
func finished(t *ent.Task) bool {
	switch t.Status {
	case task.StatusCOMPLETED, task.StatusFAILED, task.StatusCANCELLED:
		return true
	}
	return false
}

// FollowUpTx writes a post's follow-up comment on the account it was just
// published on, and the COMMENT_CREATE task that publishes it under the
// published post, inside tx (the publish task's completion; see
// posts.OnFollowUp). ctx acts as the post's workspace.
func (s *Service) FollowUpTx(ctx context.Context, tx *ent.Tx, f posts.FollowUp) error {
	platform := comment.Platform(f.Platform)
	if err := comment.PlatformValidator(platform); err != nil {
		return fmt.Errorf("follow-up on %s: %w", f.Platform, err)
	}
	a, err := tx.Account.Get(ctx, f.AccountID)
	if err != nil {
		return fmt.Errorf("follow-up account: %w", err)
	}
	origin := a.ExternalIds[accounts.ExternalOriginID]
	// A follow-up is trimmed to the platform's limit, as HighLevel does,
	// where a comment written through the API is refused beyond it.
	f.Content = posts.Trim(f.Content, MaxContent[platform])
	saved, err := tx.Comment.Create().SetPlatform(platform).SetContent(f.Content).SetFromUs(true).
		SetPostID(f.PostID).SetAccountID(a.ID).SetOriginID(origin).SetPlatformPostID(f.PlatformPostID).
		SetPublishedAt(s.now()).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("write follow-up comment: %w", err)
	}
	in, err := s.create.Input(CreatePayload{
		CommentID: saved.ObjectID, Platform: string(platform), OriginID: origin,
		PostID: f.PostObjectID, PlatformPostID: f.PlatformPostID, PostURL: f.Link, Content: f.Content,
	}, tasks.EnqueueInput{AccountID: &a.ID, ActionType: "comment"})
	if err != nil {
		return err
	}
	ts, err := s.tasks.EnqueueTx(ctx, tx, []tasks.EnqueueInput{in})
	if err != nil {
		return fmt.Errorf("enqueue follow-up comment: %w", err)
	}
	if err := saved.Update().SetTaskID(ts[0].ID).Exec(ctx); err != nil {
		return fmt.Errorf("link follow-up comment to its task: %w", err)
	}
	return nil
}
