package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
)

// Op is what a worker reports about a task it holds.
type Op int

// The reports a worker makes on its lease.
const (
	// OpStart marks an assigned task as running.
	OpStart Op = iota + 1
	// OpComplete records the task's result.
	OpComplete
	// OpFail records that the attempt failed.
	OpFail
	// OpHeartbeat extends the lease by the lease duration from now.
	OpHeartbeat
)

func (o Op) String() string {
	switch o {
	case OpStart:
		return "start"
	case OpComplete:
		return "complete"
	case OpFail:
		return "fail"
	case OpHeartbeat:
		return "heartbeat"
	default:
		return fmt.Sprintf("op(%d)", int(o))
	}
}

// Report is one worker report on a task it holds a lease on.
type Report struct {
	Ref   Ref
	Proof Proof
	Op    Op
	// Result is what a completed task produced (OpComplete): it must
	// decode into the kind's result type.
	Result map[string]any
	// Reason and Retryable describe a failure (OpFail).
	Reason    string
	Retryable bool
}

// Outcome is the answer to one Report: the task as its batch left it (the
// changes committed), or why the report was refused.
type Outcome struct {
	Task *ent.Task
	Err  error
}

// Start marks an assigned task as running. Starting a task that is already
// running under the same lease returns it unchanged, so a worker may retry a
// Start whose answer it did not receive.
func (s *Service) Start(ctx context.Context, ref Ref, p Proof) (*ent.Task, error) {
	return s.reportOne(ctx, Report{Ref: ref, Proof: p, Op: OpStart})
}

// Complete records the result of an assigned or running task. The lease
// token is kept on the completed task so that a worker retrying a Complete
// whose answer it lost gets the task back unchanged; a repeat with a
// different result is a conflict.
func (s *Service) Complete(ctx context.Context, ref Ref, p Proof, result map[string]any) (*ent.Task, error) {
	return s.reportOne(ctx, Report{Ref: ref, Proof: p, Op: OpComplete, Result: result})
}

// Fail records that an attempt failed. A retryable failure with attempts
// left returns the task to PENDING after the backoff, without a lease;
// otherwise the task is FAILED for good with reason as its error. The lease
// ends either way, so failing twice is a conflict.
func (s *Service) Fail(ctx context.Context, ref Ref, p Proof, reason string, retryable bool) (*ent.Task, error) {
	return s.reportOne(ctx, Report{Ref: ref, Proof: p, Op: OpFail, Reason: reason, Retryable: retryable})
}

// Heartbeat extends the lease by the lease duration from now. It writes no
// log entry (it is no transition, and a worker sends many) and runs no
// handler, but publishes the task's change like every other report.
func (s *Service) Heartbeat(ctx context.Context, ref Ref, p Proof) (*ent.Task, error) {
	return s.reportOne(ctx, Report{Ref: ref, Proof: p, Op: OpHeartbeat})
}

// reportOne hands r to the workspace's group commit and waits for its
// outcome: it is answered only once the transaction that recorded it has
// committed.
func (s *Service) reportOne(ctx context.Context, r Report) (*ent.Task, error) {
	if err := requireWorker(ctx); err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Op, r.Ref, err)
	}
	ws, err := workspaceOf(ctx)
	if err != nil {
		return nil, err
	}
	o := s.commits.submit(ctx, ws, r)
	return o.Task, o.Err
}

// ReportMany records a batch of reports in one transaction: each is checked
// on its own and answered on its own (a report without a live lease is
// refused while the others are recorded), and every accepted one is
// committed together. Only worker keys report.
func (s *Service) ReportMany(ctx context.Context, reports []Report) ([]Outcome, error) {
	if err := requireWorker(ctx); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if _, err := workspaceOf(ctx); err != nil {
		return nil, err
	}
	if len(reports) > MaxReports {
		return nil, errs.Invalid("reports", "at most %d reports at once", MaxReports)
	}
	if len(reports) == 0 {
		return nil, nil
	}
	return s.applyOrSplit(ctx, reports), nil
}

// MaxReports is the most reports one ReportMany (or one group commit) takes.
const MaxReports = 200

