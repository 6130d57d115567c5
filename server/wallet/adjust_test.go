package wallet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/wallettransaction"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
	"github.com/switchboardhq/switchboard/server/wallet"
)

func TestWalletAdjustIsForAdminsAndTheOperatorOnly(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctxs := workspaces(t, st, 1)
		member := viewer.FromContext(ctxs[0])
		svc := wallet.NewService(st.Client, st.Driver)
		credit := wallet.Adjustment{WorkspaceID: member.WorkspaceID, Type: "credit", AmountCents: 500, Reason: "gift"}
		for name, c := range map[string]struct {
			ctx  context.Context
			want error
		}{
			"member":                {ctxs[0], errs.ErrForbidden},
			"admin key of a worker": {viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 9, WorkspaceID: member.WorkspaceID, Role: viewer.RoleAdmin, Scope: viewer.ScopeWorker}), errs.ErrForbidden},
			"no viewer":             {t.Context(), errs.ErrUnauthenticated},
			"system":                {privacy.DecisionContext(t.Context(), privacy.Allow), errs.ErrUnauthenticated},
		} {
			if _, err := svc.Adjust(c.ctx, credit); !errors.Is(err, c.want) {
				t.Errorf("%s: Adjust: %v, want %v", name, err, c.want)
			}
			if _, err := svc.BalanceOf(c.ctx, member.WorkspaceID); !errors.Is(err, c.want) {
				t.Errorf("%s: BalanceOf: %v, want %v", name, err, c.want)
			}
			if _, _, err := svc.TransactionsOf(c.ctx, member.WorkspaceID, wallet.ListOptions{}); !errors.Is(err, c.want) {
				t.Errorf("%s: TransactionsOf: %v, want %v", name, err, c.want)
			}
		}
		if b, _ := svc.Balance(ctxs[0]); b != 0 {
			t.Fatalf("a refused adjustment moved money: balance %d", b)
		}
	})
}

func TestWalletAdjustCreditsAndDebitsAnotherWorkspaceWithoutGoingNegative(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctxs := workspaces(t, st, 2)
		ops, acme := viewer.FromContext(ctxs[0]), viewer.FromContext(ctxs[1])
		root := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: ops.UserID, WorkspaceID: ops.WorkspaceID, Role: viewer.RoleAdmin})
		svc := wallet.NewService(st.Client, st.Driver)

		got, err := svc.Adjust(root, wallet.Adjustment{WorkspaceID: acme.WorkspaceID, Type: "credit", AmountCents: 1250, Reason: "  welcome bonus "})
		if err != nil {
			t.Fatal(err)
		}
		tr := got.Transaction
		if got.BalanceCents != 1250 || tr.Status != wallettransaction.StatusCompleted || tr.Description != "welcome bonus" ||
			tr.UserID == nil || *tr.UserID != ops.UserID || tr.WorkspaceID != acme.WorkspaceID {
			t.Fatalf("credit %+v", got)
		}
		got, err = svc.Adjust(admin.AsOperator(t.Context()), wallet.Adjustment{WorkspaceID: acme.WorkspaceID, Type: "debit", AmountCents: 250, Reason: "refund"})
		if err != nil || got.BalanceCents != 1000 || got.Transaction.UserID != nil {
			t.Fatalf("operator's debit %+v, %v", got, err)
		}
		_, err = svc.Adjust(root, wallet.Adjustment{WorkspaceID: acme.WorkspaceID, Type: "debit", AmountCents: 1001, Reason: "too much"})
		if errs.Field(err) != "amount" || !strings.Contains(err.Error(), "10.00") {
			t.Fatalf("overdraft: %v, want invalid amount naming the balance", err)
		}
		// The member sees the admin's movements in their own wallet; the
		// admin's workspace has none.
		if b, err := svc.Balance(ctxs[1]); err != nil || b != 1000 {
			t.Fatalf("member's balance %d, %v", b, err)
		}
		if b, err := svc.BalanceOf(root, acme.WorkspaceID); err != nil || b != 1000 {
			t.Fatalf("BalanceOf %d, %v", b, err)
		}
		if b, err := svc.Balance(ctxs[0]); err != nil || b != 0 {
			t.Fatalf("admin's own balance %d, %v", b, err)
		}
		ts, total, err := svc.TransactionsOf(root, acme.WorkspaceID, wallet.ListOptions{})
		if err != nil || total != 2 || ts[0].Description != "refund" {
			t.Fatalf("TransactionsOf: %d %v", total, err)
		}

		for field, a := range map[string]wallet.Adjustment{
			"workspaceID": {Type: "credit", AmountCents: 1, Reason: "x"},
			"type":        {WorkspaceID: acme.WorkspaceID, Type: "gift", AmountCents: 1, Reason: "x"},
			"amount":      {WorkspaceID: acme.WorkspaceID, Type: "credit", AmountCents: 0, Reason: "x"},
			"reason":      {WorkspaceID: acme.WorkspaceID, Type: "credit", AmountCents: 1, Reason: " "},
		} {
			if _, err := svc.Adjust(root, a); errs.Field(err) != field {
				t.Errorf("%s: %v, want invalid %s", field, err, field)
			}
		}
		if _, err := svc.Adjust(root, wallet.Adjustment{WorkspaceID: acme.WorkspaceID, Type: "credit", AmountCents: 1, Reason: strings.Repeat("é", wallet.MaxDescriptionLen+1)}); errs.Field(err) != "reason" {
			t.Errorf("long reason: %v", err)
		}
		if _, err := svc.Adjust(root, wallet.Adjustment{WorkspaceID: acme.WorkspaceID + 100, Type: "credit", AmountCents: 1, Reason: "x"}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("unknown workspace: %v, want not found", err)
		}
		if _, err := svc.BalanceOf(root, acme.WorkspaceID+100); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("unknown workspace's balance: %v, want not found", err)
		}
	})
}

