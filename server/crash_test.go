package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/logentry"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// serveEnv makes the test binary a server process: TestMain runs serve
// instead of the tests when it is set, so the processes the crash test kills
// run the binary's own serve path.
const serveEnv = "SWITCHBOARD_TEST_SERVE"

// serveIfAsked runs serve and exits when the test binary was started as a
// server process.
func serveIfAsked() {
	if os.Getenv(serveEnv) == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, []string{"serve"}, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

const (
	crashSecretKey = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	crashLease     = 2 * time.Second
)

// serverProcess is one switchboard process on a fixed address, which a
// restart reuses so its workers find it again.
type serverProcess struct {
	t    *testing.T
	addr string
	env  []string
	cmd  *exec.Cmd
	done chan struct{}
}

func startServerProcess(t *testing.T, dbURL string) *serverProcess {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	p := &serverProcess{t: t, addr: addr, env: append(os.Environ(),
		serveEnv+"=1",
		"ADDR="+addr,
		"DATA_DIR="+t.TempDir(),
		"DATABASE_URL="+dbURL,
		"SWITCHBOARD_SECRET_KEY="+crashSecretKey,
		"SWITCHBOARD_LEASE_DURATION="+crashLease.String(),
		"SWITCHBOARD_RETRY_BACKOFF=100ms",
		"LOG_LEVEL=warn",
	)}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *serverProcess) start() {
	p.t.Helper()
	self, err := os.Executable()
	if err != nil {
		p.t.Fatal(err)
	}
	p.cmd = exec.Command(self, "-test.run=^$")
	p.cmd.Env = p.env
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		// Warnings and errors of the server go to the test log; a 5xx
		// answered to a worker shows up here with its cause.
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.t.Logf("%s: %s", p.addr, sc.Text())
		}
		_ = cmd.Wait()
		close(done)
	}(p.cmd, p.done)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("server %s exited while starting", p.addr)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("server %s not ready after 30s: %v", p.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: no deferred function, no drain, no
// flush of a group commit in progress.
func (p *serverProcess) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *serverProcess) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

// crashWorker runs the Likepion loop against one server with its own key.
// When its server vanishes it drops what it holds, as a worker that lost its
// connection does, and claims again once the server answers.
type crashWorker struct {
	client *http.Client
	base   string
	key    string
}

var errGone = errors.New("server gone")

// errLeaseLost: a start or complete refused because the worker's lease
// ran out first. With the 2 s leases of this test a round of ten calls on
// a loaded machine can outlast one (CI saw it); a real worker drops the
// task and claims again, and the task goes to whoever claims it next.
var errLeaseLost = errors.New("lease lost")

func (w *crashWorker) call(ctx context.Context, method, path, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, w.base+"/api/v1/social"+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-API-Key", w.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %v", errGone, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %v", errGone, err)
	}
	return resp.StatusCode, out, nil
}

// round claims up to 5 tasks and starts and completes each, calling done
// for every completion acknowledged. It returns errGone when the server
// went away mid-round, and false when the claim found nothing.
func (w *crashWorker) round(ctx context.Context, done func(id string)) (bool, error) {
	code, raw, err := w.call(ctx, http.MethodGet, "/links?limit=5", "")
	if err != nil {
		return false, err
	}
	if code != http.StatusOK {
		return false, fmt.Errorf("links: %d %s", code, raw)
	}
	var links struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &links); err != nil {
		return false, err
	}
	for _, l := range links.Data {
		code, raw, err := w.call(ctx, http.MethodPost, "/links/"+l.ID+"/start", "")
		if err != nil {
			return true, err
		}
		if err := leaseAnswer("start", l.ID, code, raw); err != nil {
			return true, err
		}
		code, raw, err = w.call(ctx, http.MethodPost, "/links/"+l.ID+"/complete", `{"link_post":"https://example.invalid/p/`+l.ID+`"}`)
		if err != nil {
			return true, err
		}
		if err := leaseAnswer("complete", l.ID, code, raw); err != nil {
			return true, err
		}
		done(l.ID)
	}
	return len(links.Data) > 0, nil
}

