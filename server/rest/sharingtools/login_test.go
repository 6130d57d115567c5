package sharingtools_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// loginSetup is a fixture whose workspace acme has a scripted worker.
func loginSetup(t *testing.T, st *store.Store, opts ...func(*config.Config)) (*fixture, *testkit.FakeInstagram) {
	t.Helper()
	opts = append([]func(*config.Config){func(c *config.Config) { c.LoginWait = 10 * time.Second; c.IMAPMailDelay = 0 }}, opts...)
	f := setup(t, st, opts...)
	ig := testkit.NewFakeInstagram()
	f.srv.RunWorker(t, f.alice, []string{"LOGIN", "CHALLENGE_SUBMIT"}, ig.Run)
	return f, ig
}

func loginBody(user string, extra string) string {
	return fmt.Sprintf(`{"username":%q,"password":%q%s}`, user, testkit.IGPassword, extra)
}

type challengeData struct {
	NeedsChallenge bool   `json:"needs_challenge"`
	ChallengeToken string `json:"challenge_token"`
	ChallengeType  string `json:"challenge_type"`
	ExpiresIn      int    `json:"expires_in"`
	Relogin        bool   `json:"relogin"`
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (r *reply) challenge(t *testing.T) challengeData {
	t.Helper()
	r.want(t, http.StatusOK)
	var c challengeData
	r.decode(t, &c)
	if !c.NeedsChallenge || !hex64.MatchString(c.ChallengeToken) || c.ExpiresIn < 590 || c.ExpiresIn > 600 {
		t.Fatalf("challenge answer %s, want needs_challenge with a 64-hex token valid 600 s", r.Raw)
	}
	return c
}

func TestLiveLoginWithoutChallengeAddsTheAccount(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f, ig := loginSetup(t, st)
		r := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("plain", `,"proxy":"http://u:p@10.0.0.1:8080"`)).want(t, http.StatusCreated)
		if r.Message != "Account added successfully." || strings.Contains(string(r.Raw), testkit.IGPassword) {
			t.Fatalf("login answer %s", r.Raw)
		}
		var a stAccount
		r.decode(t, &a)
		if a.Username != "plain" || a.InstagramID != "178414005" || a.Proxy != "http://u:p@10.0.0.1:8080" || a.LoginRequired || a.LastLogin == nil {
			t.Fatalf("account %+v", a)
		}
		f.do(t, "GET", fmt.Sprintf("/accounts/%d", a.ID), f.keyA, "").want(t, http.StatusOK)
		f.do(t, "GET", fmt.Sprintf("/accounts/%d", a.ID), f.keyB, "").want(t, http.StatusNotFound)

		kinds, secrets := ig.Seen("plain")
		if len(kinds) != 1 || secrets[0]["password"] != testkit.IGPassword || secrets[0]["proxy"] != "http://u:p@10.0.0.1:8080" {
			t.Fatalf("worker saw %v %v, want one LOGIN with the password and proxy", kinds, secrets)
		}
		// The password reached the worker as a lease secret, never in the
		// task's stored payload.
		ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
		for _, tk := range st.Client.Task.Query().Where(task.KindEQ(task.KindLOGIN)).AllX(ctx) {
			if strings.Contains(fmt.Sprint(tk.Payload), testkit.IGPassword) {
				t.Fatalf("task payload holds the password: %v", tk.Payload)
			}
		}
		for _, c := range st.Client.LoginChallenge.Query().AllX(ctx) {
			if c.State != loginchallenge.StateRESOLVED || c.SecretsEnc != nil && len(*c.SecretsEnc) > 0 {
				t.Fatalf("login record %+v, want resolved with its secrets dropped", c)
			}
		}
		// The same account again is already active.
		f.do(t, "POST", "/accounts/login", f.keyA, loginBody("plain", "")).want(t, http.StatusConflict)
	})
}

