package comments

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/comment"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// Orders of a comment list.
const (
	SortLatest = "latest"
	SortTop    = "top"
)

// Page bounds of a comment list.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// ListInput selects comments of the viewer's workspace on one platform.
// ParentID is the 24-hex id of a post (its top-level comments) or of a
// comment (its replies); without it, the top-level comments of the
// accounts named by OriginIDs.
type ListInput struct {
	Platform  comment.Platform
	OriginIDs []string
	From, To  *time.Time
	SortBy    string
	Search    string
	Skip      *int
	Limit     *int
	ParentID  string
}

func (in *ListInput) validate() error {
	if err := comment.PlatformValidator(in.Platform); err != nil {
		return errs.Invalid("platform", "unknown platform %q", in.Platform)
	}
	if len(in.OriginIDs) == 0 {
		return errs.Invalid("originIds", "is required")
	}
	if (in.From == nil) != (in.To == nil) {
		return errs.Invalid("fromDate", "and toDate must be given together")
	}
	if in.From != nil && in.From.After(*in.To) {
		return errs.Invalid("fromDate", "must not be after toDate")
	}
	switch in.SortBy {
	case "":
		in.SortBy = SortLatest
	case SortLatest, SortTop:
	default:
		return errs.Invalid("sortBy", "must be one of top, latest")
	}
	if in.Skip != nil && *in.Skip < 0 {
		return errs.Invalid("skip", "must be at least 0")
	}
	if in.Limit != nil && (*in.Limit < 1 || *in.Limit > MaxLimit) {
		return errs.Invalid("limit", "must be between 1 and %d", MaxLimit)
	}
	if in.ParentID != "" {
		if !schema.IsObjectID(in.ParentID) {
			return errs.Invalid("parentId", "must be a valid 24-character id")
		}
		in.ParentID = strings.ToLower(in.ParentID)
	}
	return nil
}

// ListPage is one page of comments and how many match in all.
type ListPage struct {
	Comments []*ent.Comment
	Total    int
}

// List returns a page of comments and asks workers for fresh ones: a
// COMMENTS_FETCH task for each account concerned that has none waiting.
// What they find shows on a later call.
func (s *Service) List(ctx context.Context, in ListInput) (ListPage, error) {
	var out ListPage
	if err := in.validate(); err != nil {
		return out, err
	}
	where := []predicate.Comment{comment.PlatformEQ(in.Platform), comment.OriginIDIn(in.OriginIDs...)}
	var fetch []fetchOf
	switch parent, p, err := s.parentOf(ctx, in.ParentID); {
	case err != nil:
		return out, err
	case parent != nil:
		where = append(where, comment.ParentID(parent.ID))
		fetch = append(fetch, fetchOf{accountID: parent.AccountID, payload: FetchPayload{
			OriginID: parent.OriginID, PostID: postObjectID(parent), PlatformPostID: parent.PlatformPostID,
			ParentCommentID: parent.ObjectID, PlatformParentID: parent.PlatformCommentID}})
	case p != nil:
		where = append(where, comment.PostID(p.ID), comment.ParentIDIsNil())
		accs, err := posts.QueryAccounts(s.client.Account, p.ID).All(ctx)
		if err != nil {
			return out, fmt.Errorf("list accounts of post: %w", err)
		}
		for _, a := range s.accountsOf(accs, in) {
			fetch = append(fetch, fetchOf{accountID: &a.ID, payload: FetchPayload{
				OriginID: a.ExternalIds[accounts.ExternalOriginID], PostID: p.ObjectID}})
		}
	default:
		where = append(where, comment.ParentIDIsNil())
		ap, ok := accountPlatform(in.Platform)
		if ok {
			accs, err := s.client.Account.Query().Where(account.PlatformEQ(ap)).All(ctx)
			if err != nil {
				return out, fmt.Errorf("list accounts: %w", err)
			}
			for _, a := range s.accountsOf(accs, in) {
				fetch = append(fetch, fetchOf{accountID: &a.ID, payload: FetchPayload{OriginID: a.ExternalIds[accounts.ExternalOriginID]}})
			}
		}
	}
	if in.From != nil {
		where = append(where, comment.PublishedAtGTE(*in.From), comment.PublishedAtLTE(*in.To))
	}
	if in.Search != "" {
		where = append(where, comment.ContentContainsFold(in.Search))
	}
	q := s.client.Comment.Query().Where(where...)
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return out, fmt.Errorf("count comments: %w", err)
	}
	if in.SortBy == SortTop {
		q.Order(comment.ByLikeCount(sql.OrderDesc()), comment.ByReplyCount(sql.OrderDesc()), comment.ByID(sql.OrderDesc()))
	} else {
		// Unknown times last on both databases (PostgreSQL puts NULL first
		// in a descending order, SQLite last).
		q.Order(comment.ByPublishedAt(sql.OrderDesc(), sql.OrderNullsLast()), comment.ByID(sql.OrderDesc()))
	}
	limit := DefaultLimit
	if in.Limit != nil {
		limit = *in.Limit
	}
	if in.Skip != nil {
		q.Offset(*in.Skip)
	}
	cs, err := q.Limit(limit).All(ctx)
	if err != nil {
		return out, fmt.Errorf("list comments: %w", err)
	}
	if err := s.requestFetches(ctx, in.Platform, fetch); err != nil {
		return out, err
	}
	return ListPage{Comments: cs, Total: total}, nil
}

// parentOf finds the post or comment a 24-hex id names, in the viewer's
// workspace.
func (s *Service) parentOf(ctx context.Context, id string) (*ent.Comment, *ent.Post, error) {
	if id == "" {
		return nil, nil, nil
	}
	c, err := s.client.Comment.Query().Where(comment.ObjectID(id)).WithPost().Only(ctx)
	if err == nil {
		return c, nil, nil
	}
	if !ent.IsNotFound(err) {
		return nil, nil, fmt.Errorf("find parent comment: %w", err)
	}
	p, err := s.client.Post.Query().Where(post.ObjectID(id)).Only(ctx)
	if err != nil {
		return nil, nil, errs.FromEnt(err, "parent")
	}
	return nil, p, nil
}

// accountsOf keeps the accounts of in's platform whose origin id in names.
func (s *Service) accountsOf(accs []*ent.Account, in ListInput) []*ent.Account {
	ap, ok := accountPlatform(in.Platform)
	if !ok {
		return nil
	}
	var out []*ent.Account
	for _, a := range accs {
		if a.Platform == ap && slices.Contains(in.OriginIDs, a.ExternalIds[accounts.ExternalOriginID]) {
			out = append(out, a)
		}
	}
	return out
}

func postObjectID(c *ent.Comment) string {
	if c.Edges.Post != nil {
		return c.Edges.Post.ObjectID
	}
	return ""
}

// fetchOf is a fetch to ask for.
type fetchOf struct {
	accountID *int
	payload   FetchPayload
}

// requestFetches enqueues the fetches whose account has no fetch waiting;
// concurrent requests enqueue one between them (tasks.EnqueueUnlessWaiting).
func (s *Service) requestFetches(ctx context.Context, platform comment.Platform, fs []fetchOf) error {
	ins := make([]tasks.EnqueueInput, 0, len(fs))
	for _, f := range fs {
		f.payload.Platform = string(platform)
		in, err := s.fetch.Input(f.payload, tasks.EnqueueInput{AccountID: f.accountID})
		if err != nil {
			return err
		}
		ins = append(ins, in)
	}
	_, err := s.tasks.EnqueueUnlessWaiting(ctx, ins)
	return err
}
