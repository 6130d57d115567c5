package simulate_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/simulate"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// bundle is a real server with a worker key and a way to enqueue tasks.
type bundle struct {
	srv *testkit.Server
	key string
	ctx context.Context // the key owner's session
	sys context.Context
}

func setup(t *testing.T, st *store.Store) *bundle {
	t.Helper()
	srv := testkit.StartServer(t, st)
	u := srv.CreateUser(t, "worker", viewer.RoleMember, "ws")
	return &bundle{
		srv: srv,
		key: srv.APIKey(t, u, viewer.ScopeWorker),
		ctx: testkit.ViewerContext(t.Context(), u),
		sys: privacy.DecisionContext(t.Context(), privacy.Allow),
	}
}

func (b *bundle) enqueue(t *testing.T, kind task.Kind, n int) []*ent.Task {
	t.Helper()
	ins := make([]tasks.EnqueueInput, n)
	for i := range ins {
		ins[i] = tasks.EnqueueInput{Kind: kind}
	}
	ts, err := b.srv.App.Tasks.EnqueueMany(b.ctx, ins)
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return ts
}

func (b *bundle) reload(t *testing.T, id int) *ent.Task {
	t.Helper()
	return b.srv.App.Store.Client.Task.GetX(b.sys, id)
}

func (b *bundle) run(t *testing.T, ctx context.Context, cfg simulate.Config) (simulate.Summary, string) {
	t.Helper()
	cfg.URL, cfg.Key = b.srv.URL, b.key
	var out bytes.Buffer
	sum, err := simulate.Run(ctx, cfg, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	return sum, out.String()
}

func TestSimulatorReportsScriptedOutcomes(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		posts := b.enqueue(t, task.KindPOST_PUBLISH, 4)
		like := b.enqueue(t, task.KindLIKE, 1)[0]
		script, err := simulate.ParseScript([]byte(`{
			"default": "success",
			"kinds": {
				"post_publish": [
					{"outcome": "success", "link": "https://example.invalid/p/{task}"},
					{"outcome": "fail", "error": "rate limited", "retryable": false}
				],
				"like": [{"outcome": "challenge", "challenge": "email"}]
			},
			"delay": "5ms"
		}`))
		if err != nil {
			t.Fatalf("parse script: %v", err)
		}
		sum, out := b.run(t, t.Context(), simulate.Config{
			Kinds: []string{"post_publish", "like"}, Script: script, Limit: 1, MaxTasks: 5,
		})
		if want := (simulate.Summary{Claimed: 5, Completed: 2, Failed: 2, Challenged: 1}); sum != want {
			t.Fatalf("summary %+v, want %+v\n%s", sum, want, out)
		}
		if !strings.Contains(out, "never contacts a social platform") {
			t.Fatalf("output does not say it is a simulator:\n%s", out)
		}
		for i, p := range posts {
			got := b.reload(t, p.ID)
			if i%2 == 0 {
				want := "https://example.invalid/p/" + strconv.Itoa(p.ID)
				if got.Status != task.StatusCOMPLETED || got.Result["link_post"] != want || got.Result["outcome"] != "success" {
					t.Fatalf("post task %d: %s %v, want COMPLETED with link_post %s", i, got.Status, got.Result, want)
				}
			} else if got.Status != task.StatusFAILED || got.Error != "rate limited" {
				t.Fatalf("post task %d: %s %q, want FAILED rate limited", i, got.Status, got.Error)
			}
		}
		if got := b.reload(t, like.ID); got.Status != task.StatusCOMPLETED ||
			got.Result["outcome"] != "challenge" || got.Result["challenge"] != "email" {
			t.Fatalf("like task: %s %v, want COMPLETED with an email challenge", got.Status, got.Result)
		}
	})
}

func TestSimulatorExitsWhenIdleAndClaimsOnlyItsKinds(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	b := setup(t, st)
	mine := b.enqueue(t, task.KindPOST_PUBLISH, 6)
	other := b.enqueue(t, task.KindFOLLOW, 1)[0]
	start := time.Now()
	sum, out := b.run(t, t.Context(), simulate.Config{
		Kinds: []string{"post_publish"}, Concurrency: 3, Limit: 2, IdleExit: 300 * time.Millisecond,
	})
	if sum.Claimed != 6 || sum.Completed != 6 || sum.Errors != 0 {
		t.Fatalf("summary %+v, want 6 claimed and completed\n%s", sum, out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("idle exit took %s", d)
	}
	for _, tk := range mine {
		if got := b.reload(t, tk.ID); got.Status != task.StatusCOMPLETED {
			t.Fatalf("task %d is %s, want COMPLETED", tk.ID, got.Status)
		}
	}
	if got := b.reload(t, other.ID); got.Status != task.StatusPENDING {
		t.Fatalf("task of another kind is %s, want PENDING", got.Status)
	}
}

func TestSimulatorWakesOnTheTaskAvailableSubscription(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	b := setup(t, st)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var (
		wg  sync.WaitGroup
		sum simulate.Summary
		out string
	)
	wg.Go(func() {
		// Polling once a minute: only the subscription can wake it in time.
		sum, out = b.run(t, ctx, simulate.Config{Subscribe: true, MaxTasks: 1, PollInterval: time.Minute})
	})
	if err := b.srv.App.Live.WaitForSubscribers(ctx, 1); err != nil {
		cancel()
		wg.Wait()
		t.Fatalf("simulator did not subscribe: %v\n%s", err, out)
	}
	tk := b.enqueue(t, task.KindLIKE, 1)[0]
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("simulator was not woken: %+v\n%s", sum, out)
	}
	if got := b.reload(t, tk.ID); sum.Completed != 1 || got.Status != task.StatusCOMPLETED {
		t.Fatalf("summary %+v, task %s; want it completed\n%s", sum, got.Status, out)
	}
	if err := b.srv.App.Live.WaitForSubscribers(t.Context(), 0); err != nil {
		t.Fatalf("subscription not released: %v", err)
	}
}