// leaseAnswer is nil for a 200, errLeaseLost for the Likepion answer to a
// lease that is no longer held, and an error for anything else.
func leaseAnswer(call, id string, code int, raw []byte) error {
	switch {
	case code == http.StatusOK:
		return nil
	case code == http.StatusConflict && strings.Contains(string(raw), `"lease is not held"`):
		return fmt.Errorf("%w: %s %s", errLeaseLost, call, id)
	}
	return fmt.Errorf("%s %s: %d %s", call, id, code, raw)
}

// TestKilledServerLosesNoTaskAndCompletesNoneTwice: two server processes
// on one PostgreSQL database, eight Likepion workers over HTTP (four on
// each), group commit on as always. One process is killed with SIGKILL in
// the middle of the run and started again. Every task ends COMPLETED,
// completed exactly once (one completion in its log, no completion
// acknowledged twice), no task was leased to a second worker before its
// first lease expired, and the leases the dead process's workers dropped
// came back once expired (SWITCHBOARD_LEASE_DURATION=2s here) instead of
// being lost.
func TestKilledServerLosesNoTaskAndCompletesNoneTwice(t *testing.T) {
	if !testkit.HavePostgres() {
		t.Skip("needs PostgreSQL: two server processes share one database")
	}
	const (
		accounts, posts = 20, 25 // 500 tasks
		total           = accounts * posts
		workers         = 8
	)
	t0 := time.Now()
	dbURL := testkit.PostgresURL(t)
	servers := []*serverProcess{startServerProcess(t, dbURL)} // migrates the database
	servers = append(servers, startServerProcess(t, dbURL))

	t.Logf("servers up in %s", time.Since(t0))
	// The user, keys and tasks are written by an app in the test process
	// that serves nothing.
	cfg := config.Default()
	cfg.DatabaseURL, cfg.SecretKey, cfg.DataDir = dbURL, crashSecretKey, t.TempDir()
	a, err := app.Open(t.Context(), cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	st := a.Store
	u, err := a.Auth.CreateUser(t.Context(), auth.CreateUserParams{Username: "crash", Password: testkit.Password("crash")})
	if err != nil {
		t.Fatal(err)
	}
	ws := u.WorkspaceID
	seedCrashTasks(t, st, u.ID, ws, accounts, posts)
	ws0 := make([]*crashWorker, workers)
	for i := range ws0 {
		raw, _, err := a.Auth.CreateAPIKey(t.Context(), u.ID, fmt.Sprintf("w%d", i), viewer.ScopeWorker)
		if err != nil {
			t.Fatal(err)
		}
		ws0[i] = &crashWorker{client: &http.Client{Timeout: 20 * time.Second}, base: "http://" + servers[i%2].addr, key: raw}
	}
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)

	t.Logf("seeded in %s", time.Since(t0))
	var (
		mu      sync.Mutex
		acked   = make(map[string]int, total)
		count   atomic.Int64
		dropped atomic.Int64
		lost    atomic.Int64
		wg      sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	ctxW := viewer.NewContext(ctx, &viewer.Viewer{UserID: u.ID, WorkspaceID: ws})
	finished := func() bool {
		n, err := st.Client.Task.Query().Where(task.StatusNEQ(task.StatusCOMPLETED)).Count(ctxW)
		return err == nil && n == 0
	}
	start := time.Now()
	for _, w := range ws0 {
		wg.Go(func() {
			for ctx.Err() == nil {
				got, err := w.round(ctx, func(id string) {
					count.Add(1)
					mu.Lock()
					acked[id]++
					mu.Unlock()
				})
				switch {
				case errors.Is(err, errGone):
					dropped.Add(1)
					time.Sleep(50 * time.Millisecond)
				case errors.Is(err, errLeaseLost):
					lost.Add(1)
				case err != nil:
					t.Error(err)
					return
				case !got:
					// Nothing claimable: done, or the dropped leases
					// have not expired yet.
					if finished() {
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}

	// Kill one process a fifth of the way through, mid-batch.
	for count.Load() < total/5 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	servers[0].kill()
	killedAt := time.Now()
	time.Sleep(200 * time.Millisecond)
	servers[0].start()
	t.Logf("killed %s after %d completions, back in %s", servers[0].addr, count.Load(), time.Since(killedAt).Round(time.Millisecond))
	wg.Wait()
	t.Logf("%d workers completed %d tasks in %s; %d rounds cut by the kill, %d by a lease that ran out",
		workers, count.Load(), time.Since(start).Round(time.Millisecond), dropped.Load(), lost.Load())
	if ctx.Err() != nil {
		t.Fatalf("not every task completed in time: %d acknowledged", count.Load())
	}
	if t.Failed() {
		return
	}
	if dropped.Load() == 0 {
		t.Fatal("no worker lost its server: the kill proved nothing")
	}

	for id, n := range acked {
		if n != 1 {
			t.Errorf("task %s: completion acknowledged %d times", id, n)
		}
	}
	ts := st.Client.Task.Query().AllX(ctxW)
	if len(ts) != total {
		t.Fatalf("%d tasks, want %d", len(ts), total)
	}
	retried := 0
	for _, tk := range ts {
		if tk.Status != task.StatusCOMPLETED {
			t.Errorf("task %d is %s", tk.ID, tk.Status)
		}
		if tk.Attempts > 1 {
			retried++
		}
	}
	// Each task's log: one completion, and every assignment after the
	// first made only once the previous lease had expired.
	entries := st.Client.LogEntry.Query().
		Where(logentry.TaskIDNotNil(), logentry.EventIn("task.assigned", "task.completed")).
		Order(logentry.ByID()).AllX(sys)
	completions := map[int]int{}
	leaseEnd := map[int]time.Time{}
	for _, e := range entries {
		id := *e.TaskID
		if e.Event == "task.completed" {
			completions[id]++
			continue
		}
		if end, ok := leaseEnd[id]; ok && e.CreatedAt.Before(end) {
			t.Errorf("task %d assigned again at %s while its lease ran to %s", id, e.CreatedAt.Format(time.StampMicro), end.Format(time.StampMicro))
		}
		var at time.Time
		if s, ok := e.Data["leaseExpiresAt"].(string); ok {
			at, _ = time.Parse(time.RFC3339Nano, s)
		}
		if at.IsZero() {
			t.Fatalf("task %d: assignment without leaseExpiresAt: %v", id, e.Data)
		}
		leaseEnd[id] = at
	}
	for _, tk := range ts {
		if completions[tk.ID] != 1 {
			t.Errorf("task %d completed %d times in its log", tk.ID, completions[tk.ID])
		}
	}
	t.Logf("%d tasks completed once each; %d needed a second lease after the kill", total, retried)
}

// seedCrashTasks creates accounts accounts and posts posts in workspace ws,
// each post with a pending post_publish task for every account, as the
// scheduler leaves a due post.
func seedCrashTasks(t *testing.T, st *store.Store, user, ws, accounts, posts int) {
	t.Helper()
	ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: user, WorkspaceID: ws})
	payload := map[string]any{"title": "Crash", "body": "<p>crash</p>", "link": "https://example.invalid", "media": []string{}}
	var accs []*ent.Account
	for i := range accounts {
		accs = append(accs, st.Client.Account.Create().SetPlatform(account.PlatformFacebook).
			SetUsername(fmt.Sprintf("crash%03d", i)).SetEnergyBudget(1000).SaveX(ctx))
	}
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	for range posts {
		p := st.Client.Post.Create().SetTitle("Crash").SetBody("<p>crash</p>").SetLink("https://example.invalid").
			SetStatus(post.StatusQUEUED).AddAccounts(accs...).SaveX(ctx)
		bulk := make([]*ent.TaskCreate, len(accs))
		for i, a := range accs {
			bulk[i] = st.Client.Task.Create().SetWorkspaceID(ws).SetKind(task.KindPOST_PUBLISH).
				SetActionType("post").SetAccountID(a.ID).SetPostID(p.ID).SetPayload(payload).
				SetNotBefore(time.Now().Add(-time.Second))
		}
		st.Client.Task.CreateBulk(bulk...).ExecX(sys)
	}
}
