package campaigns

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/bots"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/loop"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Metric updates of posted spams.
const (
	// DefaultMetricsEvery is how often a posted spam's counters are read
	// again.
	DefaultMetricsEvery = time.Hour
	// MetricsFor is how long after it was posted a spam's counters are
	// read again; older tweets hardly move.
	MetricsFor = 7 * 24 * time.Hour
	// MaxMetricsSpams bounds the spams of one x_metrics task: a bot's
	// newest ones, when it has more.
	MaxMetricsSpams = 500
)

// MetricsSpam is a posted spam whose counters a worker reads.
type MetricsSpam struct {
	// SpamID is the spam's id (its task's UUID), as /spams shows it.
	SpamID      string `json:"spamId"`
	TweetID     string `json:"tweetId"`
	PostTweetID string `json:"postTweetId"`
	TweetURL    string `json:"tweetUrl"`
}

// MetricsPayload asks a worker for the counters of a bot's posted spams.
type MetricsPayload struct {
	BotID    string        `json:"botId"`
	Username string        `json:"username"`
	Spams    []MetricsSpam `json:"spams"`
}

// Validate requires the bot and 1 to MaxMetricsSpams spams.
func (p MetricsPayload) Validate() error {
	switch {
	case p.BotID == "":
		return tasks.FieldError{Field: "botId", Message: "is required"}
	case len(p.Spams) == 0 || len(p.Spams) > MaxMetricsSpams:
		return tasks.FieldError{Field: "spams", Message: fmt.Sprintf("must hold 1 to %d spams", MaxMetricsSpams)}
	}
	return tasks.RequireEach("spams", p.Spams, "spamId", func(s MetricsSpam) string { return s.SpamID })
}

// SpamMetrics are one spam's counters as a worker read them.
type SpamMetrics struct {
	SpamID   string `json:"spamId"`
	Views    int64  `json:"views"`
	Likes    int64  `json:"likes"`
	Replies  int64  `json:"replies"`
	Retweets int64  `json:"retweets"`
}

// MetricsResult is what a worker reports of an x_metrics task. A spam it
// could not read (the tweet is gone) is left out and keeps its counters.
type MetricsResult struct {
	Spams []SpamMetrics `json:"spams"`
}

// Validate names each spam and refuses negative counters.
func (r MetricsResult) Validate() error {
	if len(r.Spams) > MaxMetricsSpams {
		return tasks.FieldError{Field: "spams", Message: fmt.Sprintf("must hold at most %d spams", MaxMetricsSpams)}
	}
	for i, s := range r.Spams {
		f := fmt.Sprintf("spams.%d.", i)
		if _, err := uuid.Parse(s.SpamID); err != nil {
			return tasks.FieldError{Field: f + "spamId", Message: "must be a spam id"}
		}
		for name, v := range map[string]int64{"views": s.Views, "likes": s.Likes, "replies": s.Replies, "retweets": s.Retweets} {
			if v < 0 {
				return tasks.FieldError{Field: f + name, Message: "must not be negative"}
			}
		}
	}
	return nil
}

// MetricsKind is the x_metrics kind: a bot's posted spams' counters, read
// again.
type MetricsKind = tasks.Kind[MetricsPayload, MetricsResult]

func (s *Service) registerMetrics(ts *tasks.Service) MetricsKind {
	return tasks.Register[MetricsPayload, MetricsResult](ts, task.KindX_METRICS, tasks.Handler{
		Name: "campaigns.metrics", Stage: tasks.StageOwner, Func: s.metricsChanged,
	})
}

// metricsChanged writes a completed x_metrics task's counters into the
// results and metric columns of its spams, where /spams and its sums read
// them, and announces each spam changed. Only the
// spams the task asked about, still posted by its bot, are changed: a
// worker cannot touch another spam by naming it.
func (s *Service) metricsChanged(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
	for _, t := range ts {
		if t.Status != task.StatusCOMPLETED || t.AccountID == nil {
			continue
		}
		p, r, err := s.metrics.Reported(t)
		if err != nil {
			return err
		}
		asked := map[string]bool{}
		for _, sp := range p.Spams {
			asked[sp.SpamID] = true
		}
		read := map[uuid.UUID]SpamMetrics{}
		for _, m := range r.Spams {
			if id, err := uuid.Parse(m.SpamID); err == nil && asked[m.SpamID] {
				read[id] = m
			}
		}
		if len(read) == 0 {
			continue
		}
		ids := make([]uuid.UUID, 0, len(read))
		for id := range read {
			ids = append(ids, id)
		}
		spams, err := tx.Task.Query().
			Where(task.KindEQ(task.KindX_POST), task.StatusEQ(task.StatusCOMPLETED),
				task.AccountID(*t.AccountID), task.UUIDIn(ids...)).
			Select(task.FieldID, task.FieldUUID, task.FieldWorkspaceID, task.FieldResult).All(ctx)
		if err != nil {
			return fmt.Errorf("find spams of task %d: %w", t.ID, err)
		}
		for _, sp := range spams {
			m := read[sp.UUID]
			res := map[string]any{}
			for k, v := range sp.Result {
				res[k] = v
			}
			mm := Metrics{Views: m.Views, Likes: m.Likes, Replies: m.Replies, Retweets: m.Retweets}
			res["metrics"] = mm
			if err := setMetrics(ctx, tx.Task.Update().Where(task.ID(sp.ID)).SetResult(res), mm); err != nil {
				return fmt.Errorf("update metrics of spam %d: %w", sp.ID, err)
			}
			// As any change of a task, so that a live view of the spams
			// shows the new counters.
			s.bus.PublishOnCommit(tx, events.Event{Topic: events.TopicTask, WorkspaceID: sp.WorkspaceID, ID: sp.ID, Op: events.OpUpdated})
		}
	}
	return nil
}

