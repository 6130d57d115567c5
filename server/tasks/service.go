package tasks

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Defaults of Options.
const (
	DefaultLeaseDuration = 10 * time.Minute
	// MaxClaim is the most tasks one Claim may take.
	MaxClaim = 100
	// maxWorkerName bounds the lease owner a worker reports.
	maxWorkerName = 200
)

// Options configure a Service. The zero value is usable.
type Options struct {
	// LeaseDuration is how long a claim or heartbeat keeps a lease alive.
	// Default 10 minutes.
	LeaseDuration time.Duration
	// Backoff is how long a task that failed (retryably) or whose lease
	// expired waits before it may be claimed again; attempt is the number
	// of attempts made so far (1 after the first). Default DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// Now is the clock. Default time.Now; tests pass their own.
	Now func() time.Time
	// Eligibility may hold candidates back inside the claim transaction.
	// Default: every candidate is admitted.
	Eligibility Eligibility
}

// DefaultBackoff waits 30s·2^(attempt-1), capped at one hour: 30s after the
// first attempt, 1m after the second, … 1h from the eighth on.
func DefaultBackoff(attempt int) time.Duration { return DoublingBackoff(DefaultRetryBackoff)(attempt) }

// DefaultRetryBackoff is DefaultBackoff's wait after the first attempt.
const DefaultRetryBackoff = 30 * time.Second

// DoublingBackoff waits base·2^(attempt-1), capped at one hour.
func DoublingBackoff(base time.Duration) func(attempt int) time.Duration {
	const ceiling = time.Hour
	return func(attempt int) time.Duration {
		if base <= 0 {
			return 0
		}
		attempt = max(attempt, 1)
		d := base
		for range attempt - 1 {
			if d >= ceiling {
				break
			}
			d <<= 1
		}
		return min(d, ceiling)
	}
}

// Service leases tasks to workers and records what they report.
type Service struct {
	client *ent.Client
	driver store.Driver
	bus    events.Bus
	claims claimStore
	// commits batches concurrent worker reports of a workspace into one
	// transaction.
	commits *groupCommit
	opts    Options
	// kinds are the task kinds the domain packages registered, with the
	// handlers that keep their state in step with their tasks.
	kinds *registry
}

// NewService returns a task service on st, publishing through bus.
func NewService(st *store.Store, bus events.Bus, opts Options) *Service {
	if opts.LeaseDuration <= 0 {
		opts.LeaseDuration = DefaultLeaseDuration
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Eligibility == nil {
		opts.Eligibility = AdmitAll
	}
	s := &Service{client: st.Client, driver: st.Driver, bus: bus, claims: newClaimStore(st.Driver), opts: opts, kinds: newRegistry()}
	s.commits = newGroupCommit(s.applyOrSplit)
	return s
}

// Lease is a task assigned to a worker with the token that proves it.
type Lease struct {
	Task  *ent.Task
	Token string
}

// now is the service clock at the database's precision (PostgreSQL keeps
// microseconds), so a time handed to a caller equals the one read back.
func (s *Service) now() time.Time { return s.opts.Now().Truncate(time.Microsecond) }

// backoff returns when a task that has made attempts may run again.
func (s *Service) backoff(now time.Time, attempts int) time.Time {
	return now.Add(max(s.opts.Backoff(attempts), 0))
}

// errLeaseNotHeld is what every report without a live lease gets: a wrong
// token, an expired lease, a task that moved on. One message for all, so a
// caller cannot probe which it was.
func errLeaseNotHeld() error { return errs.Conflict("lease is not held") }

// Proof is what a report presents to show it holds a task's lease: the token
// handed out with the lease (GraphQL worker face), or, for protocols whose
// reports carry no token (Likepion), the identity of the worker that claimed
// the task. An owner proof is weaker: a worker identity that re-claims the
// same task after its lease expired may report on the new lease.
type Proof struct {
	token   string
	owner   string
	started bool
}

// Started returns p requiring, for Complete and Fail, that the task was
// started first (Likepion's protocol makes /start mandatory).
func (p Proof) Started() Proof { p.started = true; return p }

// errNotStarted is a report that needs a started task on an ASSIGNED one.
func errNotStarted() error { return errs.Conflict("task has not been started") }

// ByToken proves a lease by its token.
func ByToken(token string) Proof { return Proof{token: token} }

// ByOwner proves a lease by the worker identity that claimed it.
func ByOwner(owner string) Proof { return Proof{owner: owner} }

// matches reports whether p names the lease recorded on t (live or not).
func (p Proof) matches(t *ent.Task) bool {
	if p.token != "" {
		return tokenEqual(t.LeaseToken, p.token)
	}
	// The token is kept while a lease exists or the task completed; an
	// owner alone, after the lease ended, proves nothing.
	return p.owner != "" && t.LeaseToken != "" && t.LeaseOwner == p.owner
}

// holds reports whether p proves the live lease on t at now.
func holds(t *ent.Task, p Proof, now time.Time) bool {
	return (t.Status == task.StatusASSIGNED || t.Status == task.StatusRUNNING) &&
		t.LeaseExpiresAt != nil && now.Before(*t.LeaseExpiresAt) &&
		p.matches(t)
}

// tokenEqual compares lease tokens in constant time. An empty stored token
// (no lease) never matches.
func tokenEqual(stored, presented string) bool {
	return stored != "" && subtle.ConstantTimeCompare([]byte(stored), []byte(presented)) == 1
}

// newToken returns a fresh lease token: 32 random bytes, hex-encoded.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return hex.EncodeToString(b[:])
}