func TestWalletDebitsRacingForTheSameMoneyDoNotBothPass(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctxs := workspaces(t, st, 1)
		ws := viewer.FromContext(ctxs[0]).WorkspaceID
		op := admin.AsOperator(t.Context())
		svc := wallet.NewService(st.Client, st.Driver)
		if _, err := svc.Adjust(op, wallet.Adjustment{WorkspaceID: ws, Type: "credit", AmountCents: 1000, Reason: "top-up"}); err != nil {
			t.Fatal(err)
		}
		passed := racing(t, 8, "amount", func(int) error {
			_, err := svc.Adjust(op, wallet.Adjustment{WorkspaceID: ws, Type: "debit", AmountCents: 400, Reason: "order"})
			return err
		})
		b, err := svc.BalanceOf(op, ws)
		if passed != 2 || b != 200 {
			t.Fatalf("%d debits of 4.00 passed on 10.00, balance %d (%v); want 2 and 200", passed, b, err)
		}
	})
}

func TestWalletPendingMovementsCountOnlyOnceSettledCompleted(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctxs := workspaces(t, st, 2)
		ws, other := viewer.FromContext(ctxs[0]).WorkspaceID, viewer.FromContext(ctxs[1]).WorkspaceID
		op := admin.AsOperator(t.Context())
		svc := wallet.NewService(st.Client, st.Driver)
		adjust := func(typ string, cents int64, pending bool) wallet.Adjusted {
			t.Helper()
			got, err := svc.Adjust(op, wallet.Adjustment{WorkspaceID: ws, Type: typ, AmountCents: cents, Reason: typ, Pending: pending, PaymentID: "pi_1"})
			if err != nil {
				t.Fatalf("%s of %d: %v", typ, cents, err)
			}
			return got
		}
		topUp := adjust("credit", 1000, true)
		if topUp.BalanceCents != 0 || topUp.Transaction.Status != wallettransaction.StatusPending || topUp.Transaction.PaymentID != "pi_1" {
			t.Fatalf("pending credit %+v", topUp)
		}
		// A pending debit is not judged against the balance until it completes.
		bigDebit := adjust("debit", 5000, true)
		if b, _ := svc.Balance(ctxs[0]); b != 0 {
			t.Fatalf("pending movements moved money: balance %d", b)
		}

		for name, c := range map[string]struct {
			id     int
			status string
			ctx    context.Context
			want   error
			field  string
		}{
			"member":            {topUp.Transaction.ID, "completed", ctxs[0], errs.ErrForbidden, ""},
			"not an end":        {topUp.Transaction.ID, "pending", op, errs.ErrInvalid, "status"},
			"unknown status":    {topUp.Transaction.ID, "paid", op, errs.ErrInvalid, "status"},
			"unknown id":        {topUp.Transaction.ID + 1000, "completed", op, errs.ErrNotFound, ""},
			"debit not covered": {bigDebit.Transaction.ID, "completed", op, errs.ErrInvalid, "amount"},
		} {
			if _, err := svc.Settle(c.ctx, c.id, c.status); !errors.Is(err, c.want) || errs.Field(err) != c.field {
				t.Errorf("%s: %v, want %v on %q", name, err, c.want, c.field)
			}
		}

		got, err := svc.Settle(op, topUp.Transaction.ID, "completed")
		if err != nil || got.BalanceCents != 1000 || got.Transaction.Status != wallettransaction.StatusCompleted {
			t.Fatalf("settle completed: %+v, %v", got, err)
		}
		if _, err := svc.Settle(op, topUp.Transaction.ID, "failed"); errs.Field(err) != "status" {
			t.Fatalf("settling a completed transaction again: %v, want invalid status", err)
		}
		if got, err = svc.Settle(op, bigDebit.Transaction.ID, "failed"); err != nil || got.BalanceCents != 1000 {
			t.Fatalf("settle failed: %+v, %v", got, err)
		}
		small := adjust("debit", 400, true)
		if got, err = svc.Settle(op, small.Transaction.ID, "completed"); err != nil || got.BalanceCents != 600 {
			t.Fatalf("covered pending debit: %+v, %v", got, err)
		}
		if b, _ := svc.BalanceOf(op, ws); b != 600 {
			t.Fatalf("balance %d, want 600", b)
		}
		if b, _ := svc.BalanceOf(op, other); b != 0 {
			t.Fatalf("another workspace's balance %d", b)
		}
	})
}