func TestLiveLoginWithEmailChallengeAndManualCode(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f, ig := loginSetup(t, st)
		c := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("mailer", "")).challenge(t)
		if c.ChallengeType != "email" || c.Relogin {
			t.Fatalf("challenge %+v, want an email challenge of a new account", c)
		}
		submit := func(key, body string) *reply { return f.do(t, "POST", "/accounts/challenge", key, body) }
		// Another user does not know the token.
		submit(f.keyB, fmt.Sprintf(`{"challenge_token":%q,"code":%q}`, c.ChallengeToken, testkit.IGMailedCode)).want(t, http.StatusNotFound)
		r := submit(f.keyA, fmt.Sprintf(`{"challenge_token":%q,"code":"654321"}`, c.ChallengeToken)).want(t, http.StatusBadRequest)
		if !strings.Contains(r.Message, "4 attempts left") {
			t.Fatalf("wrong code answer %s", r.Raw)
		}
		r = submit(f.keyA, fmt.Sprintf(`{"challenge_token":%q,"code":%q}`, c.ChallengeToken, testkit.IGMailedCode)).want(t, http.StatusCreated)
		var a stAccount
		r.decode(t, &a)
		if a.Username != "mailer" {
			t.Fatalf("account %s", r.Raw)
		}
		// Single use.
		submit(f.keyA, fmt.Sprintf(`{"challenge_token":%q,"code":%q}`, c.ChallengeToken, testkit.IGMailedCode)).want(t, http.StatusNotFound)
		kinds, secrets := ig.Seen("mailer")
		if strings.Join(kinds, ",") != "LOGIN,CHALLENGE_SUBMIT,CHALLENGE_SUBMIT" || secrets[2]["code"] != testkit.IGMailedCode || secrets[2]["session"] != "challenge-ctx" {
			t.Fatalf("worker saw %v %v", kinds, secrets)
		}
	})
}

func TestLiveLoginWithTOTPSecretIsResolvedWithoutTheUser(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f, ig := loginSetup(t, st)
		f.do(t, "POST", "/accounts/login", f.keyA, loginBody("twofa", fmt.Sprintf(`,"twofa_secret":%q`, strings.ToLower(testkit.IGTOTPSecret)))).want(t, http.StatusCreated)
		if kinds, _ := ig.Seen("twofa"); strings.Join(kinds, ",") != "LOGIN,CHALLENGE_SUBMIT" {
			t.Fatalf("worker saw %v, want the login and the server's own code", kinds)
		}
	})
}

// A TOTP secret that produces refused codes (not the account's) falls back
// to asking the user, whose code (here from the right authenticator) then
// completes the login.
func TestLiveLoginWithAWrongTOTPSecretAsksTheUser(t *testing.T) {
	t.Parallel()
	f, ig := loginSetup(t, testkit.Open(t, testkit.SQLite))
	c := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("twofa", `,"twofa_secret":"GEZDGNBVGY3TQOJQ"`)).challenge(t)
	if c.ChallengeType != "unknown" {
		t.Fatalf("challenge %+v, want a two-factor (unknown type) challenge", c)
	}
	code, err := totp.GenerateCode(strings.ReplaceAll(testkit.IGTOTPSecret, " ", ""), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.do(t, "POST", "/accounts/challenge", f.keyA, fmt.Sprintf(`{"challenge_token":%q,"code":%q}`, c.ChallengeToken, code)).want(t, http.StatusCreated)
	if kinds, _ := ig.Seen("twofa"); strings.Join(kinds, ",") != "LOGIN,CHALLENGE_SUBMIT,CHALLENGE_SUBMIT" {
		t.Fatalf("worker saw %v, want the login, the server's refused code and the user's", kinds)
	}
}

// A re-login that meets a challenge says so (relogin: true), and the code
// re-authenticates the existing account rather than adding one.
func TestLiveReloginThroughAChallenge(t *testing.T) {
	t.Parallel()
	f, _ := loginSetup(t, testkit.Open(t, testkit.SQLite))
	var a stAccount
	f.do(t, "POST", "/accounts", f.keyA, `{"username":"mailer","password":"old"}`).want(t, http.StatusCreated).decode(t, &a)
	f.do(t, "PATCH", fmt.Sprintf("/accounts/%d", a.ID), f.keyA, `{"login_required":1}`).want(t, http.StatusOK)
	c := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("mailer", "")).challenge(t)
	if !c.Relogin {
		t.Fatalf("challenge %+v, want relogin", c)
	}
	r := f.do(t, "POST", "/accounts/challenge", f.keyA, fmt.Sprintf(`{"challenge_token":%q,"code":%q}`, c.ChallengeToken, testkit.IGMailedCode)).want(t, http.StatusOK)
	var b stAccount
	r.decode(t, &b)
	if r.Message != "Account re-authenticated successfully." || b.ID != a.ID || b.LoginRequired {
		t.Fatalf("challenge answer %s, want account %d re-authenticated", r.Raw, a.ID)
	}
	var list []stAccount
	f.do(t, "GET", "/accounts", f.keyA, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 1 {
		t.Fatalf("%d accounts, want the one re-authenticated", len(list))
	}
}