// workspaceOf returns the viewer's workspace; raw SQL is scoped by it.
func workspaceOf(ctx context.Context) (int, error) {
	v := viewer.FromContext(ctx)
	if v == nil || v.WorkspaceID <= 0 {
		return 0, errs.Unauthenticated("a workspace viewer is required")
	}
	return v.WorkspaceID, nil
}

// entry is one LogEntry about a task, written in the transaction that made
// the change it describes.
type entry struct {
	level   logentry.Level
	event   string
	message string
	data    map[string]any
}

// record appends one LogEntry per task (all about the same change) and
// arranges one task event each (op: events.OpUpdated or OpCreated),
// published when tx commits. A transition (OpUpdated) runs the handlers of
// the tasks' kinds; creation runs none: whoever creates a task writes what
// goes with it in the same transaction.
func (s *Service) record(ctx context.Context, tx *ent.Tx, op string, ts []*ent.Task, e func(*ent.Task) entry) error {
	if len(ts) == 0 {
		return nil
	}
	logs := make([]taskEntry, len(ts))
	for i, t := range ts {
		logs[i] = taskEntry{t, e(t)}
	}
	if err := s.writeLog(ctx, tx, logs); err != nil {
		return err
	}
	s.publish(tx, op, ts)
	if op != events.OpUpdated {
		return nil
	}
	if err := s.changed(ctx, tx, ts); err != nil {
		return fmt.Errorf("after task change: %w", err)
	}
	return nil
}

// recordEach is record for a batch of reports, whose transitions each say
// something of their own (a task may have several entries): the entries in
// one insert, one event per changed task, the handlers once over the tasks
// that moved (a heartbeat changes its task without moving it).
func (s *Service) recordEach(ctx context.Context, tx *ent.Tx, changed, moved []*ent.Task, logs []taskEntry) error {
	s.publish(tx, events.OpUpdated, changed)
	if len(moved) == 0 {
		return nil
	}
	if err := s.writeLog(ctx, tx, logs); err != nil {
		return err
	}
	if err := s.changed(ctx, tx, moved); err != nil {
		return fmt.Errorf("after task change: %w", err)
	}
	return nil
}

// taskEntry is a log entry about task t.
type taskEntry struct {
	t *ent.Task
	e entry
}

// writeLog inserts the entries in one statement.
func (s *Service) writeLog(ctx context.Context, tx *ent.Tx, logs []taskEntry) error {
	creates := make([]*ent.LogEntryCreate, len(logs))
	for i, l := range logs {
		t, en := l.t, l.e
		creates[i] = tx.LogEntry.Create().
			SetWorkspaceID(t.WorkspaceID).
			SetTaskID(t.ID).
			SetNillableAccountID(t.AccountID).
			SetNillableJobID(t.JobID).
			SetNillableScheduleID(t.ScheduleID).
			SetLevel(en.level).
			SetEvent(en.event).
			SetMessage(en.message).
			SetData(en.data)
	}
	if err := tx.LogEntry.CreateBulk(creates...).Exec(ctx); err != nil {
		return fmt.Errorf("write task log: %w", err)
	}
	return nil
}

// publish arranges one task event per task, sent when tx commits.
func (s *Service) publish(tx *ent.Tx, op string, ts []*ent.Task) {
	evs := make([]events.Event, len(ts))
	for i, t := range ts {
		evs[i] = events.Event{Topic: events.TopicTask, WorkspaceID: t.WorkspaceID, ID: t.ID, Op: op}
	}
	s.bus.PublishOnCommit(tx, evs...)
}

// lockTask loads the task ref names through the privacy layer (another workspace's
// task is not found) and locks it until tx ends so a report and the reaper
// cannot both act on it.
func lockTask(ctx context.Context, tx *ent.Tx, d store.Driver, ref Ref) (*ent.Task, error) {
	t, err := store.LockRows(d, tx.Task.Query().Where(ref.where()...), store.LockWait).First(ctx)
	if err != nil {
		return nil, errs.FromEnt(err, "task")
	}
	return t, nil
}

// requireWorker refuses every viewer but a worker key: only workers claim
// tasks and report on them, whatever face they come through.
func requireWorker(ctx context.Context) error {
	if !viewer.FromContext(ctx).IsWorker() {
		return errs.Forbidden("only worker API keys may claim and report on tasks")
	}
	return nil
}

// Worker returns the lease owner name of the calling worker: its key's
// identity, with label appended when the worker gives one (several
// processes may share a key). Only worker-scoped API keys may hold leases.
func Worker(ctx context.Context, label string) (string, error) {
	v := viewer.FromContext(ctx)
	id := v.WorkerIdentity()
	if id == "" {
		return "", errs.Forbidden("only worker API keys may claim and report on tasks")
	}
	label = strings.TrimSpace(label)
	if label == "" {
		return id, nil
	}
	if len(label) > maxWorkerName-len(id)-1 {
		return "", errs.Invalid("worker", "must be at most %d characters", maxWorkerName-len(id)-1)
	}
	return id + "/" + label, nil
}
