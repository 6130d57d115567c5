package posts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
)

// RollUp returns the POST_PUBLISH transition handler that keeps a post's status,
// per-account results, published_at and error in step with its POST_PUBLISH
// tasks. It runs inside the transaction of every task transition, so a
// post never shows a state its tasks are not in.
//
// For each distinct post among ts it locks the post (PostgreSQL: FOR UPDATE,
// taken in id order so two transitions never deadlock on two posts; SQLite
// transactions are exclusive already), writes the changed tasks into the
// post's results (one entry per account), and derives the status from the
// entries:
//
//   - any task ASSIGNED or RUNNING: PUBLISHING
//   - every task PENDING: QUEUED
//   - finished and PENDING mixed: PUBLISHING
//   - every task finished: PUBLISHED when all COMPLETED (published_at set),
//     CANCELLED when all CANCELLED, FAILED when none COMPLETED, PARTIAL when
//     COMPLETED and not.
//
// A start takes a shortcut (see markStarted): one UPDATE of the task's
// entry, since it cannot change anything else.
//
// The work is incremental: a transition costs one indexed lookup and the
// size of the post's results, not a read of every task of the post, so a
// post for thousands of accounts does not make each report slower (and
// serialize longer on the post's lock) than the last.
//
// Only the newest task per account counts: a post that failed and was
// scheduled again keeps its earlier run's tasks, which the new run
// supersedes. Tasks without an account (API users may enqueue them) have
// no results entry; they are read on each roll-up, being few. A post that
// is DRAFT or SCHEDULED is not in publication and is left alone (its tasks,
// if any, belong to an earlier run). The post is written, and a
// postUpdated event published on commit, only when something changed.
//
// Tasks and posts are read system-wide: the transition has already been
// authorized against the task, and a task's post is in the task's workspace
// (checked below), whoever the viewer is (a worker key, the reaper).
func RollUp(bus events.Bus, d store.Driver) func(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
	return func(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
		byPost := make(map[int][]*ent.Task)
		ws := make(map[int]int) // post id → workspace of the task that named it
		for _, t := range ts {
			if t.Kind != task.KindPOST_PUBLISH || t.PostID == nil {
				continue
			}
			started, err := markStarted(ctx, tx, d, t)
			if err != nil {
				return fmt.Errorf("roll up post %d: %w", *t.PostID, err)
			}
			if started {
				bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: t.WorkspaceID, ID: *t.PostID, Op: events.OpUpdated})
				continue
			}
			byPost[*t.PostID] = append(byPost[*t.PostID], t)
			ws[*t.PostID] = t.WorkspaceID
		}
		if len(ws) == 0 {
			return nil
		}
		ids := make([]int, 0, len(ws))
		for id := range ws {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		ctx = privacy.DecisionContext(ctx, privacy.Allow)
		q := tx.Post.Query().Where(post.IDIn(ids...)).Order(post.ByID())
		ps, err := store.LockRows(d, q, store.LockWait).All(ctx)
		if err != nil {
			return fmt.Errorf("roll up posts: lock posts: %w", err)
		}
		for _, p := range ps {
			if p.WorkspaceID != ws[p.ID] || !InPublication(p.Status) {
				continue
			}
			if err := rollUpPost(ctx, tx, bus, p, byPost[p.ID]); err != nil {
				return fmt.Errorf("roll up post %d: %w", p.ID, err)
			}
		}
		return nil
	}
}

