package keycheck_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/keycheck"
	"github.com/switchboardhq/switchboard/server/secrets"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func box(t *testing.T, fill byte) *secrets.Box {
	t.Helper()
	key := make([]byte, secrets.KeySize)
	for i := range key {
		key[i] = fill
	}
	b, err := secrets.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyStoresTheFirstKeyAndRefusesAnother(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		right, wrong := box(t, 1), box(t, 2)
		if got, err := keycheck.Stored(ctx, st.Client); err != nil || got != "" {
			t.Fatalf("Stored on a new database = %q, %v; want nothing", got, err)
		}
		if err := keycheck.Verify(ctx, st.Client, right, "SWITCHBOARD_SECRET_KEY", nil); err != nil {
			t.Fatalf("first Verify: %v", err)
		}
		if got, _ := keycheck.Stored(ctx, st.Client); got != right.CheckValue() {
			t.Fatalf("stored %q, want the first key's check value", got)
		}
		if err := keycheck.Verify(ctx, st.Client, right, "SWITCHBOARD_SECRET_KEY", nil); err != nil {
			t.Fatalf("Verify with the same key: %v", err)
		}
		err := keycheck.Verify(ctx, st.Client, wrong, "key file /srv/data/secret.key", nil)
		if !errors.Is(err, keycheck.ErrMismatch) || !strings.Contains(err.Error(), "key file /srv/data/secret.key") {
			t.Fatalf("Verify with another key = %v; want ErrMismatch naming the key file", err)
		}
		if got, _ := keycheck.Stored(ctx, st.Client); got != right.CheckValue() {
			t.Fatal("a refused key replaced the stored check value")
		}
	})
}

func TestVerifyProbesADatabaseWithoutCheckValue(t *testing.T) {
	unreadable := errors.New("sealed secret cannot be opened")
	tests := []struct {
		name      string
		probe     keycheck.Probe
		wantErr   bool
		wantStore bool
	}{
		{"nothing stored opens", func(context.Context, *secrets.Box) error { return nil }, false, true},
		{"stored secrets do not open", func(context.Context, *secrets.Box) error { return unreadable }, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
				err := keycheck.Verify(t.Context(), st.Client, box(t, 3), "SWITCHBOARD_SECRET_KEY", tc.probe)
				if tc.wantErr != (err != nil) || (err != nil && (!errors.Is(err, keycheck.ErrMismatch) || !strings.Contains(err.Error(), "SWITCHBOARD_SECRET_KEY"))) {
					t.Fatalf("Verify = %v, want error %v naming the source", err, tc.wantErr)
				}
				got, _ := keycheck.Stored(t.Context(), st.Client)
				if (got != "") != tc.wantStore {
					t.Fatalf("stored check value %q, want stored %v", got, tc.wantStore)
				}
			})
		})
	}
}
