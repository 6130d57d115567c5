package tasks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
)

// Eligibility is the hook through which rules outside this package (account
// cooldowns, next) hold tasks back from a claim. Admit runs inside the claim
// transaction after the candidates are locked — no other claim can take
// them until it commits — and before any is assigned, so a rule that counts
// what it admits (and writes its counters through tx) can never be
// overtaken by a concurrent claim on another worker or replica.
//
// Admit returns one Verdict per candidate, in order. An error rolls the
// whole claim back: nothing is assigned and nothing is published.
//
// Candidates come in claim order (priority desc, not_before, id) and number
// at most the claim's limit: a held task is not replaced by the next one, so
// a claim may return fewer tasks than are eligible. Deferring (Verdict.Until)
// keeps held tasks from crowding the front of later claims.
type Eligibility interface {
	Admit(ctx context.Context, tx *ent.Tx, now time.Time, candidates []*ent.Task) ([]Verdict, error)
}

// EligibilityFunc adapts a function to Eligibility.
type EligibilityFunc func(ctx context.Context, tx *ent.Tx, now time.Time, candidates []*ent.Task) ([]Verdict, error)

// Admit calls f.
func (f EligibilityFunc) Admit(ctx context.Context, tx *ent.Tx, now time.Time, candidates []*ent.Task) ([]Verdict, error) {
	return f(ctx, tx, now, candidates)
}

// AdmitAll is the default Eligibility: every candidate may be claimed.
var AdmitAll Eligibility = EligibilityFunc(func(_ context.Context, _ *ent.Tx, _ time.Time, c []*ent.Task) ([]Verdict, error) {
	return make([]Verdict, len(c)), nil
})

// Verdict is Eligibility's answer about one candidate. The zero Verdict
// admits it.
type Verdict struct {
	// Hold keeps the task out of this claim; it stays PENDING.
	Hold bool
	// Until, with Hold, defers the task: its not_before moves to Until, so
	// no claim considers it earlier. A zero Until, or one not after now,
	// leaves the task untouched.
	Until time.Time
	// Reason says why, for the task's log when it is deferred.
	Reason string
}

// Claim assigns up to limit claimable tasks of the viewer's workspace to
// worker: PENDING, not_before reached, of one of kinds (any kind when kinds
// is empty), admitted by the Eligibility hook; highest priority first, then
// oldest not_before, then id. Each lease carries its own token, which the
// worker must present to report on the task.
func (s *Service) Claim(ctx context.Context, worker string, kinds []task.Kind, limit int) ([]Lease, error) {
	return s.ClaimHandingOver(ctx, worker, kinds, limit, nil)
}

// Handover prepares claimed tasks for their worker inside the claim's
// transaction (decrypting what the worker needs, say). An error rolls the
// claim back: the tasks stay PENDING for the next claim instead of sitting
// leased to a worker that never got them.
type Handover func(ctx context.Context, tx *ent.Tx, leases []Lease) error