func TestLiveReloginUpdatesAnAccountThatNeedsLogin(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f, _ := loginSetup(t, st)
		var a stAccount
		f.do(t, "POST", "/accounts", f.keyA, `{"username":"plain","password":"old"}`).want(t, http.StatusCreated).decode(t, &a)
		// Active: nothing to re-login.
		f.do(t, "POST", "/accounts/login", f.keyA, loginBody("plain", "")).want(t, http.StatusConflict)
		f.do(t, "PATCH", fmt.Sprintf("/accounts/%d", a.ID), f.keyA, `{"login_required":1}`).want(t, http.StatusOK)
		// The package allows no more accounts, which a re-login ignores.
		setAccountLimit(t, f, st, 1)
		f.do(t, "POST", "/accounts/login", f.keyA, loginBody("another", "")).want(t, http.StatusForbidden)
		r := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("PLAIN", "")).want(t, http.StatusOK)
		var b stAccount
		r.decode(t, &b)
		if r.Message != "Account re-authenticated successfully." || b.ID != a.ID || b.LoginRequired || b.InstagramID == "" {
			t.Fatalf("re-login answer %s for account %d", r.Raw, a.ID)
		}
	})
}

func TestLiveLoginVerdictsMapToTheDocumentedStatuses(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f, _ := loginSetup(t, st)
		for _, tc := range []struct {
			body   string
			status int
		}{
			{`{"username":"plain","password":"wrong"}`, http.StatusUnauthorized},
			{loginBody("checkpoint", ""), http.StatusForbidden},
			{loginBody("ghost", ""), http.StatusNotFound},
			{loginBody("flaky", ""), http.StatusServiceUnavailable},
		} {
			f.do(t, "POST", "/accounts/login", f.keyA, tc.body).want(t, tc.status)
		}
		// None of them added an account.
		var list []stAccount
		f.do(t, "GET", "/accounts", f.keyA, "").want(t, http.StatusOK).decode(t, &list)
		if len(list) != 0 {
			t.Fatalf("failed logins left accounts: %+v", list)
		}
	})
}

// With no worker, the request gives up with 503; the same request again
// waits on the same login task, which a worker that comes later runs once.
func TestLiveLoginRetriedAfterATimeoutJoinsTheSameTask(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st, func(c *config.Config) { c.LoginWait = 300 * time.Millisecond })
		f.do(t, "POST", "/accounts/login", f.keyA, loginBody("plain", "")).want(t, http.StatusServiceUnavailable)
		f.do(t, "POST", "/accounts/login", f.keyA, loginBody("plain", "")).want(t, http.StatusServiceUnavailable)
		ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
		if n := st.Client.Task.Query().Where(task.KindEQ(task.KindLOGIN)).CountX(ctx); n != 1 {
			t.Fatalf("%d login tasks, want 1", n)
		}
		ig := testkit.NewFakeInstagram()
		f.srv.RunWorker(t, f.alice, []string{"LOGIN"}, ig.Run)
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("plain", ""))
			if r.Status == http.StatusCreated {
				break
			}
			if r.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
				t.Fatalf("retried login: %d %s", r.Status, r.Raw)
			}
		}
		if kinds, _ := ig.Seen("plain"); len(kinds) != 1 {
			t.Fatalf("the worker ran %d logins, want 1", len(kinds))
		}

	})
}

func TestChallengeTokenPastItsLifetimeIsGone(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f, _ := loginSetup(t, st)
		c := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("mailer", "")).challenge(t)
		ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
		st.Client.LoginChallenge.Update().SetExpiresAt(time.Now().Add(-time.Second)).ExecX(ctx)
		body := fmt.Sprintf(`{"challenge_token":%q,"code":%q}`, c.ChallengeToken, testkit.IGMailedCode)
		f.do(t, "POST", "/accounts/challenge", f.keyA, body).want(t, http.StatusGone)
		f.do(t, "POST", "/accounts/challenge", f.keyA, body).want(t, http.StatusGone)
		if s := st.Client.LoginChallenge.Query().OnlyX(ctx).State; s != loginchallenge.StateEXPIRED {
			t.Fatalf("challenge state %s, want EXPIRED", s)
		}
	})
}

