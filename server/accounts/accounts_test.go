package accounts_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/accounts/accountstest"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/secrets"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/tasks/taskstest"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type bundle struct {
	svc    *accounts.Service
	client *ent.Client
	hub    *events.Hub
	// ctxA and ctxB act for users of two different workspaces.
	ctxA, ctxB context.Context
	wsA        int
}

func setup(t *testing.T, st *store.Store) bundle {
	t.Helper()
	box, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	hub := events.NewHub(16)
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
	return bundle{
		svc:    accounts.NewService(st.Client, box, events.NewLocalBus(hub), taskstest.Register(tasks.NewService(st, events.NewLocalBus(hub), tasks.Options{}))),
		client: st.Client,
		hub:    hub,
		ctxA:   viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID, Role: viewer.RoleMember}),
		ctxB:   viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID, Role: viewer.RoleMember}),
		wsA:    wa.ID,
	}
}

func ptr[T any](v T) *T { return &v }

func TestCredentialsAreEncryptedAtRestAndRevealedIntact(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		a, err := b.svc.Create(b.ctxA, accounts.CreateInput{
			Platform: account.PlatformInstagram, Username: "alice",
			Credentials: accounts.Credentials{Password: ptr("hunter2-secret"), TotpSecret: ptr("JBSWY3DPEHPK3PXP"), Cookie: ptr("sid=abc")},
		})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		raw, err := b.client.Account.Get(b.ctxA, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range [][]byte{*raw.PasswordEnc, *raw.TotpSecretEnc, *raw.CookieEnc} {
			for _, plain := range []string{"hunter2-secret", "JBSWY3DPEHPK3PXP", "sid=abc"} {
				if bytes.Contains(col, []byte(plain)) {
					t.Fatalf("ciphertext contains %q", plain)
				}
			}
		}
		if got := accounts.StoredKinds(raw); len(got) != 3 {
			t.Fatalf("StoredKinds = %v, want 3 kinds", got)
		}
		creds, err := accountstest.Stored(t, b.client, b.svc, raw.ID)
		if err != nil {
			t.Fatalf("reveal: %v", err)
		}
		if *creds.Password != "hunter2-secret" || *creds.TotpSecret != "JBSWY3DPEHPK3PXP" || *creds.Cookie != "sid=abc" || creds.AppPassword != nil {
			t.Fatalf("revealed %+v", creds)
		}

		// An empty string clears; nil leaves alone.
		if _, err := b.svc.Update(b.ctxA, accounts.UpdateInput{ID: a.ID, Credentials: accounts.Credentials{Cookie: ptr("")}}); err != nil {
			t.Fatal(err)
		}
		raw = b.client.Account.GetX(b.ctxA, a.ID)
		if got := accounts.StoredKinds(raw); len(got) != 2 {
			t.Fatalf("after clearing cookie StoredKinds = %v", got)
		}
	})
}

func TestCiphertextMovedToAnotherRowDoesNotDecrypt(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		a1, err := b.svc.Create(b.ctxA, accounts.CreateInput{Platform: account.PlatformX, Username: "one", Credentials: accounts.Credentials{Password: ptr("p1")}})
		if err != nil {
			t.Fatal(err)
		}
		a2, err := b.svc.Create(b.ctxA, accounts.CreateInput{Platform: account.PlatformX, Username: "two"})
		if err != nil {
			t.Fatal(err)
		}
		stolen := *b.client.Account.GetX(b.ctxA, a1.ID).PasswordEnc
		b.client.Account.UpdateOneID(a2.ID).SetPasswordEnc(stolen).ExecX(b.ctxA)
		if _, err := accountstest.Stored(t, b.client, b.svc, a2.ID); err == nil {
			t.Fatal("a ciphertext copied to another row decrypted")
		}
	})
}

func TestAccountsOfAnotherWorkspaceAreNotFound(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		a, err := b.svc.Create(b.ctxA, accounts.CreateInput{Platform: account.PlatformInstagram, Username: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if a.WorkspaceID != b.wsA {
			t.Fatalf("workspace = %d, want %d", a.WorkspaceID, b.wsA)
		}
		if _, err := b.svc.Get(b.ctxB, a.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("get from B: %v, want not found", err)
		}
		if _, err := b.svc.Update(b.ctxB, accounts.UpdateInput{ID: a.ID, Profile: accounts.Profile{DisplayName: ptr("pwned")}}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("update from B: %v, want not found", err)
		}
		if err := b.svc.Delete(b.ctxB, a.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("delete from B: %v, want not found", err)
		}
		// The same username may exist in another workspace.
		if _, err := b.svc.Create(b.ctxB, accounts.CreateInput{Platform: account.PlatformInstagram, Username: "alice"}); err != nil {
			t.Fatalf("same username in B: %v", err)
		}
		if got := b.client.Account.GetX(b.ctxA, a.ID); got.DisplayName != "" {
			t.Fatalf("A's account changed: %+v", got)
		}
	})
}

