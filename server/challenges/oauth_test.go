package challenges_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/accounts/accountstest"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/secrets"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const fbAuthorize = "https://www.facebook.com/v19.0/dialog/oauth?client_id=123&scope=pages_show_list"

type oauthBundle struct {
	st          *store.Store
	as          *accounts.Service
	svc         *challenges.Service
	ts          *tasks.Service
	ctx, ctxB   context.Context
	worker      context.Context
	member      *ent.User
	memberOfB   *ent.User
	redirectURI string
}

func oauthSetup(t *testing.T, st *store.Store) *oauthBundle {
	t.Helper()
	return oauthSetupAt(t, st, nil)
}

// oauthSetupAt is oauthSetup on clock (nil: the wall clock), with leases
// long enough to outlive a connection.
func oauthSetupAt(t *testing.T, st *store.Store, clock *testkit.Clock) *oauthBundle {
	t.Helper()
	var now func() time.Time
	if clock != nil {
		now = clock.Now
	}
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
	ua := st.Client.User.Create().SetWorkspaceID(wa.ID).SetUsername("ada").SetPasswordHash("x").SaveX(sys)
	ub := st.Client.User.Create().SetWorkspaceID(wb.ID).SetUsername("bob").SetPasswordHash("x").SaveX(sys)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.New(key)
	if err != nil {
		t.Fatal(err)
	}
	hub := events.NewHub(64)
	bus := events.NewLocalBus(hub)
	ts := tasks.NewService(st, bus, tasks.Options{Now: now, LeaseDuration: time.Hour})
	as := accounts.NewService(st.Client, box, bus, ts)
	svc := challenges.NewService(st.Client, box, bus, hub, ts, as, nil, challenges.Options{
		Driver: st.Driver, Wait: 2 * time.Second, Now: now,
		OAuthAuthorize: map[string]string{"facebook": fbAuthorize, "tiktok-business": "https://business-api.tiktok.com/portal/auth?app_id=9"},
	})
	return &oauthBundle{st: st, as: as, svc: svc, ts: ts, member: ua, memberOfB: ub,
		ctx:         viewer.NewContext(t.Context(), &viewer.Viewer{UserID: ua.ID, WorkspaceID: wa.ID}),
		ctxB:        viewer.NewContext(t.Context(), &viewer.Viewer{UserID: ub.ID, WorkspaceID: wb.ID}),
		worker:      viewer.NewContext(t.Context(), &viewer.Viewer{UserID: ua.ID, WorkspaceID: wa.ID, Scope: viewer.ScopeWorker, APIKeyID: 7}),
		redirectURI: "https://sb.example.com/social-media-posting/oauth/facebook/finish",
	}
}

