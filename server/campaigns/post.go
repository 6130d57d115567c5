package campaigns

import (
	"context"
	"fmt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// PostPayload is what an x_post task (a "spam") asks a worker to post from
// one bot: the content, already spun, at a customer, or in reply to a
// tweet.
type PostPayload struct {
	Content string   `json:"content"`
	Images  []string `json:"images"`
	// CustomerID is the customer's UUID; CustomerName its X username.
	CustomerID    string `json:"customerId"`
	CustomerName  string `json:"customerName"`
	TargetTweetID string `json:"targetTweetId,omitempty"`
}

// Validate requires the content.
func (p PostPayload) Validate() error {
	if p.Content == "" {
		return tasks.FieldError{Field: "content", Message: "is required"}
	}
	return nil
}

// Metrics are a posted tweet's counters as a worker last read them.
type Metrics struct {
	Views    int64 `json:"views"`
	Likes    int64 `json:"likes"`
	Replies  int64 `json:"replies"`
	Retweets int64 `json:"retweets"`
}

// PostResult is what a worker reports of a posted spam.
type PostResult struct {
	TweetID     string   `json:"tweetId"`
	PostTweetID string   `json:"postTweetId"`
	TweetURL    string   `json:"tweetUrl"`
	Metrics     *Metrics `json:"metrics,omitempty"`
}

// maxReported bounds each reported text; a worker's text is shown in feeds.
const maxReported = 2048

// Validate bounds the reported texts and refuses negative counters.
func (r PostResult) Validate() error {
	for name, v := range map[string]string{"tweetId": r.TweetID, "postTweetId": r.PostTweetID, "tweetUrl": r.TweetURL} {
		if len(v) > maxReported {
			return tasks.FieldError{Field: name, Message: fmt.Sprintf("must be at most %d characters", maxReported)}
		}
	}
	if m := r.Metrics; m != nil {
		for name, v := range map[string]int64{"views": m.Views, "likes": m.Likes, "replies": m.Replies, "retweets": m.Retweets} {
			if v < 0 {
				return tasks.FieldError{Field: "metrics." + name, Message: "must not be negative"}
			}
		}
	}
	return nil
}

// Post is the x_post kind: one post of a campaign by one bot. A failed
// report's reason is the spam's error; the task's own state is the spam's
// status. Its handler copies a reported result's counters into the task's
// metric columns, which the feed's sums read.
type Post = tasks.Kind[PostPayload, PostResult]

func (s *Service) registerPost(ts *tasks.Service) Post {
	return tasks.Register[PostPayload, PostResult](ts, task.KindX_POST, tasks.Handler{
		Name: "campaigns.post-metrics", Stage: tasks.StageOwner, Func: s.postReported,
	})
}

// postReported writes the counters of the spams reported with metrics
// into their columns.
func (s *Service) postReported(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
	for _, t := range ts {
		if t.Result == nil {
			continue
		}
		r, err := s.post.Result(t)
		if err != nil { // checked when reported
			return fmt.Errorf("decode result of spam %d: %w", t.ID, err)
		}
		if r.Metrics == nil {
			continue
		}
		if err := setMetrics(ctx, tx.Task.Update().Where(task.ID(t.ID)), *r.Metrics); err != nil {
			return fmt.Errorf("write metrics of spam %d: %w", t.ID, err)
		}
	}
	return nil
}

// setMetrics sets the metric columns of the tasks u updates to m, in one
// statement.
func setMetrics(ctx context.Context, u *ent.TaskUpdate, m Metrics) error {
	return u.SetMetricViews(m.Views).SetMetricLikes(m.Likes).SetMetricReplies(m.Replies).SetMetricReposts(m.Retweets).Exec(ctx)
}
