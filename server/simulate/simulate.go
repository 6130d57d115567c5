// Package simulate is a stand-in worker for development and tests. It
// speaks the real native worker protocol of the GraphQL API (claimTasks,
// startTask, heartbeatTask, completeTask, failTask, and optionally the
// taskAvailable subscription) with a worker API key, and reports outcomes
// from a script. It never contacts a social platform: a "published" post
// is a made-up link under example.invalid.
package simulate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/ent/task"
)

// Banner is printed first, so nobody mistakes the simulator for a worker.
const Banner = "SIMULATED WORKER: reports scripted outcomes and never contacts a social platform"

// Config configures Run.
type Config struct {
	// URL is the server's base URL; the API is at URL + "/query".
	URL string
	// Key is a worker API key, sent as X-API-Key.
	Key string
	// Kinds are the task kinds to claim (post_publish, like, ... or upper
	// case); any kind when empty.
	Kinds []string
	// Script decides outcomes; nil completes every task successfully.
	Script *Script
	// Concurrency is how many tasks run at once. Default 1.
	Concurrency int
	// Limit is the most tasks one claim asks for (1 to 100). Default 5.
	Limit int
	// Once makes Run claim once, run what it got, and return.
	Once bool
	// MaxTasks, when positive, stops Run after it has claimed that many.
	MaxTasks int
	// IdleExit, when positive, stops Run once nothing was claimed or ran
	// for that long.
	IdleExit time.Duration
	// Subscribe wakes the simulator with the taskAvailable subscription
	// instead of polling (it still polls, slowly, as a safety net, and
	// every PollInterval while the subscription is down).
	Subscribe bool
	// Worker labels the leases. Default "sim-1".
	Worker string
	// PollInterval is the wait after an empty claim. Default 1s.
	PollInterval time.Duration
	// HTTPClient is used for requests. Default: a client with a 30s timeout.
	HTTPClient *http.Client
}

// Validate fills defaults and reports a configuration that cannot run.
func (c *Config) Validate() error {
	if c.URL == "" {
		return errors.New("--url is required")
	}
	if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
		return fmt.Errorf("--url %q: want http:// or https://", c.URL)
	}
	c.URL = strings.TrimSuffix(strings.TrimSuffix(c.URL, "/"), "/query")
	if c.Key == "" {
		return errors.New("--key is required (a worker API key: switchboard keys create --scope worker)")
	}
	for i, k := range c.Kinds {
		kind, err := ParseKind(k)
		if err != nil {
			return fmt.Errorf("--kinds: %w", err)
		}
		c.Kinds[i] = kind
	}
	if c.Script == nil {
		c.Script = &Script{Default: OutcomeSuccess}
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Concurrency < 0 || c.Concurrency > 1000 {
		return errors.New("--concurrency: must be 1 to 1000")
	}
	if c.Limit == 0 {
		c.Limit = 5
	}
	if c.Limit < 1 || c.Limit > 100 {
		return errors.New("--limit: must be 1 to 100")
	}
	if c.MaxTasks < 0 {
		return errors.New("--max-tasks: must not be negative")
	}
	if c.IdleExit < 0 {
		return errors.New("--idle-exit: must not be negative")
	}
	if c.Worker == "" {
		c.Worker = "sim-1"
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	return nil
}

// ParseKind turns post_publish or POST_PUBLISH into the TaskKind enum value.
func ParseKind(s string) (string, error) {
	k := strings.ToUpper(strings.TrimSpace(s))
	if task.KindValidator(task.Kind(k)) != nil {
		return "", fmt.Errorf("unknown task kind %q", s)
	}
	return k, nil
}

// Summary counts what a run did.
type Summary struct {
	Claimed    int // leases received
	Completed  int // completed with a success outcome
	Challenged int // completed with a challenge or another login verdict
	Failed     int // reported as failed (the server may retry them)
	Errors     int // requests that failed
}

func (s Summary) String() string {
	return fmt.Sprintf("claimed %d, completed %d, challenged %d, failed %d, errors %d",
		s.Claimed, s.Completed, s.Challenged, s.Failed, s.Errors)
}

// runner is one Run.
type runner struct {
	cfg Config
	c   *client
	out io.Writer

	mu      sync.Mutex
	sum     Summary
	running int
	idle    time.Time // when the runner last had work
}

// Run claims and reports tasks until ctx ends or a stop condition of cfg
// is met, printing a line per task and a summary to out. It returns the
// summary and, when it stopped because of one, the error that stopped it
// (an invalid configuration, a key the server refuses). A stop by ctx is not
// an error: tasks in progress are failed as retryable so they go back to
// the queue at once.
func Run(ctx context.Context, cfg Config, out io.Writer) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	r := &runner{cfg: cfg, out: out, idle: time.Now(),
		c: &client{url: cfg.URL + "/query", key: cfg.Key, http: cfg.HTTPClient}}
	r.logf("%s", Banner)
	r.logf("server %s, worker %q, kinds %s, concurrency %d", cfg.URL, cfg.Worker, kindsText(cfg.Kinds), cfg.Concurrency)

	var wg sync.WaitGroup
	defer wg.Wait()
	subCtx, cancelSub := context.WithCancel(ctx)
	defer cancelSub()
	wake := make(chan struct{}, 1)
	var subscribed atomic.Bool
	if cfg.Subscribe {
		wg.Go(func() {
			subscribe(subCtx, wsURLOf(cfg.URL), cfg.Key, cfg.Kinds, wake, subscribed.Store, r.logf)
		})
	}

	err := r.dispatch(ctx, &wg, wake, subscribed.Load)
	cancelSub()
	wg.Wait()
	sum := r.summary()
	r.logf("summary: %s", sum)
	return sum, err
}