// applyOrSplit applies reports in one transaction. When that transaction
// fails as a whole (a handler's error, a lost connection), no report is
// recorded; each is then applied on its own so that one report's trouble
// is its own answer and not its neighbours'.
func (s *Service) applyOrSplit(ctx context.Context, reports []Report) []Outcome {
	out, err := s.apply(ctx, reports)
	if err == nil {
		return out
	}
	if len(reports) == 1 {
		return []Outcome{{Err: fmt.Errorf("%s %s: %w", reports[0].Op, reports[0].Ref, err)}}
	}
	out = make([]Outcome, len(reports))
	for i := range reports {
		out[i] = s.applyOrSplit(ctx, reports[i:i+1])[0]
	}
	return out
}

// change is what one report does to its task: the columns it sets (already
// mirrored on the task) and the log entry that says so. A nil change is an
// idempotent repeat that writes nothing; a change without an entry (a
// heartbeat) is no transition: it is written and published, but neither
// logged nor handed to the kinds' handlers.
type change struct {
	set   map[string]any
	entry *entry
}

// apply runs reports in one transaction: the tasks they name are locked in
// id order (so two batches cannot deadlock), each report is decided on its
// task as the earlier reports of the batch left it, and then all accepted
// changes are written at once — one UPDATE, one multi-row log insert, the
// kinds' handlers over every changed task, one event each on commit.
func (s *Service) apply(ctx context.Context, reports []Report) ([]Outcome, error) {
	ws, err := workspaceOf(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, len(reports))
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		now := s.now()
		locked, err := lockRefs(ctx, tx, s.driver, reports)
		if err != nil {
			return err
		}
		var (
			changed, moved []*ent.Task
			sets           = map[int]map[string]any{}
			logs           []taskEntry
		)
		for i, r := range reports {
			t := find(locked, r.Ref)
			if t == nil {
				out[i].Err = fmt.Errorf("%s %s: %w", r.Op, r.Ref, errs.FromEnt(&ent.NotFoundError{}, "task"))
				continue
			}
			def, ok := s.kinds.lookup(t.Kind)
			if !ok {
				out[i].Err = fmt.Errorf("%s %s: %w", r.Op, r.Ref, errs.Invalid("kind", "no package handles kind %q; reports on it are refused", t.Kind))
				continue
			}
			c, err := s.decide(r, t, def, now)
			if err != nil {
				out[i].Err = fmt.Errorf("%s %s: %w", r.Op, r.Ref, err)
				continue
			}
			out[i].Task = t
			if c == nil {
				continue
			}
			if _, seen := sets[t.ID]; !seen {
				sets[t.ID] = map[string]any{}
				changed = append(changed, t)
			}
			for col, v := range c.set {
				sets[t.ID][col] = v
			}
			if c.entry == nil {
				continue
			}
			if !slices.Contains(moved, t) {
				moved = append(moved, t)
			}
			logs = append(logs, taskEntry{t, *c.entry})
		}
		if len(changed) == 0 {
			return nil
		}
		if err := writeTasks(ctx, tx, s.driver.Placeholder, ws, now, changed, sets); err != nil {
			return err
		}
		return s.recordEach(ctx, tx, changed, moved, logs)
	})
	if err != nil {
		return nil, err
	}
	unwrapped := map[*ent.Task]bool{} // a task reported twice appears twice
	for _, o := range out {
		if o.Task != nil && !unwrapped[o.Task] {
			o.Task.Unwrap()
			unwrapped[o.Task] = true
		}
	}
	return out, nil
}

// decide checks report r against its locked task t and returns the change
// it makes, mirrored on t. It changes nothing on t when it refuses.
func (s *Service) decide(r Report, t *ent.Task, def *definition, now time.Time) (*change, error) {
	switch r.Op {
	case OpStart:
		return decideStart(r.Proof, t, now)
	case OpComplete:
		return decideComplete(r.Proof, t, def, r.Result, now)
	case OpFail:
		return s.decideFail(r.Proof, t, r.Reason, r.Retryable, now)
	case OpHeartbeat:
		return s.decideHeartbeat(r.Proof, t, now)
	default:
		return nil, errs.Invalid("op", "unknown report %s", r.Op)
	}
}

func (s *Service) decideHeartbeat(p Proof, t *ent.Task, now time.Time) (*change, error) {
	if !holds(t, p, now) {
		return nil, errLeaseNotHeld()
	}
	expires := now.Add(s.opts.LeaseDuration)
	t.LeaseExpiresAt = &expires
	return &change{set: map[string]any{task.FieldLeaseExpiresAt: expires}}, nil
}

