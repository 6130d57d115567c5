package statistics

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/accountstat"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
)

// HistoryDays is how far back an account's growth history goes.
const HistoryDays = 30

// ResultKey is the key of a task's result under which a worker reports the
// figures it saw on the account's profile:
// {"accountStats": {"followers": 1200, "followings": 310, "mediaCount": 42}}.
const ResultKey = "accountStats"

// Snapshot is an account's audience figures; nil is unknown.
type Snapshot struct {
	Followers, Followings, MediaCount *int
}

func (s Snapshot) empty() bool {
	return s.Followers == nil && s.Followings == nil && s.MediaCount == nil
}

// snapshotOf reads a task result's figures. Values that are not
// non-negative whole numbers are ignored: a worker's odd report must not
// undo the transition that carries it.
func snapshotOf(result map[string]any) Snapshot {
	m, _ := result[ResultKey].(map[string]any)
	read := func(k string) *int {
		f, ok := m[k].(float64)
		if !ok || f < 0 || f > math.MaxInt32 || f != math.Trunc(f) {
			return nil
		}
		n := int(f)
		return &n
	}
	return Snapshot{Followers: read("followers"), Followings: read("followings"), MediaCount: read("mediaCount")}
}

// RecordFromTasks is a tasks.Options.Changed hook: the figures a completed
// task of an account reports become the account's current stats and its
// figures of the day, in the task's transaction.
func RecordFromTasks(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
	for _, t := range ts {
		if t.Status != task.StatusCOMPLETED || t.AccountID == nil || t.Result == nil {
			continue
		}
		snap := snapshotOf(t.Result)
		if snap.empty() {
			continue
		}
		at := time.Now()
		if t.FinishedAt != nil {
			at = *t.FinishedAt
		}
		if err := Record(ctx, tx, *t.AccountID, snap, at); err != nil {
			return fmt.Errorf("record stats of task %d: %w", t.ID, err)
		}
	}
	return nil
}

// Record stores snap as the figures of account id on the day of at (UTC),
// keeping earlier figures of that day the snapshot leaves unknown, and as
// the account's current stats.
func Record(ctx context.Context, tx *ent.Tx, id int, snap Snapshot, at time.Time) error {
	a, err := tx.Account.Get(ctx, id)
	if err != nil {
		return errs.FromEnt(err, "account")
	}
	if err := upsertDay(ctx, tx, a.WorkspaceID, id, at, Figures{
		Followers: snap.Followers, Followings: snap.Followings, MediaCount: snap.MediaCount,
	}); err != nil {
		return err
	}
	stats := map[string]any{}
	for k, v := range a.Stats {
		stats[k] = v
	}
	for k, v := range map[string]*int{"followers": snap.Followers, "followings": snap.Followings, "mediaCount": snap.MediaCount} {
		if v != nil {
			stats[k] = *v
		}
	}
	stats["updatedAt"] = at.UTC().Format(time.RFC3339)
	if err := tx.Account.UpdateOne(a).SetStats(stats).Exec(ctx); err != nil {
		return fmt.Errorf("save stats of account %d: %w", id, err)
	}
	return nil
}

// Day is one day of an account's growth history.
type Day struct {
	Date time.Time
	Snapshot
}

// ActionCounts counts an account's finished tasks.
type ActionCounts struct {
	Completed, Failed int
}

// AccountDetail is one account's figures.
type AccountDetail struct {
	Account *ent.Account
	// Current is the latest figure of each kind.
	Current Snapshot
	// Posts counts the posts the account is a target of, by group.
	Posts PostCounts
	// Actions counts its tasks finished in the last HistoryDays days.
	Actions ActionCounts
	// FollowersGained is the change in followers over the history, when
	// two days of it know them.
	FollowersGained *int
	// History holds the days with figures, oldest first.
	History []Day
}

// Account returns the figures of an account of the viewer's workspace:
// another workspace's account is not found.
func (s *Service) Account(ctx context.Context, id int, now time.Time) (AccountDetail, error) {
	var out AccountDetail
	a, err := s.client.Account.Get(ctx, id)
	if err != nil {
		return out, fmt.Errorf("account statistics: %w", errs.FromEnt(err, "account"))
	}
	out.Account = a
	since := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(HistoryDays - 1))
	rows, err := s.client.AccountStat.Query().
		Where(accountstat.AccountID(id), accountstat.DayGTE(since)).
		Order(ent.Asc(accountstat.FieldDay)).
		All(ctx)
	if err != nil {
		return out, fmt.Errorf("read growth of account %d: %w", id, err)
	}
	var known []int // followers, on the days that know them
	for _, r := range rows {
		d := Day{Date: r.Day.UTC(), Snapshot: Snapshot{Followers: r.Followers, Followings: r.Followings, MediaCount: r.MediaCount}}
		out.History = append(out.History, d)
		if r.Followers != nil {
			known = append(known, *r.Followers)
		}
	}
	if len(known) >= 2 {
		g := known[len(known)-1] - known[0]
		out.FollowersGained = &g
	}
	out.Current = currentOf(a.Stats)
	var byPostStatus []struct {
		Status post.Status `json:"status"`
		Count  int         `json:"count"`
	}
	if err := s.client.Post.Query().Where(post.HasAccountsWith(account.ID(id))).
		GroupBy(post.FieldStatus).Aggregate(ent.Count()).Scan(ctx, &byPostStatus); err != nil {
		return out, fmt.Errorf("count posts of account %d: %w", id, err)
	}
	for _, r := range byPostStatus {
		out.Posts.add(posts.GroupOf(r.Status), r.Count)
	}
	var tasks []struct {
		Status task.Status `json:"status"`
		Count  int         `json:"count"`
	}
	if err := s.client.Task.Query().
		Where(task.AccountID(id), task.StatusIn(task.StatusCOMPLETED, task.StatusFAILED), task.FinishedAtGTE(since)).
		GroupBy(task.FieldStatus).Aggregate(ent.Count()).Scan(ctx, &tasks); err != nil {
		return out, fmt.Errorf("count tasks of account %d: %w", id, err)
	}
	for _, r := range tasks {
		if r.Status == task.StatusCOMPLETED {
			out.Actions.Completed += r.Count
		} else {
			out.Actions.Failed += r.Count
		}
	}
	return out, nil
}

// currentOf reads the figures Record keeps in an account's stats.
func currentOf(stats map[string]any) Snapshot {
	read := func(k string) *int {
		switch v := stats[k].(type) {
		case float64:
			n := int(v)
			return &n
		case int:
			return &v
		}
		return nil
	}
	return Snapshot{Followers: read("followers"), Followings: read("followings"), MediaCount: read("mediaCount")}
}