func TestWalletSettlingOnePendingTransactionTwiceAtOnceCountsItOnce(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ws := viewer.FromContext(workspaces(t, st, 1)[0]).WorkspaceID
		op := admin.AsOperator(t.Context())
		svc := wallet.NewService(st.Client, st.Driver)
		p, err := svc.Adjust(op, wallet.Adjustment{WorkspaceID: ws, Type: "credit", AmountCents: 300, Reason: "top-up", Pending: true})
		if err != nil {
			t.Fatal(err)
		}
		passed := racing(t, 6, "status", func(i int) error {
			_, err := svc.Settle(op, p.Transaction.ID, []string{"completed", "failed"}[i%2])
			return err
		})
		tr := st.Client.WalletTransaction.GetX(privacy.DecisionContext(t.Context(), privacy.Allow), p.Transaction.ID)
		b, _ := svc.BalanceOf(op, ws)
		want := map[wallettransaction.Status]int64{wallettransaction.StatusCompleted: 300, wallettransaction.StatusFailed: 0}[tr.Status]
		if passed != 1 || b != want || tr.Status == wallettransaction.StatusPending {
			t.Fatalf("%d settlements passed, status %s, balance %d; want 1 and a balance of %d", passed, tr.Status, b, want)
		}
	})
}

// racing calls fn(0) … fn(n-1) at once and returns how many passed; a
// call may fail only as invalid on field, the check the race is about.
func racing(t *testing.T, n int, field string, fn func(i int) error) int {
	t.Helper()
	var passed atomic.Int32
	testkit.Concurrently(t, n, func(i int) error {
		err := fn(i)
		switch {
		case err == nil:
			passed.Add(1)
		case errs.Field(err) != field:
			return fmt.Errorf("call %d failed otherwise than on %s: %w", i, field, err)
		}
		return nil
	})
	return int(passed.Load())
}

func TestWalletLedgerIsAppendOnly(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctxs := workspaces(t, st, 1)
		ws := viewer.FromContext(ctxs[0]).WorkspaceID
		svc := wallet.NewService(st.Client, st.Driver)
		got, err := svc.Adjust(admin.AsOperator(t.Context()), wallet.Adjustment{WorkspaceID: ws, Type: "credit", AmountCents: 700, Reason: "top-up"})
		if err != nil {
			t.Fatal(err)
		}
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		id := got.Transaction.ID
		if err := st.Client.WalletTransaction.UpdateOneID(id).SetAmountCents(70000).Exec(sys); err == nil {
			t.Error("an amount was rewritten")
		}
		if err := st.Client.WalletTransaction.UpdateOneID(id).SetDescription("other").Exec(sys); err == nil {
			t.Error("a description was rewritten")
		}
		if err := st.Client.WalletTransaction.DeleteOneID(id).Exec(sys); err == nil {
			t.Error("a movement was deleted")
		}
		if _, err := st.Client.WalletTransaction.Delete().Exec(sys); err == nil {
			t.Error("the ledger was deleted")
		}
		// A pending payment's status still moves on.
		p := st.Client.WalletTransaction.Create().SetWorkspaceID(ws).SetType("credit").SetAmountCents(5).SaveX(sys)
		if err := st.Client.WalletTransaction.UpdateOne(p).SetStatus("completed").Exec(sys); err != nil {
			t.Errorf("completing a pending payment: %v", err)
		}
		if b, _ := svc.BalanceOf(admin.AsOperator(t.Context()), ws); b != 705 {
			t.Fatalf("balance %d, want 705", b)
		}
	})
}

func TestWalletCentsParseAndFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"12": 1200, "12.5": 1250, "12.50": 1250, "0.01": 1, " 3.07 ": 307, "0": 0} {
		if got, err := wallet.ParseCents(in); err != nil || got != want {
			t.Errorf("ParseCents(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "+1", "1.234", "1.", ".5", "1e3", "1,50", "12.5x", "9999999999999"} {
		if got, err := wallet.ParseCents(in); err == nil {
			t.Errorf("ParseCents(%q) = %d, want an error", in, got)
		}
	}
	for c, want := range map[int64]string{0: "0.00", 5: "0.05", 1250: "12.50", -307: "-3.07"} {
		if got := wallet.FormatCents(c); got != want {
			t.Errorf("FormatCents(%d) = %q, want %q", c, got, want)
		}
	}
}