// start opens a connection and returns its state token.
func (b *oauthBundle) start(t *testing.T, platform string) string {
	t.Helper()
	to, err := b.svc.StartOAuth(b.ctx, challenges.OAuthStartInput{Platform: platform, UserID: b.member.ObjectID,
		Placement: "settings", RedirectURI: b.redirectURI})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(to)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

// exchange runs the worker's side of an OAUTH_EXCHANGE: the code is handed
// over, the result reported (or the task failed when result is nil).
func (b *oauthBundle) exchange(t *testing.T, wantCode string, result map[string]any) *ent.Task {
	t.Helper()
	ls, err := b.ts.Claim(b.worker, "w", []task.Kind{task.KindOAUTH_EXCHANGE}, 10)
	if err != nil || len(ls) != 1 {
		t.Fatalf("claim exchange: %v, %d leases", err, len(ls))
	}
	sec, err := b.svc.Secrets(b.worker, ls[0].Task)
	if err != nil || sec["code"] != wantCode {
		t.Fatalf("secrets %v, %v; want code %q", sec, err, wantCode)
	}
	if result == nil {
		done, err := b.ts.Fail(b.worker, tasks.TaskID(ls[0].Task.ID), tasks.ByToken(ls[0].Token), "invalid_grant", false)
		if err != nil {
			t.Fatal(err)
		}
		return done
	}
	done, err := b.ts.Complete(b.worker, tasks.TaskID(ls[0].Task.ID), tasks.ByToken(ls[0].Token), result)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

var twoPages = map[string]any{
	"accessToken": "user-token", "refreshToken": "refresh-token", "expiresAt": "2027-01-01T00:00:00Z",
	"pages": []any{
		map[string]any{"originId": "111", "name": "Bakery Downtown", "type": "page", "avatar": "https://cdn/1.png", "accessToken": "page-token-1"},
		map[string]any{"originId": "222", "name": "Bakery Uptown", "type": "page"},
	},
}

func TestOAuthStartCallbackExchangeListAttach(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := oauthSetup(t, st)
		to, err := b.svc.StartOAuth(b.ctx, challenges.OAuthStartInput{Platform: "facebook", UserID: strings.ToUpper(b.member.ObjectID),
			Placement: "settings", RedirectURI: b.redirectURI})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(to)
		q := u.Query()
		if !strings.HasPrefix(to, "https://www.facebook.com/v19.0/dialog/oauth?") || q.Get("client_id") != "123" ||
			q.Get("scope") != "pages_show_list" || q.Get("redirect_uri") != b.redirectURI || q.Get("response_type") != "code" ||
			len(q.Get("state")) != 64 {
			t.Fatalf("authorize URL %s", to)
		}
		c := st.Client.LoginChallenge.Query().OnlyX(b.ctx)
		if c.Method != loginchallenge.MethodOAUTH || c.State != loginchallenge.StatePENDING || c.Platform != "facebook" ||
			c.OauthID == nil || len(*c.OauthID) != 24 || c.ExpiresAt.Sub(time.Now()) > 10*time.Minute || c.TokenHash == q.Get("state") {
			t.Fatalf("connection %+v", c)
		}
		// The platform sends the browser back with the code; no viewer.
		closing, err := b.svc.FinishOAuth(t.Context(), challenges.OAuthReturn{State: q.Get("state"), Code: "the-code"}, b.redirectURI)
		if err != nil {
			t.Fatal(err)
		}
		if closing.OAuthID != *c.OauthID || closing.Platform != "facebook" || closing.Placement != "settings" || closing.Reconnect == nil {
			t.Fatalf("closing %+v", closing)
		}
		// A state is good once.
		if _, err := b.svc.FinishOAuth(t.Context(), challenges.OAuthReturn{State: q.Get("state"), Code: "again"}, b.redirectURI); !errors.Is(err, errs.ErrGone) {
			t.Fatalf("second callback: %v", err)
		}
		done := b.exchange(t, "the-code", twoPages)
		stored := mustJSON(t, st.Client.Task.GetX(b.ctx, done.ID).Result)
		for _, secret := range []string{"user-token", "refresh-token", "page-token-1"} {
			if strings.Contains(stored, secret) {
				t.Fatalf("stored task result keeps %s: %s", secret, stored)
			}
		}
		if c = st.Client.LoginChallenge.GetX(b.ctx, c.ID); c.State != loginchallenge.StateRESOLVED ||
			strings.Contains(mustJSON(t, c.OauthPages), "page-token") {
			t.Fatalf("settled connection %+v", c)
		}
		pages, err := b.svc.OAuthPages(b.ctx, "facebook", *c.OauthID, "down")
		if err != nil || len(pages) != 1 || pages[0].OriginID != "111" || pages[0].Connected {
			t.Fatalf("search pages: %v %+v", err, pages)
		}
		// Another workspace, or another platform, does not find it.
		if _, err := b.svc.OAuthPages(b.ctxB, "facebook", *c.OauthID, ""); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("B listing A's connection: %v", err)
		}
		if _, err := b.svc.OAuthPages(b.ctx, "linkedin", *c.OauthID, ""); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("listing under another platform: %v", err)
		}
		if _, err := b.svc.AttachOAuth(b.ctx, challenges.AttachInput{Platform: "facebook", OAuthID: *c.OauthID, OriginID: "999"}); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("attach a page the grant does not reach: %v", err)
		}
		a, err := b.svc.AttachOAuth(b.ctx, challenges.AttachInput{Platform: "facebook", OAuthID: *c.OauthID, OriginID: "111", Type: "page"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Platform != account.PlatformFacebook || a.Username != "111" || a.DisplayName != "Bakery Downtown" || a.Status != account.StatusACTIVE ||
			a.ExternalIds[accounts.ExternalOriginID] != "111" || a.ExternalIds[accounts.ExternalOAuthID] != *c.OauthID ||
			a.ExternalIds[accounts.ExternalAvatar] != "https://cdn/1.png" || a.ExternalIds[accounts.ExternalTokenExpiry] != "2027-01-01T00:00:00Z" {
			t.Fatalf("account %+v", a)
		}
		creds, err := accountstest.Stored(t, b.st.Client, b.as, a.ID)
		if err != nil || creds.SessionData == nil || !strings.Contains(*creds.SessionData, `"pageAccessToken":"page-token-1"`) ||
			!strings.Contains(*creds.SessionData, `"accessToken":"user-token"`) {
			t.Fatalf("sealed session %v %v", creds.SessionData, err)
		}
		pages, _ = b.svc.OAuthPages(b.ctx, "facebook", *c.OauthID, "")
		if len(pages) != 2 || !pages[0].Connected || pages[1].Connected {
			t.Fatalf("pages after attach %+v", pages)
		}
		// Attaching again renews the account rather than adding one.
		if _, err := b.svc.AttachOAuth(b.ctx, challenges.AttachInput{Platform: "facebook", OAuthID: *c.OauthID, OriginID: "111"}); err != nil {
			t.Fatal(err)
		}
		if n := st.Client.Account.Query().CountX(b.ctx); n != 1 {
			t.Fatalf("%d accounts after attaching twice", n)
		}
		if _, err := b.svc.AttachOAuth(b.ctxB, challenges.AttachInput{Platform: "facebook", OAuthID: *c.OauthID, OriginID: "222"}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("B attaching from A's connection: %v", err)
		}
	})
}