func TestChallengeAttemptsAreLimited(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f, _ := loginSetup(t, st)
		c := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("mailer", "")).challenge(t)
		body := fmt.Sprintf(`{"challenge_token":%q,"code":"000000"}`, c.ChallengeToken)
		for range 4 {
			f.do(t, "POST", "/accounts/challenge", f.keyA, body).want(t, http.StatusBadRequest)
		}
		f.do(t, "POST", "/accounts/challenge", f.keyA, body).want(t, http.StatusGone) // the fifth: no attempts left
		f.do(t, "POST", "/accounts/challenge", f.keyA, fmt.Sprintf(`{"challenge_token":%q,"code":%q}`, c.ChallengeToken, testkit.IGMailedCode)).want(t, http.StatusNotFound)
	})
}

func TestLoginAndChallengeBadInputIsA422NamingTheField(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f, _ := loginSetup(t, st)
		for _, tc := range []struct{ path, body, field string }{
			{"/accounts/login", `{"password":"x"}`, "username"},
			{"/accounts/login", `{"username":"x"}`, "password"},
			{"/accounts/login", `{"username":"x","password":1}`, "password"},
			{"/accounts/login", `{"username":"x","password":"y","imap_server":"imap.example.com"}`, "imap_password"},
			{"/accounts/login", `{"username":"x","password":"y","imap_server":"imap.example.com","imap_username":"u","imap_password":"p","imap_port":70000}`, "imap_port"},
			{"/accounts/login", `{"username":"x","password":"y","twofa_secret":"not base32!"}`, "twofa_secret"},
			{"/accounts/login", `{"username":"x","password":"y","extra":1}`, "extra"},
			{"/accounts/challenge", `{"code":"123456"}`, "challenge_token"},
			{"/accounts/challenge", `{"challenge_token":"` + strings.Repeat("a", 64) + `"}`, "code"},
			{"/accounts/challenge", `{"challenge_token":"` + strings.Repeat("a", 64) + `","code":"12ab"}`, "code"},
			{"/accounts/challenge", `{"challenge_token":"` + strings.Repeat("a", 64) + `","auto_imap":"yes"}`, "auto_imap"},
		} {
			t.Run(tc.field, func(t *testing.T) {
				f.do(t, "POST", tc.path, f.keyA, tc.body).wantField(t, tc.field)
			})
		}
		f.do(t, "POST", "/accounts/challenge", f.keyA, `{"challenge_token":"`+strings.Repeat("a", 64)+`","code":"123456"}`).want(t, http.StatusNotFound)
		f.do(t, "POST", "/accounts/challenge", f.keyA, `{"challenge_token":"nothex","code":"123456"}`).want(t, http.StatusNotFound)
		f.do(t, "POST", "/accounts/login", "", loginBody("plain", "")).want(t, http.StatusUnauthorized)
	})
}

// waitForLoginState waits for the store's only login to reach state, as a
// worker's verdict moves it with no request waiting.
func waitForLoginState(t *testing.T, st *store.Store, state loginchallenge.State) {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c := st.Client.LoginChallenge.Query().OnlyX(sys); c.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker's verdict never came (want the login %s)", state)
		}
	}
}

// setAccountLimit puts alice on a package allowing n accounts.
func setAccountLimit(t *testing.T, f *fixture, st *store.Store, n int) {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	p := st.Client.Plan.Create().SetTitle(fmt.Sprintf("Up to %d", n)).SetAccountLimit(n).SaveX(sys)
	st.Client.User.UpdateOneID(f.alice.ID).SetPlanID(p.ID).SetExpireAt(time.Now().Add(24 * time.Hour)).ExecX(sys)
}

