// Package statistics owns the figures of a workspace's dashboard: how many
// accounts, posts and captions it has, grouped the way users read them.
package statistics

import (
	"context"
	"fmt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// Summary is a workspace's figures.
type Summary struct {
	Accounts AccountCounts
	Posts    PostCounts
	Captions int
}

// AccountCounts counts accounts: all, those that work, those that need a
// new login.
type AccountCounts struct {
	Total, Active, LoginRequired int
}

// PostCounts counts posts by their group (posts.GroupOf).
type PostCounts struct {
	Total, Saved, Scheduled, Published, Failed int
}

// add counts n posts of group g.
func (c *PostCounts) add(g posts.Group, n int) {
	if g == posts.GroupDeleted { // removed from the planner: counted nowhere
		return
	}
	c.Total += n
	switch g {
	case posts.GroupSaved:
		c.Saved += n
	case posts.GroupScheduled:
		c.Scheduled += n
	case posts.GroupPublished:
		c.Published += n
	case posts.GroupFailed:
		c.Failed += n
	}
}

// Service computes figures through the privacy layer: the viewer's
// workspace only.
type Service struct {
	client  *ent.Client
	tasks   *tasks.Service
	metrics tasks.Kind[MetricsPayload, MetricsResult]
}

// NewService returns a statistics service.
//
// With ts it observes every task transition: figures a worker reports with
// a completed task (accountStats) become the account's statistics, after
// the kind's own handlers. It also registers ACCOUNT_METRICS, whose
// results are accounts' daily figures.
func NewService(client *ent.Client, ts *tasks.Service) *Service {
	s := &Service{client: client, tasks: ts}
	if ts != nil {
		ts.Observe(tasks.Handler{Name: "statistics.accounts", Stage: tasks.StageDerived, Func: RecordFromTasks})
		s.registerMetrics(ts)
	}
	return s
}

// Summary counts the viewer's workspace's accounts, posts and captions.
func (s *Service) Summary(ctx context.Context) (Summary, error) {
	var out Summary
	var byStatus []struct {
		Status account.Status `json:"status"`
		Count  int            `json:"count"`
	}
	if err := s.client.Account.Query().GroupBy(account.FieldStatus).Aggregate(ent.Count()).Scan(ctx, &byStatus); err != nil {
		return out, fmt.Errorf("count accounts: %w", err)
	}
	for _, r := range byStatus {
		out.Accounts.Total += r.Count
		switch r.Status {
		case account.StatusACTIVE:
			out.Accounts.Active += r.Count
		case account.StatusLOGIN_REQUIRED:
			out.Accounts.LoginRequired += r.Count
		}
	}
	var byPostStatus []struct {
		Status post.Status `json:"status"`
		Count  int         `json:"count"`
	}
	if err := s.client.Post.Query().GroupBy(post.FieldStatus).Aggregate(ent.Count()).Scan(ctx, &byPostStatus); err != nil {
		return out, fmt.Errorf("count posts: %w", err)
	}
	for _, r := range byPostStatus {
		out.Posts.add(posts.GroupOf(r.Status), r.Count)
	}
	n, err := s.client.Caption.Query().Count(ctx)
	if err != nil {
		return out, fmt.Errorf("count captions: %w", err)
	}
	out.Captions = n
	return out, nil
}