// markStarted is the roll-up of the commonest transition, a start, in one
// statement. A task becomes RUNNING only from ASSIGNED, and both count as
// active, so the post's status, error and published_at cannot change: only
// the task's results entry goes from ASSIGNED to RUNNING. The UPDATE does
// that in the database when the entry is this task's and says ASSIGNED
// (and the post is in publication and in the task's workspace), with no
// read of the post or of its tasks. It reports false when it did not apply,
// and the caller rolls up the general way.
func markStarted(ctx context.Context, tx *ent.Tx, d store.Driver, t *ent.Task) (bool, error) {
	if t.Status != task.StatusRUNNING || t.AccountID == nil {
		return false, nil
	}
	query := markStartedSQL(d)
	args := []any{strconv.Itoa(*t.AccountID), time.Now().UTC().Truncate(time.Microsecond), *t.PostID, t.WorkspaceID, t.UUID.String()}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("mark the task started: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// markStartedSQL is the statement of markStarted; parameter 1 is the
// account's key in the results, 5 the task's UUID. The tests run it on
// every start they make.
func markStartedSQL(d store.Driver) string {
	p := d.Placeholder
	entry := func(field string) []string { return []string{p(1), "'" + field + "'"} }
	before := make([]string, len(beforePublication))
	for i, st := range beforePublication {
		before[i] = "'" + string(st) + "'"
	}
	return `UPDATE posts SET results = ` + d.JSONSetString("results", entry("status"), "'RUNNING'") + `, updated_at = ` + p(2) + `
		WHERE id = ` + p(3) + ` AND workspace_id = ` + p(4) + ` AND status NOT IN (` + strings.Join(before, ", ") + `)
		AND ` + d.JSONText("results", entry("taskId")) + ` = ` + p(5) + ` AND ` + d.JSONText("results", entry("status")) + ` = 'ASSIGNED'`
}

// rollUpPost applies the changed tasks ts to the locked post p.
func rollUpPost(ctx context.Context, tx *ent.Tx, bus events.Bus, p *ent.Post, ts []*ent.Task) error {
	cur, loose, err := current(ctx, tx, p.ID, ts)
	if err != nil {
		return err
	}
	results := make(map[string]any, len(p.Results)+len(cur))
	maps.Copy(results, p.Results)
	entriesChanged := false
	for _, t := range cur {
		key, e := strconv.Itoa(*t.AccountID), result(t)
		same, err := sameEntry(p.Results[key], e)
		if err != nil {
			return err
		}
		entriesChanged = entriesChanged || !same
		results[key] = e
	}
	r := rollUp(results, withoutEntries(loose, results))
	if !entriesChanged && !r.differs(p) {
		return nil
	}
	// Update, not UpdateOne: the post is locked and nothing reads it back,
	// so the second query UpdateOne spends on a read-back is saved.
	u := tx.Post.Update().Where(post.ID(p.ID)).SetStatus(r.status).SetResults(r.results).SetError(r.err)
	if r.publishedAt != nil {
		u.SetPublishedAt(*r.publishedAt)
	}
	if err := u.Exec(ctx); err != nil {
		return fmt.Errorf("write post: %w", err)
	}
	bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: p.WorkspaceID, ID: p.ID, Op: events.OpUpdated})
	return nil
}

// current returns, of the changed tasks ts of post postID, those with an
// account that are that account's newest task of the post, and the post's
// tasks without an account. One query on the (post_id, account_id) index
// reads the few rows it needs: the ids of those accounts' tasks of the post
// and the state of the accountless ones.
func current(ctx context.Context, tx *ent.Tx, postID int, ts []*ent.Task) (cur, loose []*ent.Task, err error) {
	var accs []int
	for _, t := range ts {
		if t.AccountID != nil && !slices.Contains(accs, *t.AccountID) {
			accs = append(accs, *t.AccountID)
		}
	}
	which := task.AccountIDIsNil()
	if len(accs) > 0 {
		which = task.Or(which, task.AccountIDIn(accs...))
	}
	rows, err := tx.Task.Query().
		Where(task.PostID(postID), task.KindEQ(task.KindPOST_PUBLISH), which).
		Select(task.FieldID, task.FieldUUID, task.FieldAccountID, task.FieldStatus, task.FieldFinishedAt).
		All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read the post's tasks: %w", err)
	}
	newest := make(map[int]int, len(accs)) // account → id of its newest task
	for _, r := range rows {
		if r.AccountID == nil {
			loose = append(loose, r)
		} else if r.ID > newest[*r.AccountID] {
			newest[*r.AccountID] = r.ID
		}
	}
	for _, t := range ts {
		if t.AccountID != nil && newest[*t.AccountID] == t.ID {
			cur = append(cur, t)
		}
	}
	return cur, loose, nil
}