func TestCreateRejectsBadInput(t *testing.T) {
	cases := []struct {
		name  string
		in    accounts.CreateInput
		field string
	}{
		{"unknown platform", accounts.CreateInput{Platform: "myspace", Username: "u"}, "platform"},
		{"empty username", accounts.CreateInput{Platform: account.PlatformX, Username: "  "}, "username"},
		{"bad email", accounts.CreateInput{Platform: account.PlatformX, Username: "u", Profile: accounts.Profile{Email: ptr("nope")}}, "email"},
		{"bad imap port", accounts.CreateInput{Platform: account.PlatformX, Username: "u", Profile: accounts.Profile{ImapPort: ptr(70000)}}, "imapPort"},
		{"negative energy", accounts.CreateInput{Platform: account.PlatformX, Username: "u", Profile: accounts.Profile{EnergyBudget: ptr(-1)}}, "energyBudget"},
		{"unknown status", accounts.CreateInput{Platform: account.PlatformX, Username: "u", Profile: accounts.Profile{Status: ptr(account.Status("ZOMBIE"))}}, "status"},
	}
	st := testkit.Open(t, testkit.SQLite)
	b := setup(t, st)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.svc.Create(b.ctxA, tc.in)
			if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != tc.field {
				t.Fatalf("err = %v (field %q), want invalid %q", err, errs.Field(err), tc.field)
			}
		})
	}
	if n := b.client.Account.Query().CountX(b.ctxA); n != 0 {
		t.Fatalf("%d accounts written by rejected input", n)
	}
}