// The IMAP auto-code flow against a real IMAP server over TLS: the mailbox
// is checked at login, the first auto_imap submissions find no mail (202,
// retry) — an older Instagram mail and another sender's do not count —
// and once the code mail arrives the same request completes the login.
func TestLiveLoginWithIMAPAutoCode(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		mail := testkit.StartIMAP(t)
		mail.AddUser(t, "owner@example.com", "mail-pass")
		f, ig := loginSetup(t, st, func(c *config.Config) { c.IMAPTLS, c.IMAPAllowPrivate = mail.ClientTLS(), true })
		imapFields := func(pass string) string {
			return fmt.Sprintf(`,"imap_server":"127.0.0.1","imap_port":%d,"imap_username":"owner@example.com","imap_password":%q`, mail.Port, pass)
		}
		r := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("imapper", imapFields("wrong")))
		r.wantField(t, "imap_server")
		if strings.Contains(string(r.Raw), "wrong") {
			t.Fatalf("the IMAP password leaked: %s", r.Raw)
		}

		old := time.Now().Add(-time.Hour)
		mail.Deliver(t, "owner@example.com", "INBOX", old, testkit.InstagramCodeMail("security@mail.instagram.com", "111111 is your Instagram code", "Use 111111", old))
		c := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("imapper", imapFields("mail-pass"))).challenge(t)
		now := time.Now()
		mail.Deliver(t, "owner@example.com", "INBOX", now, testkit.InstagramCodeMail("noreply@example.com", "222222 is not it", "222222", now))

		body := fmt.Sprintf(`{"challenge_token":%q,"auto_imap":true}`, c.ChallengeToken)
		r = f.do(t, "POST", "/accounts/challenge", f.keyA, body)
		if r.Status != http.StatusAccepted || r.Result != 0 || !strings.Contains(string(r.Raw), `"retry":true`) ||
			r.Message != "Instagram email not yet received. Retry in a few seconds." {
			t.Fatalf("auto_imap before the mail: %d %s, want the 202 retry", r.Status, r.Raw)
		}
		// The client retries every 200 ms; the mail lands in another folder
		// a second later.
		arrives, delivered := time.Now().Add(time.Second), false
		for tries := 0; r.Status == http.StatusAccepted && tries < 50; tries++ {
			time.Sleep(200 * time.Millisecond)
			if at := time.Now(); !delivered && at.After(arrives) {
				mail.Deliver(t, "owner@example.com", "Social", at, testkit.InstagramCodeMail("security@mail.instagram.com",
					"Verify your account", "Your Instagram security code is "+testkit.IGMailedCode+".", at))
				delivered = true
			}
			r = f.do(t, "POST", "/accounts/challenge", f.keyA, body)
			if !delivered && r.Status != http.StatusAccepted {
				t.Fatalf("auto_imap before the mail: %d %s", r.Status, r.Raw)
			}
		}
		r.want(t, http.StatusCreated)
		if _, secrets := ig.Seen("imapper"); secrets[len(secrets)-1]["code"] != testkit.IGMailedCode {
			t.Fatalf("the worker was handed %v, want the mailed code", secrets)
		}

		// A server that does not allow private addresses refuses the same
		// mailbox (it is on 127.0.0.1) without connecting.
		strict := setup(t, testkit.Open(t, testkit.SQLite), func(c *config.Config) { c.IMAPTLS = mail.ClientTLS() })
		r = strict.do(t, "POST", "/accounts/login", strict.keyA, loginBody("imapper", imapFields("mail-pass")))
		r.wantField(t, "imap_server")
		if !strings.Contains(r.Errors["imap_server"], "not a public one") {
			t.Fatalf("private IMAP address: %s", r.Raw)
		}

		// A challenge of a login without IMAP credentials cannot use it.
		c = f.do(t, "POST", "/accounts/login", f.keyA, loginBody("mailer", "")).challenge(t)
		f.do(t, "POST", "/accounts/challenge", f.keyA, fmt.Sprintf(`{"challenge_token":%q,"auto_imap":true}`, c.ChallengeToken)).wantField(t, "auto_imap")
	})
}