func TestOAuthRefusalsAndFailures(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := oauthSetup(t, st)
		for _, c := range []struct {
			in    challenges.OAuthStartInput
			kind  error
			field string
		}{
			{challenges.OAuthStartInput{Platform: "bluesky", UserID: b.member.ObjectID}, errs.ErrInvalid, "platform"},
			{challenges.OAuthStartInput{Platform: "myspace", UserID: b.member.ObjectID}, errs.ErrInvalid, "platform"},
			{challenges.OAuthStartInput{Platform: "youtube", UserID: b.member.ObjectID}, errs.ErrInvalid, "platform"}, // not configured
			{challenges.OAuthStartInput{Platform: "facebook"}, errs.ErrInvalid, "userId"},
			{challenges.OAuthStartInput{Platform: "facebook", UserID: "x"}, errs.ErrInvalid, "userId"},
			{challenges.OAuthStartInput{Platform: "facebook", UserID: b.memberOfB.ObjectID}, errs.ErrNotFound, ""},
		} {
			if _, err := b.svc.StartOAuth(b.ctx, c.in); !errors.Is(err, c.kind) || errs.Field(err) != c.field {
				t.Errorf("%+v: %v, want %v on %q", c.in, err, c.kind, c.field)
			}
		}
		if n := st.Client.LoginChallenge.Query().CountX(b.ctx); n != 0 {
			t.Fatalf("refused starts opened %d connections", n)
		}
		if _, err := b.svc.FinishOAuth(t.Context(), challenges.OAuthReturn{State: strings.Repeat("a", 64), Code: "c"}, ""); !errors.Is(err, errs.ErrGone) {
			t.Fatalf("unknown state: %v", err)
		}
		// The owner refuses consent.
		state := b.start(t, "facebook")
		closing, err := b.svc.FinishOAuth(t.Context(), challenges.OAuthReturn{State: state, Error: "access_denied"}, "")
		if err != nil || closing.Error != "access_denied" {
			t.Fatalf("refused consent: %v %+v", err, closing)
		}
		if n := st.Client.Task.Query().CountX(b.ctx); n != 0 {
			t.Fatalf("refused consent enqueued %d tasks", n)
		}
		// The exchange fails: nothing to list.
		state = b.start(t, "tiktok-business")
		closing, err = b.svc.FinishOAuth(t.Context(), challenges.OAuthReturn{State: state, Code: "c2"}, "")
		if err != nil {
			t.Fatal(err)
		}
		b.exchange(t, "c2", nil)
		if _, err := b.svc.OAuthPages(b.ctx, "tiktok-business", closing.OAuthID, ""); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("pages of a failed exchange: %v", err)
		}
		// A report without a token is refused, nothing settled.
		state = b.start(t, "facebook")
		closing, _ = b.svc.FinishOAuth(t.Context(), challenges.OAuthReturn{State: state, Code: "c3"}, "")
		ls, _ := b.ts.Claim(b.worker, "w", []task.Kind{task.KindOAUTH_EXCHANGE}, 10)
		if _, err := b.ts.Complete(b.worker, tasks.TaskID(ls[0].Task.ID), tasks.ByToken(ls[0].Token),
			map[string]any{"pages": []any{}}); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != "result.accessToken" {
			t.Fatalf("report without token: %v", err)
		}
		// An expired state cannot be finished.
		state = b.start(t, "facebook")
		st.Client.LoginChallenge.Update().Where(loginchallenge.StateEQ(loginchallenge.StatePENDING)).
			SetExpiresAt(time.Now().Add(-time.Second)).ExecX(b.ctx)
		if _, err := b.svc.FinishOAuth(t.Context(), challenges.OAuthReturn{State: state, Code: "c4"}, ""); !errors.Is(err, errs.ErrGone) {
			t.Fatalf("expired state: %v", err)
		}
	})
}