func TestDeleteCancelsWaitingTasksAndPublishesAfterCommit(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		a, err := b.svc.Create(b.ctxA, accounts.CreateInput{Platform: account.PlatformInstagram, Username: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		tk := b.client.Task.Create().SetKind(task.KindLIKE).SetAccountID(a.ID).SaveX(b.ctxA)
		sub := b.hub.Subscribe(events.TopicAccount, b.wsA)
		defer sub.Close()
		if err := b.svc.Delete(b.ctxA, a.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		got := b.client.Task.GetX(b.ctxA, tk.ID)
		if got.Status != task.StatusCANCELLED || got.AccountID != nil {
			t.Fatalf("task after delete: status %s account %v", got.Status, got.AccountID)
		}
		ev := <-sub.C()
		if ev.ID != a.ID || ev.Op != events.OpDeleted {
			t.Fatalf("event %+v", ev)
		}
	})
}

// TestConcurrentCreatesOfOneNameInAnyCaseMakeOneAccount starts many
// creations of names that differ only in case at once: the database's
// unique index, not only the read before the insert, lets exactly one win.
func TestConcurrentCreatesOfOneNameInAnyCaseMakeOneAccount(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		const n = 24
		names := []string{"raceN", "RACEN", "racen", "RaceN", " raceN "}
		var (
			wg        sync.WaitGroup
			start     = make(chan struct{})
			created   atomic.Int32
			conflicts atomic.Int32
			other     = make(chan error, n)
		)
		for i := range n {
			wg.Go(func() {
				<-start
				_, err := b.svc.Create(b.ctxA, accounts.CreateInput{Platform: account.PlatformInstagram, Username: names[i%len(names)]})
				switch {
				case err == nil:
					created.Add(1)
				case errors.Is(err, errs.ErrConflict):
					conflicts.Add(1)
				default:
					other <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(other)
		for err := range other {
			t.Errorf("unexpected error: %v", err)
		}
		if created.Load() != 1 || conflicts.Load() != n-1 {
			t.Fatalf("%d created, %d conflicts; want 1 and %d", created.Load(), conflicts.Load(), n-1)
		}
		if got := b.client.Account.Query().CountX(b.ctxA); got != 1 {
			t.Fatalf("%d accounts stored, want 1", got)
		}
	})
}

// TestTheDatabaseRefusesANameDifferingOnlyInCase writes past the service,
// straight through ent: the unique index itself refuses the second name,
// while another platform and another workspace may use it.
func TestTheDatabaseRefusesANameDifferingOnlyInCase(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		first := b.client.Account.Create().SetPlatform(account.PlatformX).SetUsername("Ada.Lovelace").SaveX(b.ctxA)
		if first.UsernameKey != "ada.lovelace" {
			t.Fatalf("username key %q, want ada.lovelace", first.UsernameKey)
		}
		_, err := b.client.Account.Create().SetPlatform(account.PlatformX).SetUsername("ADA.lovelace").Save(b.ctxA)
		if !ent.IsConstraintError(err) {
			t.Fatalf("second name in other case: %v, want a constraint error", err)
		}
		if _, err := b.client.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername("ADA.lovelace").Save(b.ctxA); err != nil {
			t.Fatalf("same name on another platform: %v", err)
		}
		if _, err := b.client.Account.Create().SetPlatform(account.PlatformX).SetUsername("ada.LOVELACE").Save(b.ctxB); err != nil {
			t.Fatalf("same name in another workspace: %v", err)
		}
		// Renaming keeps the key in step, so a rename cannot dodge the rule.
		other := b.client.Account.Create().SetPlatform(account.PlatformX).SetUsername("grace").SaveX(b.ctxA)
		if _, err := other.Update().SetUsername("ada.LOVELACE").Save(b.ctxA); !ent.IsConstraintError(err) {
			t.Fatalf("rename onto a taken name: %v, want a constraint error", err)
		}
		if got := other.Update().SetUsername("Grace.Hopper").SaveX(b.ctxA); got.UsernameKey != "grace.hopper" {
			t.Fatalf("username key after rename %q, want grace.hopper", got.UsernameKey)
		}
	})
}

// List pages the workspace's accounts newest first, filters by login state
// and by a case-blind username search, counts all matches, reads only the
// fields asked, and refuses an over-long search.
func TestListPagesTheWorkspacesAccountsNewestFirst(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		var ids []int
		for _, n := range []string{"Sunny.one", "rainy", "sunny_two", "Cloudy"} {
			a, err := b.svc.Create(b.ctxA, accounts.CreateInput{Platform: account.PlatformInstagram, Username: n, Profile: accounts.Profile{Proxy: ptr("http://p:1")}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		if _, err := b.svc.Create(b.ctxB, accounts.CreateInput{Platform: account.PlatformInstagram, Username: "sunny.other"}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Update(b.ctxA, accounts.UpdateInput{ID: ids[1], Profile: accounts.Profile{Status: ptr(account.StatusLOGIN_REQUIRED)}}); err != nil {
			t.Fatal(err)
		}
		idsOf := func(as []*ent.Account) []int {
			out := []int{}
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}
		for _, c := range []struct {
			name  string
			o     accounts.ListOptions
			want  []int
			total int
		}{
			{"first page", accounts.ListOptions{Page: 1, PerPage: 3}, []int{ids[3], ids[2], ids[1]}, 4},
			{"second page", accounts.ListOptions{Page: 2, PerPage: 3}, []int{ids[0]}, 4},
			{"login required", accounts.ListOptions{LoginRequired: ptr(true), Page: 1, PerPage: 10}, []int{ids[1]}, 1},
			{"login not required", accounts.ListOptions{LoginRequired: ptr(false), Page: 1, PerPage: 10}, []int{ids[3], ids[2], ids[0]}, 3},
			{"search", accounts.ListOptions{Search: " SUNNY ", Page: 1, PerPage: 10}, []int{ids[2], ids[0]}, 2},
			{"search with a LIKE wildcard", accounts.ListOptions{Search: "y_t", Page: 1, PerPage: 10}, []int{ids[2]}, 1},
		} {
			as, total, err := b.svc.List(b.ctxA, c.o)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := idsOf(as); total != c.total || len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) || got[len(got)-1] != c.want[len(c.want)-1] {
				t.Errorf("%s: %v of %d, want %v of %d", c.name, got, total, c.want, c.total)
			}
		}
		as, _, err := b.svc.List(b.ctxA, accounts.ListOptions{Page: 1, PerPage: 1, Fields: []string{account.FieldUsername}})
		if err != nil || len(as) != 1 || as[0].Username != "Cloudy" || as[0].Proxy != "" {
			t.Fatalf("fields: %+v, %v; want the username only", as, err)
		}
		_, _, err = b.svc.List(b.ctxA, accounts.ListOptions{Search: string(bytes.Repeat([]byte("é"), accounts.MaxSearch+1)), Page: 1, PerPage: 1})
		if errs.Field(err) != "search" {
			t.Fatalf("over-long search: %v", err)
		}
		if _, _, err = b.svc.List(b.ctxA, accounts.ListOptions{Search: string(bytes.Repeat([]byte("é"), accounts.MaxSearch)), Page: 1, PerPage: 1}); err != nil {
			t.Fatalf("a search of %d characters: %v", accounts.MaxSearch, err)
		}
	})
}
