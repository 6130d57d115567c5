package accounts_test

import (
	"github.com/switchboardhq/switchboard/server/accounts/accountstest"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestUpdateChangedWritesAndReportsOnlyWhatDiffers(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		a, err := b.svc.Create(b.ctxA, accounts.CreateInput{
			Platform: account.PlatformInstagram, Username: "alice",
			Credentials: accounts.Credentials{Password: ptr("same-pw"), Cookie: ptr("sid=old")},
		})
		if err != nil {
			t.Fatal(err)
		}
		sub := b.hub.Subscribe(events.TopicAccount, b.wsA)
		defer sub.Close()

		got, ch, err := b.svc.UpdateChanged(b.ctxA, accounts.UpdateInput{
			ID:             a.ID,
			ErrorMessage:   ptr(""), // already empty
			Note:           ptr("refreshed"),
			ExternalStatus: ptr("active"),
			Profile:        accounts.Profile{Status: ptr(account.StatusPENDING)}, // already PENDING
			Credentials:    accounts.Credentials{Password: ptr("same-pw"), Cookie: ptr("sid=new"), TotpSecret: ptr("")},
		})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if want := []string{account.FieldNote, account.FieldExternalStatus}; !slices.Equal(ch.Fields, want) {
			t.Errorf("changed fields = %v, want %v", ch.Fields, want)
		}
		if want := []accounts.Kind{accounts.KindCookie}; !slices.Equal(ch.Credentials, want) {
			t.Errorf("changed credentials = %v, want %v", ch.Credentials, want)
		}
		if got.Note != "refreshed" || got.ExternalStatus != "active" {
			t.Errorf("stored note %q external status %q", got.Note, got.ExternalStatus)
		}
		creds, err := accountstest.Stored(t, b.client, b.svc, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *creds.Cookie != "sid=new" || *creds.Password != "same-pw" {
			t.Errorf("credentials after update: cookie %q password %q", *creds.Cookie, *creds.Password)
		}
		select {
		case ev := <-sub.C():
			if ev.ID != a.ID || ev.Op != events.OpUpdated {
				t.Errorf("event %+v", ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no account event after a change")
		}

		// The same values again change nothing, write nothing, publish nothing.
		before := b.client.Account.GetX(b.ctxA, a.ID)
		_, ch, err = b.svc.UpdateChanged(b.ctxA, accounts.UpdateInput{
			ID: a.ID, Note: ptr("refreshed"), Credentials: accounts.Credentials{Cookie: ptr("sid=new")},
		})
		if err != nil || !ch.Empty() {
			t.Fatalf("repeat: changes %+v, err %v", ch, err)
		}
		if after := b.client.Account.GetX(b.ctxA, a.ID); !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("a no-op update touched updated_at: %s → %s", before.UpdatedAt, after.UpdatedAt)
		}
		select {
		case ev := <-sub.C():
			t.Errorf("a no-op update published %+v", ev)
		default:
		}
	})
}