// dispatch claims while there is room and hands leases to executors.
func (r *runner) dispatch(ctx context.Context, wg *sync.WaitGroup, wake <-chan struct{}, subscribed func() bool) error {
	slots := make(chan struct{}, r.cfg.Concurrency)
	for range r.cfg.Concurrency {
		slots <- struct{}{}
	}
	done := make(chan struct{}, r.cfg.Concurrency) // an executor finished
	for {
		if ctx.Err() != nil {
			return nil
		}
		remaining := r.remaining()
		if remaining == 0 {
			r.logf("claimed --max-tasks %d tasks; stopping", r.cfg.MaxTasks)
			return nil
		}
		// Wait for a free slot, then take every free one up to the limit.
		select {
		case <-ctx.Done():
			return nil
		case <-slots:
		}
		free := 1
		for free < min(r.cfg.Limit, remaining) {
			select {
			case <-slots:
				free++
				continue
			default:
			}
			break
		}
		leases, err := r.c.claim(ctx, r.cfg.Kinds, free, r.cfg.Worker)
		for range free - len(leases) {
			slots <- struct{}{}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.count(func(s *Summary) { s.Errors++ })
			r.logf("claim failed: %v", err)
			var ge *Error
			if errors.As(err, &ge) && ge.fatal() || r.cfg.Once {
				return err
			}
		}
		if len(leases) > 0 {
			r.count(func(s *Summary) { s.Claimed += len(leases) })
			r.mu.Lock()
			r.running += len(leases)
			r.mu.Unlock()
			for _, l := range leases {
				wg.Go(func() {
					r.execute(ctx, l)
					r.mu.Lock()
					r.running--
					r.idle = time.Now()
					r.mu.Unlock()
					slots <- struct{}{}
					select {
					case done <- struct{}{}:
					default:
					}
				})
			}
		}
		if r.cfg.Once {
			return nil
		}
		if len(leases) > 0 && err == nil {
			continue // there may be more
		}
		if r.idleFor() {
			r.logf("idle for %s; stopping", r.cfg.IdleExit)
			return nil
		}
		wait := r.cfg.PollInterval
		if subscribed() {
			wait = 10 * r.cfg.PollInterval // the subscription wakes us
		}
		if r.cfg.IdleExit > 0 {
			wait = min(wait, r.cfg.IdleExit)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-wake:
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
}

// remaining is how many more tasks may be claimed (MaxInt without a cap).
func (r *runner) remaining() int {
	if r.cfg.MaxTasks <= 0 {
		return int(^uint(0) >> 1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return max(r.cfg.MaxTasks-r.sum.Claimed, 0)
}

// idleFor reports whether the idle exit is due: no task running and none
// claimed or finished for IdleExit.
func (r *runner) idleFor() bool {
	if r.cfg.IdleExit <= 0 {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running == 0 && time.Since(r.idle) >= r.cfg.IdleExit
}

func (r *runner) count(f func(*Summary)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.sum)
	r.idle = time.Now()
}

func (r *runner) summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sum
}

// logf prints one line to out; lines of concurrent executors do not
// interleave.
func (r *runner) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.out, format+"\n", args...)
}

// execute runs one lease: start, wait the scripted delay (heartbeating a
// long one), report the scripted outcome.
func (r *runner) execute(ctx context.Context, l lease) {
	id, kind := l.Task.ID, l.Task.Kind
	// Reports outlive a cancelled ctx, so a stopping simulator can still
	// hand its tasks back.
	rctx := context.WithoutCancel(ctx)
	report := func(f func(context.Context) error) error {
		c, cancel := context.WithTimeout(rctx, 30*time.Second)
		defer cancel()
		return f(c)
	}
	if err := report(func(c context.Context) error { return r.c.start(c, id, l.Token) }); err != nil {
		r.count(func(s *Summary) { s.Errors++ })
		r.logf("task %s %s: start failed: %v", id, kind, err)
		return
	}
	step, delay := r.cfg.Script.step(kind)
	if err := r.wait(ctx, l, delay); err != nil {
		// Stopped (or the lease could not be kept): give the task back.
		var status string
		ferr := report(func(c context.Context) error {
			var e error
			status, e = r.c.fail(c, id, l.Token, "simulator stopped: "+err.Error(), true)
			return e
		})
		if ferr != nil {
			r.count(func(s *Summary) { s.Errors++ })
			r.logf("task %s %s: hand back failed: %v", id, kind, ferr)
			return
		}
		r.logf("task %s %s: handed back (%s): %v", id, kind, strings.ToLower(status), err)
		return
	}
	switch step.Outcome {
	case OutcomeFail:
		reason := step.Error
		if reason == "" {
			reason = "simulated failure"
		}
		var status string
		err := report(func(c context.Context) error {
			var e error
			status, e = r.c.fail(c, id, l.Token, reason, step.retryable())
			return e
		})
		if err != nil {
			r.count(func(s *Summary) { s.Errors++ })
			r.logf("task %s %s: fail failed: %v", id, kind, err)
			return
		}
		r.count(func(s *Summary) { s.Failed++ })
		r.logf("task %s %s: failed (%s, now %s)", id, kind, reason, strings.ToLower(status))
	case OutcomeChallenge, "two_factor", "bad_password", "checkpoint", "not_found", "wrong_code":
		res := map[string]any{"outcome": step.Outcome}
		if step.Outcome == OutcomeChallenge {
			ch := cmp.Or(step.Challenge, "email")
			res["challenge"], res["challengeType"] = ch, ch
		}
		if err := report(func(c context.Context) error { return r.c.complete(c, id, l.Token, res) }); err != nil {
			r.count(func(s *Summary) { s.Errors++ })
			r.logf("task %s %s: complete failed: %v", id, kind, err)
			return
		}
		r.count(func(s *Summary) { s.Challenged++ })
		r.logf("task %s %s: %s %s", id, kind, step.Outcome, step.Challenge)
	default:
		link := step.Link
		if link == "" {
			link = "https://example.invalid/" + strings.ToLower(kind) + "/{task}"
		}
		link = strings.ReplaceAll(link, "{task}", id)
		res := map[string]any{"outcome": OutcomeSuccess, "link_post": link}
		if kind == string(task.KindLOGIN) || kind == string(task.KindCHALLENGE_SUBMIT) {
			// What a real worker keeps of a login: the platform's id of the
			// account and its session, both made up.
			res["instagramId"], res["session"] = "sim-"+id, "simulated-session-"+id
		}
		if err := report(func(c context.Context) error { return r.c.complete(c, id, l.Token, res) }); err != nil {
			r.count(func(s *Summary) { s.Errors++ })
			r.logf("task %s %s: complete failed: %v", id, kind, err)
			return
		}
		r.count(func(s *Summary) { s.Completed++ })
		r.logf("task %s %s: completed %s", id, kind, link)
	}
}

// wait sleeps d, heartbeating whenever half of the lease's remaining time
// has passed. It returns an error when ctx ends or a heartbeat fails.
func (r *runner) wait(ctx context.Context, l lease, d time.Duration) error {
	deadline := time.Now().Add(d)
	leaseFor := time.Until(l.ExpiresAt)
	expires := l.ExpiresAt
	for {
		now := time.Now()
		if !now.Before(deadline) {
			return nil
		}
		next := deadline
		beat := now.Add(max(expires.Sub(now)/2, 500*time.Millisecond))
		if beat.Before(next) {
			next = beat
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.New("interrupted")
		case <-t.C:
		}
		if next.Equal(beat) && time.Now().Before(deadline) {
			c, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := r.c.heartbeat(c, l.Task.ID, l.Token)
			cancel()
			if err != nil {
				r.count(func(s *Summary) { s.Errors++ })
				return fmt.Errorf("heartbeat: %w", err)
			}
			if leaseFor > 0 {
				expires = time.Now().Add(leaseFor)
			}
		}
	}
}

func kindsText(kinds []string) string {
	if len(kinds) == 0 {
		return "any"
	}
	return strings.Join(kinds, ",")
}
