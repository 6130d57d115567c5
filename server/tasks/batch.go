package tasks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
)

// lockRefs loads the tasks reports name through the privacy layer (another
// workspace's task is not found) and locks them until tx ends, in id order,
// so that a report, the reaper and other batches cannot act on them at the
// same time nor deadlock each other.
func lockRefs(ctx context.Context, tx *ent.Tx, d store.Driver, reports []Report) ([]*ent.Task, error) {
	q := tx.Task.Query().Where(refsWhere(reports)).Order(task.ByID())
	ts, err := store.LockRows(d, q, store.LockWait).All(ctx)
	if err != nil {
		return nil, errs.FromEnt(err, "task")
	}
	return ts, nil
}

// refsWhere selects the tasks reports name: their ids are looked up by
// the names (ids, UUIDs) in a subquery, and the outer query — which the
// privacy layer scopes to the workspace — reads those ids. Named directly
// in the outer query, from three names on SQLite's planner (without
// statistics) preferred the (workspace_id, id) index, which serves the
// workspace filter and the id order at once, to the names' own keys, and
// read the workspace's every task for each batch. The names are given as
// two IN lists, each name once: as one OR per report (a native worker's
// batch names each task twice, start and complete), PostgreSQL's generic
// plan for a batch of 100 filtered every task with 100 comparisons, 80 ms
// a batch. A name's kinds are checked on the locked task (find).
func refsWhere(reports []Report) predicate.Task {
	var (
		ids   []int
		uuids []uuid.UUID
	)
	for _, r := range reports {
		if r.Ref.id != 0 {
			if !slices.Contains(ids, r.Ref.id) {
				ids = append(ids, r.Ref.id)
			}
		} else if !slices.Contains(uuids, r.Ref.uuid) {
			uuids = append(uuids, r.Ref.uuid)
		}
	}
	var names []predicate.Task
	if len(ids) > 0 {
		names = append(names, task.IDIn(ids...))
	}
	if len(uuids) > 0 {
		names = append(names, task.UUIDIn(uuids...))
	}
	return func(s *sql.Selector) {
		named := sql.Table(task.Table).As("named")
		sub := sql.Dialect(s.Dialect()).Select(named.C(task.FieldID)).From(named)
		task.Or(names...)(sub)
		s.Where(sql.In(s.C(task.FieldID), sub))
	}
}

// find returns the task of ts that ref names, or nil.
func find(ts []*ent.Task, ref Ref) *ent.Task {
	for _, t := range ts {
		if ref.id != 0 && t.ID == ref.id {
			return t
		}
		if ref.id == 0 && t.UUID == ref.uuid && (len(ref.kinds) == 0 || slices.Contains(ref.kinds, t.Kind)) {
			return t
		}
	}
	return nil
}

// writeTasks writes the changes of the locked tasks ts in one UPDATE: each
// column any of them sets becomes a CASE on the id, every other task
// keeping its value. It is raw SQL — ent's update builder sets one value
// for every row — so it is scoped to workspace ws here; the rows were read
// through the privacy layer and are locked, so the mirror on each task is
// exact.
func writeTasks(ctx context.Context, tx *ent.Tx, ph func(int) string, ws int, now time.Time, ts []*ent.Task, sets map[int]map[string]any) error {
	var cols []string
	for _, t := range ts {
		for col := range sets[t.ID] {
			if !slices.Contains(cols, col) {
				cols = append(cols, col)
			}
		}
	}
	slices.Sort(cols) // one statement text per set of columns
	var args []any
	arg := func(v any) string { args = append(args, v); return ph(len(args)) }
	var b strings.Builder
	fmt.Fprintf(&b, "UPDATE %s SET %s = %s", task.Table, task.FieldUpdatedAt, arg(now))
	for _, col := range cols {
		fmt.Fprintf(&b, ", %s = CASE %s", col, task.FieldID)
		for _, t := range ts {
			if v, ok := sets[t.ID][col]; ok {
				fmt.Fprintf(&b, " WHEN %s THEN %s", arg(t.ID), arg(v))
			}
		}
		fmt.Fprintf(&b, " ELSE %s END", col)
	}
	fmt.Fprintf(&b, " WHERE %s = %s AND %s IN (", task.FieldWorkspaceID, arg(ws), task.FieldID)
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(arg(t.ID))
	}
	b.WriteString(")")
	res, err := tx.ExecContext(ctx, b.String(), args...)
	if err != nil {
		return fmt.Errorf("write tasks: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("write tasks: %w", err)
	}
	if n != int64(len(ts)) {
		return fmt.Errorf("write tasks: %d of %d locked rows changed", n, len(ts))
	}
	for _, t := range ts {
		t.UpdatedAt = now
	}
	return nil
}