// spamOwner is a bot with posted spams, and its workspace.
type spamOwner struct {
	AccountID   int `sql:"account_id"`
	WorkspaceID int `sql:"workspace_id"`
}

// metricsLock is the session lock held by the replica enqueueing metric
// reads.
const metricsLock = "spam metrics"

// EnqueueMetrics enqueues one x_metrics task for every live bot with spams
// posted between MetricsFor and every ago (a spam's own report carries its
// first counters), covering its MaxMetricsSpams newest, unless the bot has
// one waiting: while no worker runs, one task per bot waits rather than one
// more every interval. It returns how many it enqueued; while another
// replica does it, 0.
func (s *Service) EnqueueMetrics(ctx context.Context, every time.Duration) (int, error) {
	unlock, ok, err := s.driver.TryLockSession(ctx, metricsLock)
	if err != nil || !ok {
		return 0, err
	}
	defer unlock()
	if every <= 0 {
		every = DefaultMetricsEvery
	}
	sys := privacy.DecisionContext(ctx, privacy.Allow) // every workspace, by design
	now := s.now()
	posted := func(q *ent.TaskQuery) *ent.TaskQuery {
		return q.Where(task.KindEQ(task.KindX_POST), task.StatusEQ(task.StatusCOMPLETED),
			task.FinishedAtGTE(now.Add(-MetricsFor)), task.FinishedAtLTE(now.Add(-every)),
			task.HasAccountWith(bots.Live()))
	}
	var owners []spamOwner
	if err := posted(s.client.Task.Query()).
		GroupBy(task.FieldAccountID, task.FieldWorkspaceID).Scan(sys, &owners); err != nil {
		return 0, fmt.Errorf("find bots with posted spams: %w", err)
	}
	slices.SortFunc(owners, func(a, b spamOwner) int {
		return cmp.Or(cmp.Compare(a.WorkspaceID, b.WorkspaceID), cmp.Compare(a.AccountID, b.AccountID))
	})
	n := 0
	for i := 0; i < len(owners); {
		ws := owners[i].WorkspaceID
		var ins []tasks.EnqueueInput
		for ; i < len(owners) && owners[i].WorkspaceID == ws; i++ {
			in, ok, err := s.metricsInput(sys, owners[i].AccountID, posted)
			if err != nil {
				return n, err
			}
			if ok {
				ins = append(ins, in)
			}
		}
		// Each workspace's tasks are enqueued as a viewer of it, so the
		// privacy layer stamps and checks them as any other.
		wctx := viewer.NewContext(ctx, &viewer.Viewer{WorkspaceID: ws})
		for chunk := range slices.Chunk(ins, tasks.MaxEnqueue) {
			ts, err := s.tasks.EnqueueUnlessWaiting(wctx, chunk)
			if err != nil {
				return n, fmt.Errorf("enqueue spam metrics of workspace %d: %w", ws, err)
			}
			n += len(ts)
		}
	}
	return n, nil
}

// metricsInput is bot's x_metrics task over its newest posted spams.
func (s *Service) metricsInput(ctx context.Context, bot int, posted func(*ent.TaskQuery) *ent.TaskQuery) (tasks.EnqueueInput, bool, error) {
	a, err := s.client.Account.Query().Where(account.ID(bot)).
		Select(account.FieldUUID, account.FieldUsername).Only(ctx)
	if err != nil {
		return tasks.EnqueueInput{}, false, fmt.Errorf("read bot %d: %w", bot, err)
	}
	spams, err := posted(s.client.Task.Query().Where(task.AccountID(bot))).Order(ent.Desc(task.FieldFinishedAt), ent.Desc(task.FieldID)).Limit(MaxMetricsSpams).
		Select(task.FieldUUID, task.FieldResult).All(ctx)
	if err != nil {
		return tasks.EnqueueInput{}, false, fmt.Errorf("posted spams of bot %d: %w", bot, err)
	}
	p := MetricsPayload{BotID: a.UUID.String(), Username: a.Username, Spams: make([]MetricsSpam, 0, len(spams))}
	for _, t := range spams {
		r, err := s.post.Result(t)
		if err != nil {
			continue // a result no x_post worker could have reported
		}
		p.Spams = append(p.Spams, MetricsSpam{SpamID: t.UUID.String(), TweetID: r.TweetID, PostTweetID: r.PostTweetID, TweetURL: r.TweetURL})
	}
	if len(p.Spams) == 0 {
		return tasks.EnqueueInput{}, false, nil
	}
	in, err := s.metrics.Input(p, tasks.EnqueueInput{AccountID: &bot})
	return in, err == nil, err
}

// NewMetricsSweeper returns a sweeper enqueueing metric reads every
// interval (default DefaultMetricsEvery).
func NewMetricsSweeper(s *Service, every time.Duration, log zerolog.Logger) *loop.Sweeper {
	if every <= 0 {
		every = DefaultMetricsEvery
	}
	return loop.NewSweeper(every, log, func(ctx context.Context) (int, error) { return s.EnqueueMetrics(ctx, every) },
		"enqueue spam metrics", "queued spam metric reads", "tasks")
}