// withoutEntries drops from loose the tasks that already have a results
// entry: a task loses its account when the account is deleted (after its
// cancellation was rolled up under the account), and must not count twice.
func withoutEntries(loose []*ent.Task, results map[string]any) []*ent.Task {
	if len(loose) == 0 {
		return loose
	}
	entered := make(map[string]bool, len(results))
	for _, e := range results {
		if m, ok := e.(map[string]any); ok {
			if id, ok := m["taskId"].(string); ok {
				entered[id] = true
			}
		}
	}
	out := loose[:0:0]
	for _, t := range loose {
		if !entered[t.UUID.String()] {
			out = append(out, t)
		}
	}
	return out
}

// rolledUp is what a post's tasks say about it.
type rolledUp struct {
	status      post.Status
	results     map[string]any
	err         string
	publishedAt *time.Time
}

// rollUp derives a post's state from its results entries (one per
// account, each its newest task) and its tasks without an account.
func rollUp(results map[string]any, loose []*ent.Task) rolledUp {
	r := rolledUp{results: results}
	var n, pending, active, completed, failed, cancelled int
	count := func(status task.Status, finished *time.Time) {
		n++
		switch status {
		case task.StatusPENDING:
			pending++
		case task.StatusASSIGNED, task.StatusRUNNING:
			active++
		case task.StatusCOMPLETED:
			completed++
			if finished != nil && (r.publishedAt == nil || finished.After(*r.publishedAt)) {
				r.publishedAt = finished
			}
		case task.StatusFAILED:
			failed++
		case task.StatusCANCELLED:
			cancelled++
		}
	}
	for _, e := range results {
		m, _ := e.(map[string]any)
		status, _ := m["status"].(string)
		var finished *time.Time
		if s, ok := m["finishedAt"].(string); ok {
			if at, err := time.Parse(time.RFC3339Nano, s); err == nil {
				finished = &at
			}
		}
		count(task.Status(status), finished)
	}
	for _, t := range loose {
		count(t.Status, t.FinishedAt)
	}
	switch {
	case n == 0:
		r.status = post.StatusQUEUED
	case active > 0 || (pending > 0 && pending < n):
		r.status = post.StatusPUBLISHING
	case pending == n:
		r.status = post.StatusQUEUED
	case completed == n:
		r.status = post.StatusPUBLISHED
	case cancelled == n:
		r.status = post.StatusCANCELLED
	case completed == 0:
		r.status = post.StatusFAILED
		r.err = fmt.Sprintf("publishing failed on every account (%d failed, %d cancelled)", failed, cancelled)
	default:
		r.status = post.StatusPARTIAL
		r.err = fmt.Sprintf("published on %d of %d accounts", completed, n)
	}
	if r.status != post.StatusPUBLISHED && r.status != post.StatusPARTIAL {
		r.publishedAt = nil // nothing is out, or not all of it has finished
	}
	return r
}

// result is one account's entry in a post's results.
func result(t *ent.Task) map[string]any {
	m := map[string]any{"status": string(t.Status), "taskId": t.UUID.String()}
	if l := link(t.Result); l != "" {
		m["link"] = l
	}
	if t.Error != "" {
		m["error"] = t.Error
	}
	if t.FinishedAt != nil {
		m["finishedAt"] = t.FinishedAt.UTC().Format(time.RFC3339Nano)
	}
	return m
}

// link finds the published post's address in a worker's result, under the
// names the worker protocols use for it. Results were checked against
// PublishResult when reported; one that no longer decodes has no link.
func link(res map[string]any) string {
	r, err := tasks.Decode[PublishResult](res)
	if err != nil {
		return ""
	}
	return r.Link()
}

// differs reports whether r's status, error or publication time differ
// from p's; the entries are compared as they are set (see sameEntry).
func (r rolledUp) differs(p *ent.Post) bool {
	if p.Status != r.status || p.Error != r.err {
		return true
	}
	return r.publishedAt != nil && (p.PublishedAt == nil || !p.PublishedAt.Equal(*r.publishedAt))
}

// sameEntry reports whether the stored results entry have equals e. Only
// the entries a transition sets are compared, not the whole results of a
// post for hundreds of accounts; the stored one was read back from JSON,
// so the two are compared as JSON (map keys sorted).
func sameEntry(have any, e map[string]any) (bool, error) {
	if have == nil {
		return false, nil
	}
	a, err := json.Marshal(have)
	if err != nil {
		return false, fmt.Errorf("encode stored result: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return false, fmt.Errorf("encode result: %w", err)
	}
	return bytes.Equal(a, b), nil
}
