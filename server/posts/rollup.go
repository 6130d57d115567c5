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
// It first locks every post the transition touches, in one statement and
// in id order (PostgreSQL: FOR UPDATE; SQLite transactions are exclusive
// already), and only then writes any of them: two transitions — a claim
// and a batch of reports, on one replica or two — take the locks of the
// posts they share in the same order and never deadlock. It writes the
// changed tasks into each post's results (one entry per account) and
// derives the status from the entries:
//
//   - any task ASSIGNED or RUNNING: PUBLISHING
//   - every task PENDING: QUEUED
//   - finished and PENDING mixed: PUBLISHING
//   - every task finished: PUBLISHED when all COMPLETED (published_at set),
//     CANCELLED when all CANCELLED, FAILED when none COMPLETED, PARTIAL when
//     COMPLETED and not.
//
// A start takes a shortcut (see startedEntry): its entry goes from ASSIGNED
// to RUNNING on the locked post, with no read of the post's tasks, since a
// start cannot change anything else.
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
		_, err := rollUpLocking(ctx, tx, bus, d, ts, nil)
		return err
	}
}

// lockedPost is a post a transition locked, with the changed tasks that
// name it; the tasks' workspace was checked against the post's.
type lockedPost struct {
	p  *ent.Post
	ts []*ent.Task
}

// rollUpLocking locks the posts of the changed tasks ts (see RollUp), rolls
// ts up into them and returns them as read, so that what runs next in the
// transition on the same posts (the follow-ups) need not read them again.
// published, when not nil, is called with each post the roll-up makes
// PUBLISHED, in the transition's transaction.
func rollUpLocking(ctx context.Context, tx *ent.Tx, bus events.Bus, d store.Driver, ts []*ent.Task, published PublishedFunc) ([]lockedPost, error) {
	byPost := make(map[int][]*ent.Task)
	ws := make(map[int]int) // post id → workspace of the task that named it
	for _, t := range ts {
		if t.Kind != task.KindPOST_PUBLISH || t.PostID == nil {
			continue
		}
		byPost[*t.PostID] = append(byPost[*t.PostID], t)
		ws[*t.PostID] = t.WorkspaceID
	}
	if len(ws) == 0 {
		return nil, nil
	}
	ids := slices.Sorted(maps.Keys(ws))
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	q := tx.Post.Query().Where(post.IDIn(ids...)).Order(post.ByID())
	ps, err := store.LockRows(d, q, store.LockWait).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("roll up posts: lock posts: %w", err)
	}
	locked := make([]lockedPost, 0, len(ps))
	var writes []postWrite
	for _, p := range ps {
		if p.WorkspaceID != ws[p.ID] {
			continue
		}
		locked = append(locked, lockedPost{p, byPost[p.ID]})
		if !InPublication(p.Status) {
			continue
		}
		r, changed, err := rollUpPost(ctx, tx, p, byPost[p.ID])
		if err != nil {
			return nil, fmt.Errorf("roll up post %d: %w", p.ID, err)
		}
		if changed {
			writes = append(writes, postWrite{p, r})
		}
	}
	if len(writes) == 0 {
		return locked, nil
	}
	if err := writePosts(ctx, tx, d.Placeholder, time.Now(), writes); err != nil {
		return nil, err
	}
	for _, w := range writes {
		p, r := w.p, w.r
		bus.PublishOnCommit(tx, events.Event{Topic: events.TopicPost, WorkspaceID: p.WorkspaceID, ID: p.ID, Op: events.OpUpdated})
		if published == nil || r.status != post.StatusPUBLISHED || p.Status == post.StatusPUBLISHED {
			continue
		}
		p.Status, p.Results, p.Error = r.status, r.results, r.err
		if r.publishedAt != nil {
			p.PublishedAt = r.publishedAt
		}
		if err := published(ctx, tx, p); err != nil {
			return nil, fmt.Errorf("roll up post %d: post published: %w", p.ID, err)
		}
	}
	return locked, nil
}

// postWrite is what a roll-up writes to the locked post p.
type postWrite struct {
	p *ent.Post
	r rolledUp
}

