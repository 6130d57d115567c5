package wallet_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
	"github.com/switchboardhq/switchboard/server/wallet"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// workspaces returns the contexts of members of n new workspaces, user IDs
// 1..n.
func workspaces(t *testing.T, st *store.Store, n int) []context.Context {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	out := make([]context.Context, n)
	for i := range out {
		ws := st.Client.Workspace.Create().SetName(string(rune('a' + i))).SaveX(sys)
		out[i] = viewer.NewContext(t.Context(), &viewer.Viewer{UserID: i + 1, WorkspaceID: ws.ID, Role: viewer.RoleMember})
	}
	return out
}

func record(t *testing.T, svc *wallet.Service, ctx context.Context, e wallet.Entry) {
	t.Helper()
	if _, err := svc.Record(ctx, e); err != nil {
		t.Fatalf("record %+v: %v", e, err)
	}
}

func TestWalletBalanceAddsCompletedCreditsLessDebitsOfTheWorkspace(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctxs := workspaces(t, st, 3)
		a, b, empty := ctxs[0], ctxs[1], ctxs[2]
		svc := wallet.NewService(st.Client, st.Driver)
		for _, e := range []wallet.Entry{
			{AmountCents: 1000, Type: "credit", Status: "completed"},
			{AmountCents: 250, Type: "credit", Status: "completed"},
			{AmountCents: 300, Type: "debit", Status: "completed"},
			{AmountCents: 5000, Type: "credit", Status: "pending"},
			{AmountCents: 4000, Type: "credit"}, // pending by default
			{AmountCents: 700, Type: "debit", Status: "failed"},
			{AmountCents: 800, Type: "credit", Status: "failed"},
		} {
			record(t, svc, a, e)
		}
		record(t, svc, b, wallet.Entry{AmountCents: 99, Type: "credit", Status: "completed"})
		record(t, svc, b, wallet.Entry{AmountCents: 150, Type: "debit", Status: "completed"})

		for _, c := range []struct {
			name string
			ctx  context.Context
			want int64
		}{{"a", a, 950}, {"b", b, -51}, {"empty", empty, 0}} {
			got, err := svc.Balance(c.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("balance of %s: %d cents, want %d", c.name, got, c.want)
			}
		}
	})
}

func TestWalletTransactionsFilterPageNewestFirstWithinTheWorkspace(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctxs := workspaces(t, st, 2)
		a, b := ctxs[0], ctxs[1]
		svc := wallet.NewService(st.Client, st.Driver)
		record(t, svc, a, wallet.Entry{AmountCents: 1, Type: "credit", Status: "completed", Description: "first"})
		record(t, svc, a, wallet.Entry{AmountCents: 2, Type: "debit", Status: "pending", PaymentID: "pay_2"})
		record(t, svc, a, wallet.Entry{AmountCents: 3, Type: "credit", Status: "failed"})
		record(t, svc, a, wallet.Entry{AmountCents: 4, Type: "credit", Status: "completed", UserID: 42})
		record(t, svc, b, wallet.Entry{AmountCents: 5, Type: "credit", Status: "completed"})

		ts, total, err := svc.Transactions(a, wallet.ListOptions{Page: 1, PerPage: 3})
		if err != nil {
			t.Fatal(err)
		}
		if total != 4 || len(ts) != 3 || ts[0].AmountCents != 4 || ts[1].AmountCents != 3 || ts[2].AmountCents != 2 {
			t.Fatalf("page 1: total %d, %v", total, ts)
		}
		if ts[0].UserID == nil || *ts[0].UserID != 42 || ts[1].UserID == nil || *ts[1].UserID != 1 {
			t.Fatalf("user IDs: %v, %v (want the given one, else the viewer's)", ts[0].UserID, ts[1].UserID)
		}
		ts, _, err = svc.Transactions(a, wallet.ListOptions{Page: 2, PerPage: 3})
		if err != nil || len(ts) != 1 || ts[0].Description != "first" {
			t.Fatalf("page 2: %v, %v", ts, err)
		}
		ts, total, err = svc.Transactions(a, wallet.ListOptions{Type: "credit", Status: "completed", Page: 1, PerPage: 10})
		if err != nil || total != 2 || len(ts) != 2 || ts[0].AmountCents != 4 || ts[1].AmountCents != 1 {
			t.Fatalf("completed credits: %d %v %v", total, ts, err)
		}
		ts, total, err = svc.Transactions(a, wallet.ListOptions{Type: "debit", Page: 1, PerPage: 10})
		if err != nil || total != 1 || ts[0].PaymentID != "pay_2" {
			t.Fatalf("debits: %d %v %v", total, ts, err)
		}
		ts, total, err = svc.Transactions(b, wallet.ListOptions{Page: 1, PerPage: 10})
		if err != nil || total != 1 || len(ts) != 1 || ts[0].AmountCents != 5 {
			t.Fatalf("workspace b sees %d: %v %v", total, ts, err)
		}

		for field, o := range map[string]wallet.ListOptions{
			"type":   {Type: "refund", Page: 1, PerPage: 10},
			"status": {Status: "COMPLETED", Page: 1, PerPage: 10},
		} {
			if _, _, err := svc.Transactions(a, o); errs.Field(err) != field {
				t.Errorf("filter %+v: %v, want invalid %s", o, err, field)
			}
		}
	})
}

func TestWalletRecordValidates(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctx := workspaces(t, st, 1)[0]
		svc := wallet.NewService(st.Client, st.Driver)
		for field, e := range map[string]wallet.Entry{
			"amount":      {AmountCents: 0, Type: "credit"},
			"type":        {AmountCents: 1, Type: "refund"},
			"status":      {AmountCents: 1, Type: "debit", Status: "done"},
			"description": {AmountCents: 1, Type: "debit", Description: strings.Repeat("é", wallet.MaxDescriptionLen+1)},
			"paymentId":   {AmountCents: 1, Type: "debit", PaymentID: strings.Repeat("x", wallet.MaxPaymentIDLen+1)},
		} {
			_, err := svc.Record(ctx, e)
			if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != field {
				t.Errorf("%s: %v, want invalid %s", field, err, field)
			}
		}
		if _, err := svc.Record(ctx, wallet.Entry{AmountCents: -5, Type: "credit"}); errs.Field(err) != "amount" {
			t.Errorf("negative amount: %v", err)
		}
		tx, err := svc.Record(ctx, wallet.Entry{AmountCents: 1, Type: "debit", Description: strings.Repeat("é", wallet.MaxDescriptionLen)})
		if err != nil || tx.Status != "pending" {
			t.Fatalf("longest description: %v, %v", tx, err)
		}
		if n, _, _ := svc.Transactions(ctx, wallet.ListOptions{Page: 1, PerPage: 10}); len(n) != 1 {
			t.Fatalf("%d transactions saved, want only the valid one", len(n))
		}
	})
}