// TestOAuthExpiryCancelsTheExchange lets connections whose code is still
// with a worker outlive their TTL: the sweep expires them and cancels the
// exchange task, waiting or leased, so no stale code is exchanged and a
// late report settles nothing.
func TestOAuthExpiryCancelsTheExchange(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		clock := testkit.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		b := oauthSetupAt(t, st, clock)
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		finish := func(code string) (*ent.LoginChallenge, *ent.Task) {
			t.Helper()
			closing, err := b.svc.FinishOAuth(t.Context(), challenges.OAuthReturn{State: b.start(t, "facebook"), Code: code}, b.redirectURI)
			if err != nil {
				t.Fatal(err)
			}
			c := st.Client.LoginChallenge.Query().Where(loginchallenge.OauthID(closing.OAuthID)).OnlyX(sys)
			return c, st.Client.Task.GetX(sys, *c.TaskID)
		}
		expired := func(c *ent.LoginChallenge, tk *ent.Task) {
			t.Helper()
			if c = st.Client.LoginChallenge.GetX(sys, c.ID); c.State != loginchallenge.StateEXPIRED || c.SecretsEnc != nil && len(*c.SecretsEnc) > 0 {
				t.Fatalf("connection after expiry %+v", c)
			}
			if tk = st.Client.Task.GetX(sys, tk.ID); tk.Status != task.StatusCANCELLED || tk.Error != "connection expired" || tk.LeaseToken != "" {
				t.Fatalf("exchange after expiry %+v", tk)
			}
			if sec, err := b.svc.Secrets(b.worker, tk); err != nil || len(sec) != 0 {
				t.Fatalf("secrets of an expired connection: %v %v", sec, err)
			}
			if _, err := b.svc.OAuthPages(b.ctx, "facebook", *c.OauthID, ""); !errors.Is(err, errs.ErrGone) {
				t.Fatalf("pages of an expired connection: %v", err)
			}
		}

		// The code came back late in the consent's TTL: its exchange has a
		// whole TTL from the callback.
		clock.Advance(challenges.DefaultTTL - time.Minute)
		waiting, waitingTask := finish("code-1")
		clock.Advance(2 * time.Minute)
		if n, err := b.svc.ExpireDue(t.Context()); err != nil || n != 0 {
			t.Fatalf("sweep within the code's TTL: %d, %v", n, err)
		}
		if tk := st.Client.Task.GetX(sys, waitingTask.ID); tk.Status != task.StatusPENDING {
			t.Fatalf("exchange within the code's TTL: %s", tk.Status)
		}
		clock.Advance(challenges.DefaultTTL)
		if n, err := b.svc.ExpireDue(t.Context()); err != nil || n != 1 {
			t.Fatalf("sweep past the code's TTL: %d, %v", n, err)
		}
		expired(waiting, waitingTask)
		if ls, err := b.ts.Claim(b.worker, "w", []task.Kind{task.KindOAUTH_EXCHANGE}, 10); err != nil || len(ls) != 0 {
			t.Fatalf("claim after expiry: %v, %d leases", err, len(ls))
		}

		// A worker holds the code when it expires: its report is refused.
		leased, leasedTask := finish("code-2")
		ls, err := b.ts.Claim(b.worker, "w", []task.Kind{task.KindOAUTH_EXCHANGE}, 10)
		if err != nil || len(ls) != 1 || ls[0].Task.ID != leasedTask.ID {
			t.Fatalf("claim exchange: %v, %d leases", err, len(ls))
		}
		clock.Advance(challenges.DefaultTTL)
		if n, err := b.svc.ExpireDue(t.Context()); err != nil || n != 1 {
			t.Fatalf("sweep of a leased exchange: %d, %v", n, err)
		}
		if _, err := b.ts.Complete(b.worker, tasks.TaskID(ls[0].Task.ID), tasks.ByToken(ls[0].Token), twoPages); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("late report: %v", err)
		}
		expired(leased, leasedTask)
		if n := st.Client.Account.Query().CountX(sys); n != 0 {
			t.Fatalf("%d accounts after expired connections", n)
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
