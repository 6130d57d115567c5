package comments

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/comment"
	entpost "github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// CreatePayload is what a COMMENT_CREATE task asks a worker to publish.
// Ids without "platform" are Switchboard's 24-hex ids; the platform's own
// ids are given when known.
type CreatePayload struct {
	CommentID      string `json:"commentId"`
	Platform       string `json:"platform"`
	OriginID       string `json:"originId,omitempty"`
	PostID         string `json:"postId,omitempty"`
	PlatformPostID string `json:"platformPostId,omitempty"`
	// PostURL is the published post's address, for a follow-up comment
	// (the worker's publish result).
	PostURL               string       `json:"postUrl,omitempty"`
	ParentCommentID       string       `json:"parentCommentId,omitempty"`
	PlatformParentID      string       `json:"platformParentId,omitempty"`
	Content               string       `json:"content"`
	Attachments           []Attachment `json:"attachments,omitempty"`
	Mentions              []Mention    `json:"mentions,omitempty"`
	NotifyAllGroupMembers bool         `json:"notifyAllGroupMembers,omitempty"`
}

// CreateResult is what a worker reports of a published comment.
type CreateResult struct {
	PlatformID  string     `json:"platformId"`
	URL         string     `json:"url,omitempty"`
	PublishedAt *time.Time `json:"publishedAt,omitempty"`
}

// LikePayload names the comment a COMMENT_LIKE or COMMENT_UNLIKE task
// likes or unlikes.
type LikePayload struct {
	CommentID         string `json:"commentId"`
	Platform          string `json:"platform"`
	OriginID          string `json:"originId,omitempty"`
	PlatformCommentID string `json:"platformCommentId,omitempty"`
}

// LikeResult is what a worker reports of a like: nothing beyond success.
type LikeResult struct{}

// FetchPayload asks a worker for the comments of a connected account,
// under one post or comment thread when named.
type FetchPayload struct {
	Platform         string `json:"platform"`
	OriginID         string `json:"originId,omitempty"`
	PostID           string `json:"postId,omitempty"`
	PlatformPostID   string `json:"platformPostId,omitempty"`
	ParentCommentID  string `json:"parentCommentId,omitempty"`
	PlatformParentID string `json:"platformParentId,omitempty"`
}

// FetchResult is the comments a worker found.
type FetchResult struct {
	Comments []Fetched `json:"comments"`
}

// Validate requires each comment's platform id.
func (r FetchResult) Validate() error {
	return tasks.RequireEach("comments", r.Comments, "platformId", func(c Fetched) string { return c.PlatformID })
}

// Fetched is one comment as a worker read it on the platform.
type Fetched struct {
	PlatformID       string     `json:"platformId"`
	PlatformParentID string     `json:"platformParentId,omitempty"`
	PlatformPostID   string     `json:"platformPostId,omitempty"`
	Content          string     `json:"content"`
	AuthorID         string     `json:"authorId,omitempty"`
	AuthorName       string     `json:"authorName,omitempty"`
	AuthorAvatar     string     `json:"authorAvatar,omitempty"`
	LikeCount        int        `json:"likeCount,omitempty"`
	ReplyCount       int        `json:"replyCount,omitempty"`
	Liked            bool       `json:"liked,omitempty"`
	PublishedAt      *time.Time `json:"publishedAt,omitempty"`
}

func (s *Service) register(ts *tasks.Service) {
	s.create = tasks.Register[CreatePayload, CreateResult](ts, task.KindCOMMENT_CREATE,
		tasks.Handler{Name: "comments.published", Stage: tasks.StageOwner, Func: s.published})
	likes := tasks.Handler{Name: "comments.liked", Stage: tasks.StageOwner, Func: s.likeSettled}
	s.like = tasks.Register[LikePayload, LikeResult](ts, task.KindCOMMENT_LIKE, likes)
	s.unlike = tasks.Register[LikePayload, LikeResult](ts, task.KindCOMMENT_UNLIKE, likes)
	s.fetch = tasks.Register[FetchPayload, FetchResult](ts, task.KindCOMMENTS_FETCH,
		tasks.Handler{Name: "comments.fetched", Stage: tasks.StageOwner, Func: s.fetched})
}

// published keeps a written comment in step with its COMMENT_CREATE task:
// published with the platform's id, or failed with the worker's error.
func (s *Service) published(ctx context.Context, tx *ent.Tx, changed []*ent.Task) error {
	for _, t := range changed {
		if !finished(t) {
			continue
		}
		c, err := tx.Comment.Query().Where(comment.TaskID(t.ID)).Only(ctx)
		if ent.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("find comment of task %d: %w", t.ID, err)
		}
		u := c.Update()
		switch t.Status {
		case task.StatusCOMPLETED:
			r, err := s.create.Result(t)
			if err != nil {
				return err
			}
			u.SetStatus(comment.StatusPUBLISHED).SetPlatformCommentID(r.PlatformID).SetError("")
			if r.PublishedAt != nil {
				u.SetPublishedAt(*r.PublishedAt)
			}
		case task.StatusCANCELLED:
			u.SetStatus(comment.StatusFAILED).SetError("the comment task was cancelled")
		default:
			u.SetStatus(comment.StatusFAILED).SetError(t.Error)
		}
		if err := u.Exec(ctx); err != nil {
			return fmt.Errorf("record comment %d: %w", c.ID, err)
		}
	}
	return nil
}