// groupCommit batches the reports of one workspace that arrive while an
// earlier batch of that workspace is being written: they share the next
// transaction, and each is answered when it has committed. There is no
// goroutine of its own: the caller that finds no batch running writes one,
// then hands the turn to the first caller still waiting, whose batch holds
// everything that arrived meanwhile. A lone report therefore waits for
// nobody, and under load a transaction carries as many reports as arrived
// during the previous one — and, after a batch of several, those that
// arrive within a short gather (see gather).
type groupCommit struct {
	apply func(ctx context.Context, reports []Report) []Outcome

	mu sync.Mutex
	// queues holds, per workspace with a batch running, the reports waiting
	// for the next one. A workspace is absent when none is running.
	queues map[int][]*waiting
	// last is, per workspace, the size and duration of its latest batch;
	// arrived is signalled when a report joins its queue (see gather).
	last    map[int]batchStat
	arrived map[int]chan struct{}
	// maxGather bounds how long a leader waits for its batch to fill.
	maxGather time.Duration
}

// batchStat is the size and duration of a workspace's latest batch.
type batchStat struct {
	n   int
	dur time.Duration
}

// defaultMaxGather is groupCommit.maxGather: a fraction of a batch on
// PostgreSQL, where a batch is some eight round trips.
const defaultMaxGather = 2 * time.Millisecond

// waiting is a submitted report and where its caller waits.
type waiting struct {
	ctx    context.Context
	report Report
	// turn is closed when this caller is to write the next batch; done
	// when its outcome is set.
	turn, done chan struct{}
	outcome    Outcome
}

func newGroupCommit(apply func(ctx context.Context, reports []Report) []Outcome) *groupCommit {
	return &groupCommit{apply: apply, queues: map[int][]*waiting{}, last: map[int]batchStat{}, arrived: map[int]chan struct{}{}, maxGather: defaultMaxGather}
}

// submit records r as part of a batch of workspace ws and returns its
// outcome once the batch has committed (or failed).
func (g *groupCommit) submit(ctx context.Context, ws int, r Report) Outcome {
	w := &waiting{ctx: ctx, report: r, turn: make(chan struct{}), done: make(chan struct{})}
	g.mu.Lock()
	q, running := g.queues[ws]
	if running {
		g.queues[ws] = append(q, w)
		if c := g.arrived[ws]; c != nil {
			select {
			case c <- struct{}{}:
			default:
			}
		}
		g.mu.Unlock()
		select {
		case <-w.done:
			return w.outcome
		case <-w.turn:
		}
	} else {
		g.queues[ws] = nil
		g.mu.Unlock()
	}
	g.lead(ws, w)
	return w.outcome
}

// lead writes the batch that w heads: w and, when w was waiting, the
// reports queued with it, then passes the turn on.
func (g *groupCommit) lead(ws int, w *waiting) {
	g.gather(ws, w)
	batch := []*waiting{w}
	g.mu.Lock()
	if q := g.queues[ws]; len(q) > 0 && q[0] == w {
		// w was queued: take it and those behind it, up to the cap.
		n := min(len(q), MaxReports)
		batch = q[:n:n]
		g.queues[ws] = q[n:]
	} else if len(q) > 0 {
		// w led without queueing, and others queued while it gathered.
		n := min(len(q), MaxReports-1)
		batch = append(batch, q[:n]...)
		g.queues[ws] = q[n:]
	}
	g.mu.Unlock()
	started := time.Now()
	defer func() {
		g.mu.Lock()
		g.last[ws] = batchStat{len(batch), time.Since(started)}
		g.mu.Unlock()
	}()

	reports := make([]Report, len(batch))
	for i, b := range batch {
		reports[i] = b.report
	}
	// The batch outlives any one caller's request: a caller that goes away
	// does not take its neighbours' reports down with it.
	outs := g.apply(context.WithoutCancel(w.ctx), reports)
	for i, b := range batch {
		b.outcome = outs[i]
		if b != w {
			close(b.done)
		}
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	if q := g.queues[ws]; len(q) > 0 {
		close(q[0].turn)
		return
	}
	delete(g.queues, ws)
}

// gather lets the batch w leads fill before it is written, when the
// workspace's latest batch held several reports: their workers, answered
// as the previous batch committed, send their next reports a moment later,
// and without a wait they would queue behind this whole batch, the
// workers splitting into two cohorts that take turns. It waits until as
// many reports as the latest batch held are queued (w included), or a
// quarter of that batch's duration (at most g.maxGather) has passed. A lone
// report, or one after a lone report, waits for nobody.
func (g *groupCommit) gather(ws int, w *waiting) {
	g.mu.Lock()
	last := g.last[ws]
	q := g.queues[ws]
	queued := len(q) > 0 && q[0] == w
	have := len(q)
	if !queued {
		have++ // w itself
	}
	wait := min(last.dur/4, g.maxGather)
	if last.n <= 1 || have >= last.n || wait <= 0 {
		g.mu.Unlock()
		return
	}
	c := make(chan struct{}, 1)
	g.arrived[ws] = c
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.arrived, ws)
		g.mu.Unlock()
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for have < last.n {
		select {
		case <-timer.C:
			return
		case <-c:
		}
		g.mu.Lock()
		have = len(g.queues[ws])
		if !queued {
			have++
		}
		g.mu.Unlock()
	}
}