// ClaimHandingOver is Claim with h run on the leases before the claim
// commits (nil: nothing to hand over).
func (s *Service) ClaimHandingOver(ctx context.Context, worker string, kinds []task.Kind, limit int, h Handover) ([]Lease, error) {
	ws, err := workspaceOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireWorker(ctx); err != nil {
		return nil, err
	}
	if strings.TrimSpace(worker) == "" || len(worker) > maxWorkerName {
		return nil, errs.Invalid("worker", "must be 1 to %d characters", maxWorkerName)
	}
	if limit < 1 || limit > MaxClaim {
		return nil, errs.Invalid("limit", "must be between 1 and %d", MaxClaim)
	}
	for _, k := range kinds {
		if _, err := s.definitionOf("kinds", k); err != nil {
			return nil, err
		}
	}
	now := s.now()
	var leases []Lease
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		candidates, err := s.claims.lock(ctx, tx.Task.Query().
			Where(claimable(s.claims, ws, kinds, now)...).
			Order(claimOrder...).
			Limit(limit))
		if err != nil {
			return fmt.Errorf("lock candidates: %w", err)
		}
		if len(candidates) == 0 {
			return nil
		}
		admitted, err := s.admit(ctx, tx, now, candidates)
		if err != nil {
			return err
		}
		if len(admitted) == 0 {
			return nil
		}
		a := assignment{workspaceID: ws, owner: worker, now: now, expires: now.Add(s.opts.LeaseDuration)}
		for _, t := range admitted {
			a.ids = append(a.ids, t.ID)
			a.tokens = append(a.tokens, newToken())
		}
		n, err := s.claims.assign(ctx, tx, a)
		if err != nil {
			return fmt.Errorf("assign tasks: %w", err)
		}
		if n != int64(len(admitted)) {
			// The rows are locked (PostgreSQL) or the database is (SQLite):
			// nothing else can have changed them. Refuse to guess.
			return fmt.Errorf("assign tasks: updated %d of %d locked tasks", n, len(admitted))
		}
		// The UPDATE set exactly these values; mirror them instead of
		// reading the rows back.
		for i, t := range admitted {
			t.Status = task.StatusASSIGNED
			t.LeaseOwner = worker
			t.LeaseToken = a.tokens[i]
			t.LeaseExpiresAt = &a.expires
			t.Attempts++
			t.UpdatedAt = now
			leases = append(leases, Lease{Task: t, Token: a.tokens[i]})
		}
		err = s.record(ctx, tx, events.OpUpdated, admitted, func(t *ent.Task) entry {
			return entry{logentry.LevelINFO, "task.assigned",
				fmt.Sprintf("assigned to %s (attempt %d of %d)", worker, t.Attempts, t.MaxAttempts),
				map[string]any{"worker": worker, "attempt": t.Attempts, "leaseExpiresAt": a.expires}}
		})
		if err != nil || h == nil {
			return err
		}
		if err := h(ctx, tx, leases); err != nil {
			return fmt.Errorf("hand over: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim tasks: %w", err)
	}
	for _, l := range leases {
		l.Task.Unwrap()
	}
	return leases, nil
}

// admit asks the Eligibility hook about the locked candidates, defers those
// it holds until a later time, and returns the admitted ones in order.
func (s *Service) admit(ctx context.Context, tx *ent.Tx, now time.Time, candidates []*ent.Task) ([]*ent.Task, error) {
	verdicts, err := s.opts.Eligibility.Admit(ctx, tx, now, candidates)
	if err != nil {
		return nil, fmt.Errorf("eligibility: %w", err)
	}
	if len(verdicts) != len(candidates) {
		return nil, fmt.Errorf("eligibility: %d verdicts for %d candidates", len(verdicts), len(candidates))
	}
	var admitted, deferred []*ent.Task
	for i, t := range candidates {
		v := verdicts[i]
		switch {
		case !v.Hold:
			admitted = append(admitted, t)
		case v.Until.After(now):
			until := v.Until.Truncate(time.Microsecond)
			if err := tx.Task.Update().
				Where(task.ID(t.ID), task.StatusEQ(task.StatusPENDING)).
				SetNotBefore(until).
				Exec(ctx); err != nil {
				return nil, fmt.Errorf("defer task %d: %w", t.ID, err)
			}
			t.NotBefore = until
			deferred = append(deferred, t)
		}
	}
	err = s.record(ctx, tx, events.OpUpdated, deferred, func(t *ent.Task) entry {
		i := indexOf(candidates, t)
		return entry{logentry.LevelDEBUG, "task.deferred",
			"deferred until " + t.NotBefore.UTC().Format(time.RFC3339) + reasonSuffix(verdicts[i].Reason),
			map[string]any{"notBefore": t.NotBefore, "reason": verdicts[i].Reason}}
	})
	return admitted, err
}