// likeSettled undoes the like state a failed or cancelled like (or
// unlike) set, unless another was sent since.
func (s *Service) likeSettled(ctx context.Context, tx *ent.Tx, changed []*ent.Task) error {
	for _, t := range changed {
		if t.Status != task.StatusFAILED && t.Status != task.StatusCANCELLED {
			continue
		}
		err := tx.Comment.Update().Where(comment.LikeTaskID(t.ID)).
			SetLiked(t.Kind == task.KindCOMMENT_UNLIKE).Exec(ctx)
		if err != nil {
			return fmt.Errorf("restore like state of task %d: %w", t.ID, err)
		}
	}
	return nil
}

// fetched stores the comments a COMMENTS_FETCH task reports, each once
// however often it is fetched (by platform, account and platform id), and
// links replies to their parents and a thread's comments to its post.
func (s *Service) fetched(ctx context.Context, tx *ent.Tx, changed []*ent.Task) error {
	for _, t := range changed {
		if t.Status != task.StatusCOMPLETED {
			continue
		}
		p, r, err := s.fetch.Reported(t)
		if err != nil {
			return err
		}
		if err := s.store(ctx, tx, t, p, r.Comments); err != nil {
			return fmt.Errorf("store comments of task %d: %w", t.ID, err)
		}
	}
	return nil
}

func (s *Service) store(ctx context.Context, tx *ent.Tx, t *ent.Task, p FetchPayload, fetched []Fetched) error {
	if len(fetched) == 0 {
		return nil
	}
	platform := comment.Platform(p.Platform)
	if comment.PlatformValidator(platform) != nil {
		return nil // not a platform of ours: nothing to keep
	}
	var post, parent *int
	if p.ParentCommentID != "" {
		c, err := tx.Comment.Query().Where(comment.ObjectID(p.ParentCommentID)).Only(ctx)
		if err == nil {
			parent, post = &c.ID, c.PostID
		}
	} else if p.PostID != "" {
		if ps, err := tx.Post.Query().Where(entpost.ObjectID(p.PostID)).IDs(ctx); err == nil && len(ps) == 1 {
			post = &ps[0]
		}
	}
	ids := make([]string, 0, len(fetched))
	for _, f := range fetched {
		ids = append(ids, f.PlatformID)
	}
	// Replies may name parents stored earlier or in this same report.
	for _, f := range fetched {
		if f.PlatformParentID != "" {
			ids = append(ids, f.PlatformParentID)
		}
	}
	existing, err := tx.Comment.Query().
		Where(comment.PlatformEQ(platform), comment.OriginID(p.OriginID), comment.PlatformCommentIDIn(ids...)).
		All(ctx)
	if err != nil {
		return err
	}
	byPlatformID := map[string]*ent.Comment{}
	for _, c := range existing {
		byPlatformID[c.PlatformCommentID] = c
	}
	for _, f := range fetched {
		c := byPlatformID[f.PlatformID]
		var saved *ent.Comment
		if c == nil {
			cr := tx.Comment.Create().SetWorkspaceID(t.WorkspaceID).SetPlatform(platform).SetOriginID(p.OriginID).
				SetPlatformCommentID(f.PlatformID).SetStatus(comment.StatusPUBLISHED).
				SetNillableAccountID(t.AccountID).SetNillablePostID(post).
				SetPlatformPostID(firstOf(f.PlatformPostID, p.PlatformPostID)).
				SetContent(f.Content).SetAuthorID(f.AuthorID).SetAuthorName(f.AuthorName).SetAuthorAvatar(f.AuthorAvatar).
				SetLikeCount(max(f.LikeCount, 0)).SetReplyCount(max(f.ReplyCount, 0)).SetLiked(f.Liked).
				SetNillablePublishedAt(f.PublishedAt)
			if f.PlatformParentID == "" || f.PlatformParentID == p.PlatformParentID {
				cr.SetNillableParentID(parent)
			}
			saved, err = cr.Save(ctx)
		} else {
			u := c.Update().SetContent(f.Content).SetLikeCount(max(f.LikeCount, 0)).SetReplyCount(max(f.ReplyCount, 0)).
				SetNillablePublishedAt(f.PublishedAt)
			if f.AuthorName != "" {
				u.SetAuthorID(f.AuthorID).SetAuthorName(f.AuthorName).SetAuthorAvatar(f.AuthorAvatar)
			}
			// A like being sent decides the state until it settles.
			if c.LikeTaskID == nil {
				u.SetLiked(f.Liked)
			}
			saved, err = u.Save(ctx)
		}
		if err != nil {
			return err
		}
		byPlatformID[f.PlatformID] = saved
	}
	// Replies are linked once every comment of the report is stored, so a
	// reply may come before its parent.
	for _, f := range fetched {
		c, pc := byPlatformID[f.PlatformID], byPlatformID[f.PlatformParentID]
		if pc == nil || c.ParentID != nil || pc.ID == c.ID {
			continue
		}
		if err := c.Update().SetParentID(pc.ID).SetNillablePostID(pc.PostID).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