func TestStoppedSimulatorHandsItsTaskBack(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	b := setup(t, st)
	tk := b.enqueue(t, task.KindLIKE, 1)[0]
	script, err := simulate.ParseScript([]byte(`{"delay": "1m"}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan simulate.Summary)
	go func() {
		sum, _ := b.run(t, ctx, simulate.Config{Script: script})
		done <- sum
	}()
	deadline := time.Now().Add(10 * time.Second)
	for b.reload(t, tk.ID).Status != task.StatusRUNNING {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("task never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case sum := <-done:
		if sum.Claimed != 1 || sum.Completed != 0 {
			t.Fatalf("summary %+v", sum)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("simulator did not stop")
	}
	if got := b.reload(t, tk.ID); got.Status != task.StatusPENDING || !strings.HasPrefix(got.Error, "simulator stopped") {
		t.Fatalf("task is %s (%q), want PENDING again", got.Status, got.Error)
	}
}

func TestSimulatorStopsOnARefusedKey(t *testing.T) {
	st := testkit.Open(t, testkit.SQLite)
	b := setup(t, st)
	var out bytes.Buffer
	_, err := simulate.Run(t.Context(), simulate.Config{URL: b.srv.URL, Key: "sht_" + strings.Repeat("0", 64)}, &out)
	var ge *simulate.Error
	if !errors.As(err, &ge) || ge.Code != "UNAUTHENTICATED" {
		t.Fatalf("run with a wrong key: %v, want UNAUTHENTICATED\n%s", err, out.String())
	}
}

func TestSimulatorRefusesBadConfiguration(t *testing.T) {
	cases := []struct {
		name string
		cfg  simulate.Config
		want string
	}{
		{"no url", simulate.Config{Key: "k"}, "--url"},
		{"not http", simulate.Config{URL: "ftp://x", Key: "k"}, "--url"},
		{"no key", simulate.Config{URL: "http://x"}, "--key"},
		{"unknown kind", simulate.Config{URL: "http://x", Key: "k", Kinds: []string{"post_publish", "teleport"}}, "teleport"},
		{"limit too high", simulate.Config{URL: "http://x", Key: "k", Limit: 101}, "--limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := simulate.Run(t.Context(), tc.cfg, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one about %s", err, tc.want)
			}
		})
	}
}

func TestParseScriptRejects(t *testing.T) {
	cases := []struct{ name, script, want string }{
		{"unknown outcome", `{"kinds": {"like": [{"outcome": "explode"}]}}`, "explode"},
		{"unknown default", `{"default": "maybe"}`, "maybe"},
		{"unknown kind", `{"kinds": {"teleport": []}}`, "teleport"},
		{"bad delay", `{"delay": "soon"}`, "duration"},
		{"unknown field", `{"dealy": "1s"}`, "dealy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := simulate.ParseScript([]byte(tc.script))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one about %s", err, tc.want)
			}
		})
	}
}

// The simulator answers live logins as the challenges service expects: a
// scripted SMS challenge, then the code accepted.
func TestSimulatorRunsALiveLoginWithAChallenge(t *testing.T) {
	b := setup(t, testkit.Open(t, testkit.SQLite))
	script, err := simulate.ParseScript([]byte(`{"kinds": {"login": [{"outcome": "challenge", "challenge": "sms"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = simulate.Run(ctx, simulate.Config{URL: b.srv.URL, Key: b.key, Kinds: []string{"login", "challenge_submit"},
			Script: script, PollInterval: 20 * time.Millisecond}, io.Discard)
	}()
	t.Cleanup(func() { cancel(); <-done })

	out, err := b.srv.App.Challenges.Login(b.ctx, challenges.LoginInput{Username: "sim.shop", Password: "pw"})
	if err != nil || out.Result != challenges.ResultNeedsChallenge || out.ChallengeType != "sms" {
		t.Fatalf("login: %+v, %v; want an SMS challenge", out, err)
	}
	code := "123456"
	out, err = b.srv.App.Challenges.Submit(b.ctx, challenges.SubmitInput{ChallengeToken: out.Token, Code: &code})
	if err != nil || out.Result != challenges.ResultCreated || out.Account.Username != "sim.shop" {
		t.Fatalf("submit: %+v, %v; want the account created", out, err)
	}
}