func indexOf(ts []*ent.Task, t *ent.Task) int {
	for i := range ts {
		if ts[i] == t {
			return i
		}
	}
	return -1
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

// assignment is what one claim writes: the same owner, expiry and clock for
// every task, a token each.
type assignment struct {
	workspaceID int
	owner       string
	ids         []int
	tokens      []string
	now         time.Time
	expires     time.Time
}

// claimable selects the tasks of workspace ws a claim may take at now.
func claimable(cs claimStore, ws int, kinds []task.Kind, now time.Time) []predicate.Task {
	where := []predicate.Task{task.WorkspaceID(ws), task.StatusEQ(task.StatusPENDING), cs.due(now)}
	if len(kinds) > 0 {
		where = append(where, task.KindIn(kinds...))
	}
	return where
}

// claimOrder is the order tasks are claimed in, which the claim-order
// index of the Task schema holds.
var claimOrder = []task.OrderOption{task.ByPriority(sql.OrderDesc()), task.ByNotBefore(), task.ByID()}

// claimStore is a claim's use of the store driver: how candidates are
// locked, how parameters are written and which index the due filter may
// use.
type claimStore struct{ d store.Driver }

func newClaimStore(d store.Driver) claimStore { return claimStore{d} }

// lock runs q, locking the rows it returns until the transaction ends and
// skipping rows another transaction has locked: concurrent claims, in this
// process or another replica, each take different rows and none waits for
// another.
func (c claimStore) lock(ctx context.Context, q *ent.TaskQuery) ([]*ent.Task, error) {
	return store.LockRows(c.d, q, store.LockSkip).All(ctx)
}

// assign leases a.ids in one UPDATE and returns how many rows changed.
func (c claimStore) assign(ctx context.Context, tx *ent.Tx, a assignment) (int64, error) {
	return execAssign(ctx, tx, a, c.d.Placeholder)
}

// due selects the tasks whose not_before has passed at now, keeping the
// planner off the (status, not_before) index. Without statistics SQLite's
// planner prefers that index's range for a query reading whole rows, then
// sorts every due task of every workspace into claim order: 150 ms a claim
// with 300,000 pending tasks. Off that index, the claim-order index is
// read instead and the claim stops at its limit.
func (c claimStore) due(now time.Time) predicate.Task {
	return func(s *sql.Selector) {
		col := c.d.NoIndex(s.C(task.FieldNotBefore))
		s.Where(sql.P(func(b *sql.Builder) { b.WriteString(col).WriteOp(sql.OpLTE).Arg(now) }))
	}
}

// execAssign writes the leases in one statement. ent's update builder sets
// one value for every row, and each task needs its own token, hence raw
// SQL: it bypasses the privacy layer, so it is scoped by workspace here and
// guarded by status (it can only turn PENDING into ASSIGNED). Column names
// come from the generated constants so a schema change breaks the build,
// not the query.
func execAssign(ctx context.Context, tx *ent.Tx, a assignment, ph func(int) string) (int64, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return ph(len(args)) }
	var b strings.Builder
	fmt.Fprintf(&b, "UPDATE %s SET %s = %s, %s = %s, %s = %s, %s = %s + 1, %s = %s, %s = CASE %s",
		task.Table,
		task.FieldStatus, arg(task.StatusASSIGNED.String()),
		task.FieldLeaseOwner, arg(a.owner),
		task.FieldLeaseExpiresAt, arg(a.expires),
		task.FieldAttempts, task.FieldAttempts,
		task.FieldUpdatedAt, arg(a.now),
		task.FieldLeaseToken, task.FieldID)
	for i, id := range a.ids {
		fmt.Fprintf(&b, " WHEN %s THEN %s", arg(id), arg(a.tokens[i]))
	}
	fmt.Fprintf(&b, " END WHERE %s = %s AND %s = %s AND %s IN (",
		task.FieldWorkspaceID, arg(a.workspaceID),
		task.FieldStatus, arg(task.StatusPENDING.String()),
		task.FieldID)
	for i, id := range a.ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(arg(id))
	}
	b.WriteString(")")
	res, err := tx.ExecContext(ctx, b.String(), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
