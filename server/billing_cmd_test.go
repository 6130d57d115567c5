package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/testkit"
)

// TestPlansSubscriptionsAndWalletCommandsRoundTrip drives the operator's
// commands on both backends: a plan made, listed, changed and archived, a
// user put on it and taken off, a wallet credited and refused an
// overdraft.
func TestPlansSubscriptionsAndWalletCommandsRoundTrip(t *testing.T) {
	backends := map[string]func(t *testing.T) []string{
		"sqlite": func(t *testing.T) []string { return []string{"--data-dir", t.TempDir()} },
		"postgres": func(t *testing.T) []string {
			return []string{"--database-url", testkit.PostgresURL(t), "--data-dir", t.TempDir()}
		},
	}
	for name, backend := range backends {
		t.Run(name, func(t *testing.T) {
			t.Setenv("SWITCHBOARD_SECRET_KEY", strings.Repeat("f6", 32))
			db := backend(t)
			run := func(args ...string) string {
				t.Helper()
				out, err := cli(t, append(args, db...)...)
				if err != nil {
					t.Fatalf("%s: %v", args, err)
				}
				return out
			}
			fails := func(want string, args ...string) {
				t.Helper()
				if _, err := cli(t, append(args, db...)...); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s = %v; want an error containing %q", args, err, want)
				}
			}
			if _, err := cli(t, append([]string{"plans", "list"}, db...)...); err == nil || !strings.Contains(err.Error(), "--create") {
				t.Fatalf("plans list on no database = %v; want a refusal naming --create", err)
			}
			run("users", "create", "--create", "--username", "ada", "--password", "correct horse", "--workspace", "acme")
			run("users", "create", "--username", "bob", "--password", "correct horse")

			out := run("plans", "create", "--title", "Pro", "--monthly-price", "9.99", "--annual-price", "99",
				"--modules", "reactions, parser", "--account-limit", "1")
			m := regexp.MustCompile(`^created plan Pro \(id (\d+)\): 9\.99/month, 99\.00/year USD, 1 accounts, modules reactions,parser, public\n$`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("plans create printed %q", out)
			}
			id := m[1]
			fails("title: is required", "plans", "create", "--title", " ")
			fails(`a plan titled "Pro" already exists`, "plans", "create", "--title", "Pro")
			fails("not an amount", "plans", "create", "--title", "Cheap", "--monthly-price", "-1")
			fails("--id is required", "plans", "update", "--title", "x")

			out = run("plans", "update", "--id", id, "--account-limit", "2", "--public=false")
			if !strings.Contains(out, "plan Pro (id "+id+"): 9.99/month, 99.00/year USD, 2 accounts, modules reactions,parser, private") {
				t.Fatalf("plans update printed %q; want only the limit and visibility changed", out)
			}
			if out = run("plans", "list"); !regexp.MustCompile(`(?m)^` + id + `\s+Pro\s+9\.99\s+99\.00\s+2\s+reactions,parser\s+false\s+-$`).MatchString(out) {
				t.Fatalf("plans list printed %q", out)
			}

			out = run("subscriptions", "set", "--username", "ada", "--plan", id, "--expires", "2099-01-31")
			if !strings.Contains(out, "user ada (id ") || !strings.Contains(out, "is on plan Pro (id "+id+"), ends 2099-01-31T00:00:00Z") {
				t.Fatalf("subscriptions set printed %q", out)
			}
			if out = run("subscriptions", "show", "--username", "ada"); !strings.Contains(out, "ends 2099-01-31T00:00:00Z") {
				t.Fatalf("subscriptions show printed %q", out)
			}
			fails("user not found", "subscriptions", "show", "--username", "nobody")
			fails("--expires", "subscriptions", "set", "--username", "ada", "--plan", id, "--expires", "soon")
			fails("plan not found", "subscriptions", "set", "--username", "ada", "--plan", "9999")

			out = run("wallet", "credit", "--workspace", "acme", "--amount", "12.50", "--reason", "welcome bonus")
			if !regexp.MustCompile(`^recorded credit of 12\.50 USD \(transaction \d+\) for workspace acme; balance 12\.50 USD\n$`).MatchString(out) {
				t.Fatalf("wallet credit printed %q", out)
			}
			fails("exceeds the wallet's balance of 12.50 USD", "wallet", "debit", "--workspace", "acme", "--amount", "20", "--reason", "too much")
			fails("reason: is required", "wallet", "debit", "--workspace", "acme", "--amount", "2")
			fails(`no workspace named "nowhere"`, "wallet", "credit", "--workspace", "nowhere", "--amount", "1", "--reason", "x")
			run("wallet", "debit", "--workspace", "acme", "--amount", "2.5", "--reason", "fee")
			out = run("wallet", "credit", "--workspace", "acme", "--amount", "5", "--reason", "card top-up", "--pending", "--payment-id", "pi_42")
			m = regexp.MustCompile(`^recorded pending credit of 5\.00 USD \(transaction (\d+)\) for workspace acme; balance 10\.00 USD\n$`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("pending wallet credit printed %q", out)
			}
			fails("status: must be completed or failed", "wallet", "settle", "--id", m[1], "--status", "pending")
			if out = run("wallet", "settle", "--id", m[1], "--status", "completed"); out != "transaction "+m[1]+" is completed; balance 15.00 USD\n" {
				t.Fatalf("wallet settle printed %q", out)
			}
			fails("only a pending one is settled", "wallet", "settle", "--id", m[1], "--status", "failed")
			fails("wallet transaction not found", "wallet", "settle", "--id", "999999", "--status", "failed")
			run("wallet", "debit", "--workspace", "acme", "--amount", "5", "--reason", "refund of the top-up")
			out = run("wallet", "show", "--workspace", "acme")
			if !strings.Contains(out, "balance 10.00 USD, 4 transactions") || !strings.Contains(out, `"welcome bonus"`) ||
				!regexp.MustCompile(`(?m)debit\s+2\.50\s+completed\s+"fee"$`).MatchString(out) {
				t.Fatalf("wallet show printed %q", out)
			}

			if out = run("plans", "archive", "--id", id); !strings.HasPrefix(out, "archived plan Pro") || !strings.Contains(out, "private, archived ") {
				t.Fatalf("plans archive printed %q", out)
			}
			if out = run("plans", "list"); strings.Contains(out, "Pro") {
				t.Fatalf("an archived plan is listed without --archived: %q", out)
			}
			if out = run("plans", "list", "--archived"); !strings.Contains(out, "Pro") {
				t.Fatalf("plans list --archived printed %q", out)
			}
			fails("archived", "subscriptions", "set", "--username", "ada", "--plan", id)
			if out = run("subscriptions", "end", "--username", "ada"); !strings.Contains(out, "is on plan Pro (id "+id+"), ended ") {
				t.Fatalf("subscriptions end printed %q", out)
			}
			fails("no subscription", "subscriptions", "end", "--username", "bob")
		})
	}
}