// A login no worker took within the challenge lifetime is expired by the
// sweep and its task withdrawn, so a worker arriving late does not log in
// an account nobody waits for.
func TestExpiredLoginIsWithdrawnFromWorkers(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st, func(c *config.Config) { c.LoginWait = 200 * time.Millisecond })
		f.do(t, "POST", "/accounts/login", f.keyA, loginBody("plain", "")).want(t, http.StatusServiceUnavailable)
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		if n, err := f.srv.App.Challenges.ExpireDue(t.Context()); err != nil || n != 0 {
			t.Fatalf("ExpireDue before the lifetime = %d, %v; want 0", n, err)
		}
		st.Client.LoginChallenge.Update().SetExpiresAt(time.Now().Add(-time.Second)).ExecX(sys)
		if n, err := f.srv.App.Challenges.ExpireDue(t.Context()); err != nil || n != 1 {
			t.Fatalf("ExpireDue = %d, %v; want 1", n, err)
		}
		if c := st.Client.LoginChallenge.Query().OnlyX(sys); c.State != loginchallenge.StateEXPIRED {
			t.Fatalf("challenge %s, want EXPIRED", c.State)
		}
		if tk := st.Client.Task.Query().OnlyX(sys); tk.Status != task.StatusCANCELLED {
			t.Fatalf("login task %s, want CANCELLED", tk.Status)
		}
	})
}

// A verdict that arrives while nobody waits (here: a code asked for) is
// given to the next request for the name, which starts no second login.
func TestLiveLoginVerdictNobodyWaitedForGoesToTheNextRequest(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st, func(c *config.Config) { c.LoginWait = time.Millisecond })
		f.do(t, "POST", "/accounts/login", f.keyA, loginBody("mailer", "")).want(t, http.StatusServiceUnavailable)
		ig := testkit.NewFakeInstagram() // the worker comes after the request gave up
		f.srv.RunWorker(t, f.alice, []string{"LOGIN"}, ig.Run)
		waitForLoginState(t, st, loginchallenge.StateCODE_REQUESTED)
		f.do(t, "POST", "/accounts/login", f.keyA, loginBody("mailer", "")).challenge(t)
		if kinds, _ := ig.Seen("mailer"); len(kinds) != 1 {
			t.Fatalf("the worker ran %v, want one login", kinds)
		}
	})
}

// Several first requests for one name at once make one login: one task,
// one account.
func TestConcurrentLoginsOfOneNameMakeOneLogin(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f, ig := loginSetup(t, st)
		const n = 5
		var wg sync.WaitGroup
		replies := make([]*reply, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				replies[i] = f.do(t, "POST", "/accounts/login", f.keyA, loginBody("plain", ""))
			}()
		}
		wg.Wait()
		// A request that arrives once another has been given the verdict
		// finds the account active (409); the others share the login.
		ids := map[int]bool{}
		for _, r := range replies {
			if r.Status == http.StatusConflict {
				continue
			}
			r.want(t, http.StatusCreated)
			var a stAccount
			r.decode(t, &a)
			ids[a.ID] = true
		}
		if kinds, _ := ig.Seen("plain"); len(ids) != 1 || len(kinds) != 1 {
			t.Fatalf("%d accounts and %d logins run, want 1 and 1", len(ids), len(kinds))
		}
	})
}

// A login that starts with a free slot but succeeds after the last slot
// was taken adds no account: the package limit is decided when the account
// is added, and the caller is told so (403).
func TestLoginThatSucceedsAfterTheLastSlotWasTakenAddsNoAccount(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st, func(c *config.Config) { c.LoginWait = time.Millisecond })
		setAccountLimit(t, f, st, 1)
		// No worker yet: the login waits while the slot is taken.
		f.do(t, "POST", "/accounts/login", f.keyA, loginBody("late", "")).want(t, http.StatusServiceUnavailable)
		f.do(t, "POST", "/accounts", f.keyA, `{"username":"first","password":"pw"}`).want(t, http.StatusCreated)

		ig := testkit.NewFakeInstagram()
		f.srv.RunWorker(t, f.alice, []string{"LOGIN"}, ig.Run)
		waitForLoginState(t, st, loginchallenge.StateFAILED)
		r := f.do(t, "POST", "/accounts/login", f.keyA, loginBody("late", "")).want(t, http.StatusForbidden)
		if !strings.Contains(r.Message, "limit") {
			t.Fatalf("answer %s, want the account limit", r.Raw)
		}
		if n := st.Client.Account.Query().CountX(privacy.DecisionContext(t.Context(), privacy.Allow)); n != 1 {
			t.Fatalf("%d accounts, want the 1 the package allows", n)
		}
	})
}