func decideStart(p Proof, t *ent.Task, now time.Time) (*change, error) {
	if !holds(t, p, now) {
		return nil, errLeaseNotHeld()
	}
	if t.Status == task.StatusRUNNING {
		return nil, nil
	}
	c := &change{set: map[string]any{task.FieldStatus: task.StatusRUNNING.String()}}
	t.Status = task.StatusRUNNING
	if t.StartedAt == nil { // the first attempt's start is kept across retries
		c.set[task.FieldStartedAt] = now
		t.StartedAt = &now
	}
	c.entry = &entry{logentry.LevelINFO, "task.started", "started by " + t.LeaseOwner,
		map[string]any{"worker": t.LeaseOwner, "attempt": t.Attempts}}
	return c, nil
}

func decideComplete(p Proof, t *ent.Task, def *definition, result map[string]any, now time.Time) (*change, error) {
	want, err := canonicalJSON(result)
	if err != nil {
		return nil, errs.Invalid("result", "is not JSON: %v", err)
	}
	if t.Status == task.StatusCOMPLETED && p.matches(t) {
		got, err := canonicalJSON(t.Result)
		if err != nil {
			return nil, fmt.Errorf("stored result: %w", err)
		}
		if !bytes.Equal(got, want) {
			return nil, errs.Conflict("task was already completed with a different result")
		}
		return nil, nil
	}
	if !holds(t, p, now) {
		return nil, errLeaseNotHeld()
	}
	if p.started && t.Status != task.StatusRUNNING {
		return nil, errNotStarted()
	}
	// After the lease check: who holds no lease learns nothing about the
	// kind's result shape.
	if err := def.checkResult(result); err != nil {
		return nil, err
	}
	// As it reads back: numbers are float64.
	mirror := result
	if len(result) > 0 {
		if err := json.Unmarshal(want, &mirror); err != nil {
			return nil, fmt.Errorf("mirror result: %w", err)
		}
	}
	stored := json.RawMessage("null")
	if result != nil {
		stored = json.RawMessage(want)
	}
	t.Status, t.FinishedAt, t.LeaseExpiresAt, t.Result = task.StatusCOMPLETED, &now, nil, mirror
	return &change{
		set: map[string]any{
			task.FieldStatus:         task.StatusCOMPLETED.String(),
			task.FieldResult:         stored,
			task.FieldFinishedAt:     now,
			task.FieldLeaseExpiresAt: nil,
		},
		entry: &entry{logentry.LevelINFO, "task.completed", "completed by " + t.LeaseOwner,
			map[string]any{"worker": t.LeaseOwner, "attempt": t.Attempts}},
	}, nil
}

func (s *Service) decideFail(p Proof, t *ent.Task, reason string, retryable bool, now time.Time) (*change, error) {
	if !holds(t, p, now) {
		return nil, errLeaseNotHeld()
	}
	if p.started && t.Status != task.StatusRUNNING {
		return nil, errNotStarted()
	}
	worker := t.LeaseOwner
	c := &change{set: map[string]any{
		task.FieldError:          reason,
		task.FieldLeaseToken:     "",
		task.FieldLeaseExpiresAt: nil,
	}}
	t.Error, t.LeaseToken, t.LeaseExpiresAt = reason, "", nil
	if retryable && t.Attempts < t.MaxAttempts {
		next := s.backoff(now, t.Attempts)
		c.set[task.FieldStatus] = task.StatusPENDING.String()
		c.set[task.FieldNotBefore] = next
		c.set[task.FieldLeaseOwner] = ""
		t.Status, t.NotBefore, t.LeaseOwner = task.StatusPENDING, next, ""
		c.entry = &entry{logentry.LevelWARN, "task.retrying",
			fmt.Sprintf("attempt %d of %d failed on %s; retrying after %s: %s", t.Attempts, t.MaxAttempts, worker, next.UTC().Format(time.RFC3339), reason),
			map[string]any{"worker": worker, "attempt": t.Attempts, "reason": reason, "notBefore": next}}
		return c, nil
	}
	// The owner stays for the record; the token goes with the lease.
	c.set[task.FieldStatus] = task.StatusFAILED.String()
	c.set[task.FieldFinishedAt] = now
	t.Status, t.FinishedAt = task.StatusFAILED, &now
	c.entry = &entry{logentry.LevelERROR, "task.failed",
		fmt.Sprintf("attempt %d of %d failed on %s: %s", t.Attempts, t.MaxAttempts, worker, reason),
		map[string]any{"worker": worker, "attempt": t.Attempts, "reason": reason, "retryable": retryable}}
	return c, nil
}