// writePosts writes the roll-ups ws of a transition in one UPDATE, each
// column a CASE on the id (a batch of reports usually spans two posts, and
// a statement each was a round trip each while the posts' locks are held).
// It is raw SQL, as ent's update builder sets one value for every row, so
// it sets updated_at as the Post schema's update default would; the posts
// are locked and were checked against their tasks' workspace.
func writePosts(ctx context.Context, tx *ent.Tx, ph func(int) string, now time.Time, ws []postWrite) error {
	var args []any
	arg := func(v any) string { args = append(args, v); return ph(len(args)) }
	var b strings.Builder
	fmt.Fprintf(&b, "UPDATE %s SET %s = %s", post.Table, post.FieldUpdatedAt, arg(now))
	// column sets col to value(i) on the i-th post of ws, where ok.
	column := func(col string, value func(i int) (v any, ok bool)) {
		var cases strings.Builder
		for i, w := range ws {
			if v, ok := value(i); ok {
				fmt.Fprintf(&cases, " WHEN %s THEN %s", arg(w.p.ID), arg(v))
			}
		}
		if cases.Len() > 0 {
			fmt.Fprintf(&b, ", %s = CASE %s%s ELSE %s END", col, post.FieldID, cases.String(), col)
		}
	}
	results := make([]json.RawMessage, len(ws))
	for i, w := range ws {
		raw, err := json.Marshal(w.r.results)
		if err != nil {
			return fmt.Errorf("write posts: encode results of post %d: %w", w.p.ID, err)
		}
		results[i] = raw
	}
	column(post.FieldStatus, func(i int) (any, bool) { return ws[i].r.status.String(), true })
	column(post.FieldResults, func(i int) (any, bool) { return results[i], true })
	column(post.FieldError, func(i int) (any, bool) { return ws[i].r.err, true })
	column(post.FieldPublishedAt, func(i int) (any, bool) {
		if at := ws[i].r.publishedAt; at != nil {
			return *at, true
		}
		return nil, false
	})
	fmt.Fprintf(&b, " WHERE %s IN (", post.FieldID)
	for i, w := range ws {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(arg(w.p.ID))
	}
	b.WriteString(")")
	res, err := tx.ExecContext(ctx, b.String(), args...)
	if err != nil {
		return fmt.Errorf("write posts: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("write posts: %w", err)
	}
	if n != int64(len(ws)) {
		return fmt.Errorf("write posts: %d of %d locked posts changed", n, len(ws))
	}
	return nil
}

// startedEntry is the roll-up of the commonest transition, a start, on the
// locked post p: when t is RUNNING and p's entry for its account is t's
// and says ASSIGNED, it returns that entry saying RUNNING. A task becomes
// RUNNING only from ASSIGNED, and both count as active, so the post's
// status, error and published_at cannot change and its tasks need not be
// read. ok is false when the shortcut does not apply, and the caller rolls
// t up the general way.
func startedEntry(p *ent.Post, t *ent.Task) (key string, e map[string]any, ok bool) {
	if t.Status != task.StatusRUNNING || t.AccountID == nil {
		return "", nil, false
	}
	key = strconv.Itoa(*t.AccountID)
	have, _ := p.Results[key].(map[string]any)
	if have["taskId"] != t.UUID.String() || have["status"] != string(task.StatusASSIGNED) {
		return "", nil, false
	}
	e = maps.Clone(have)
	e["status"] = string(task.StatusRUNNING)
	return key, e, true
}

// rollUpPost applies the changed tasks ts to the locked post p and returns
// what p becomes; changed is false when that is what p is already.
func rollUpPost(ctx context.Context, tx *ent.Tx, p *ent.Post, ts []*ent.Task) (r rolledUp, changed bool, err error) {
	results := make(map[string]any, len(p.Results)+len(ts))
	maps.Copy(results, p.Results)
	entriesChanged := false
	var rest []*ent.Task
	for _, t := range ts {
		if key, e, ok := startedEntry(p, t); ok {
			results[key] = e
			entriesChanged = true
			continue
		}
		rest = append(rest, t)
	}
	r = rolledUp{status: p.Status, results: results, err: p.Error}
	if len(rest) > 0 {
		if fast, changed, ok := stillPublishing(p, results, rest); ok {
			r.results, entriesChanged = fast, entriesChanged || changed
		} else {
			cur, loose, err := current(ctx, tx, p.ID, rest)
			if err != nil {
				return r, false, err
			}
			for _, t := range cur {
				key, e := strconv.Itoa(*t.AccountID), result(t)
				same, err := sameEntry(p.Results[key], e)
				if err != nil {
					return r, false, err
				}
				entriesChanged = entriesChanged || !same
				results[key] = e
			}
			r = rollUp(results, withoutEntries(loose, results))
		}
	}
	return r, entriesChanged || r.differs(p), nil
}

// stillPublishing is the roll-up, without reading any task, of the
// transitions ts of a post in the middle of its publication: when each
// task of ts is the one its account's entry names (the post's record of
// the account's current task, which the fan-out and every roll-up keep),
// and the entries with ts applied still hold an active task, or pending
// tasks beside others, the post is PUBLISHING whatever its tasks without an
// account are. It returns results with ts's entries set and whether one
// changed; ok is false when the post is not PUBLISHING now or will not
// surely stay so, and the caller rolls up the general way.
func stillPublishing(p *ent.Post, results map[string]any, ts []*ent.Task) (out map[string]any, changed, ok bool) {
	if p.Status != post.StatusPUBLISHING || p.Error != "" {
		return nil, false, false
	}
	out = maps.Clone(results)
	for _, t := range ts {
		if t.AccountID == nil {
			return nil, false, false
		}
		key := strconv.Itoa(*t.AccountID)
		have, _ := p.Results[key].(map[string]any)
		if have["taskId"] != t.UUID.String() {
			return nil, false, false
		}
		e := result(t)
		same, err := sameEntry(have, e)
		if err != nil {
			return nil, false, false
		}
		changed = changed || !same
		out[key] = e
	}
	var n, pending, active int
	for _, e := range out {
		m, _ := e.(map[string]any)
		n++
		switch st, _ := m["status"].(string); task.Status(st) {
		case task.StatusPENDING:
			pending++
		case task.StatusASSIGNED, task.StatusRUNNING:
			active++
		}
	}
	if active == 0 && (pending == 0 || pending == n) {
		return nil, false, false
	}
	return out, changed, true
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
