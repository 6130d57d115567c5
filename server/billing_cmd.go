package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/workspace"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/plans"
	"github.com/switchboardhq/switchboard/server/wallet"
)

// The operator's commands for plans, subscriptions and wallets. Each opens
// the app like the other commands (never creating a database without
// --create), acts as the operator (admin.AsOperator) and calls one domain
// operation, so the CLI obeys the same rules as GraphQL.

const (
	plansUsage = `usage: switchboard plans create --title T [--monthly-price 9.99] [--annual-price 99]
                          [--modules a,b] [--public=false] [--account-limit N]
       switchboard plans list [--archived]
       switchboard plans update --id N [--title T] [--monthly-price P] [--annual-price P]
                          [--modules a,b] [--public=true|false] [--account-limit N]
       switchboard plans archive --id N`
	subscriptionsUsage = `usage: switchboard subscriptions set --username U --plan ID [--expires 2027-01-31]
       switchboard subscriptions end --username U
       switchboard subscriptions show --username U`
	walletUsage = `usage: switchboard wallet credit|debit --workspace NAME --amount 12.50 --reason TEXT
                          [--pending] [--payment-id ID]
       switchboard wallet settle --id N --status completed|failed
       switchboard wallet show --workspace NAME`
)

// subcommand splits "plans create ..." into its verb and flags.
func subcommand(args []string, usage string, verbs ...string) (string, []string, error) {
	if len(args) == 0 || !strings.Contains(" "+strings.Join(verbs, " ")+" ", " "+args[0]+" ") {
		return "", nil, errors.New(usage)
	}
	return args[0], args[1:], nil
}

// opApp opens the app for an operator command and returns the operator's
// context.
func opApp(ctx context.Context, name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*app.App, context.Context, error) {
	a, err := openApp(ctx, name, args, stderr, extra)
	if err != nil {
		return nil, nil, err
	}
	return a, admin.AsOperator(ctx), nil
}

// centsFlag is an amount flag ("12.50") read as cents.
type centsFlag struct {
	cents int64
	set   bool
}

func (f *centsFlag) String() string {
	if f == nil {
		return "0.00"
	}
	return wallet.FormatCents(f.cents)
}

func (f *centsFlag) Set(s string) error {
	c, err := wallet.ParseCents(s)
	if err != nil {
		return err
	}
	f.cents, f.set = c, true
	return nil
}

func (f *centsFlag) ptr() *int64 {
	if !f.set {
		return nil
	}
	return &f.cents
}

// modulesFlag splits "a, b" into module names; "" is none.
func modulesFlag(s string) []string {
	if strings.TrimSpace(s) == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func describePlan(p *ent.Plan) string {
	limit := "no account limit"
	if p.AccountLimit > 0 {
		limit = fmt.Sprintf("%d accounts", p.AccountLimit)
	}
	vis := "public"
	if !p.IsPublic {
		vis = "private"
	}
	if p.ArchivedAt != nil {
		vis += ", archived " + p.ArchivedAt.UTC().Format(time.RFC3339)
	}
	mods := strings.Join(p.Modules, ",")
	if mods == "" {
		mods = "none"
	}
	return fmt.Sprintf("plan %s (id %d): %s/month, %s/year %s, %s, modules %s, %s", p.Title, p.ID,
		wallet.FormatCents(p.MonthlyPriceCents), wallet.FormatCents(p.AnnualPriceCents), wallet.Currency, limit, mods, vis)
}

func plansCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	verb, args, err := subcommand(args, plansUsage, "create", "list", "update", "archive")
	if err != nil {
		return err
	}
	var (
		id, limit               int
		title, modules          string
		public, archived        bool
		monthly, annual         centsFlag
		fset                    *flag.FlagSet
		withPlanFields, needsID = verb == "create" || verb == "update", verb == "update" || verb == "archive"
	)
	a, opCtx, err := opApp(ctx, "plans "+verb, args, stderr, func(fs *flag.FlagSet) {
		fset = fs
		if needsID {
			fs.IntVar(&id, "id", 0, "the plan's id (required)")
		}
		if withPlanFields {
			fs.StringVar(&title, "title", "", "the plan's title, unique")
			fs.Var(&monthly, "monthly-price", "monthly price, e.g. 9.99")
			fs.Var(&annual, "annual-price", "annual price, e.g. 99")
			fs.StringVar(&modules, "modules", "", "comma-separated module names, e.g. reactions,parser")
			fs.BoolVar(&public, "public", true, "listed to every user (false: given by an admin only)")
			fs.IntVar(&limit, "account-limit", 0, "social accounts a subscriber may hold; 0: no limit")
		}
		if verb == "list" {
			fs.BoolVar(&archived, "archived", false, "include archived plans")
		}
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if needsID && id <= 0 {
		return fmt.Errorf("plans %s: --id is required", verb)
	}
	switch verb {
	case "create":
		p, err := a.Plans.Create(opCtx, plans.Input{
			Title: title, MonthlyPriceCents: monthly.cents, AnnualPriceCents: annual.cents,
			Modules: modulesFlag(modules), IsPublic: public, AccountLimit: limit,
		})
		if err != nil {
			return fmt.Errorf("plans create: %w", err)
		}
		_, err = fmt.Fprintln(stdout, "created", describePlan(p))
		return err
	case "update":
		// An update changes only what was given.
		given := map[string]bool{}
		fset.Visit(func(f *flag.Flag) { given[f.Name] = true })
		pt := plans.Patch{MonthlyPriceCents: monthly.ptr(), AnnualPriceCents: annual.ptr()}
		if given["title"] {
			pt.Title = &title
		}
		if given["modules"] {
			pt.Modules = modulesFlag(modules)
		}
		if given["public"] {
			pt.IsPublic = &public
		}
		if given["account-limit"] {
			pt.AccountLimit = &limit
		}
		p, err := a.Plans.Update(opCtx, id, pt)
		if err != nil {
			return fmt.Errorf("plans update: %w", err)
		}
		_, err = fmt.Fprintln(stdout, "updated", describePlan(p))
		return err
	case "archive":
		p, err := a.Plans.Archive(opCtx, id)
		if err != nil {
			return fmt.Errorf("plans archive: %w", err)
		}
		_, err = fmt.Fprintln(stdout, "archived", describePlan(p))
		return err
	}
	ps, err := a.Plans.ListAll(opCtx, archived)
	if err != nil {
		return fmt.Errorf("plans list: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tMONTHLY\tANNUAL\tACCOUNTS\tMODULES\tPUBLIC\tARCHIVED")
	for _, p := range ps {
		arch := "-"
		if p.ArchivedAt != nil {
			arch = p.ArchivedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%t\t%s\n", p.ID, p.Title, wallet.FormatCents(p.MonthlyPriceCents),
			wallet.FormatCents(p.AnnualPriceCents), p.AccountLimit, strings.Join(p.Modules, ","), p.IsPublic, arch)
	}
	return tw.Flush()
}

// parseExpiry reads an end date: RFC 3339, or a day (its start, UTC).
func parseExpiry(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, fmt.Errorf("--expires %q: want a date like 2027-01-31 or 2027-01-31T00:00:00Z", s)
	}
	return &t, nil
}

func describeSubscription(u *ent.User, sub plans.Subscription) string {
	if sub.Plan == nil {
		return fmt.Sprintf("user %s (id %d) has no plan", u.Username, u.ID)
	}
	ends := "never ends"
	if sub.ExpireAt != nil {
		verb := "ends"
		if sub.Expired {
			verb = "ended"
		}
		ends = verb + " " + sub.ExpireAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("user %s (id %d) is on plan %s (id %d), %s", u.Username, u.ID, sub.Plan.Title, sub.Plan.ID, ends)
}

func subscriptionsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	verb, args, err := subcommand(args, subscriptionsUsage, "set", "end", "show")
	if err != nil {
		return err
	}
	var username, expires string
	var planID int
	a, opCtx, err := opApp(ctx, "subscriptions "+verb, args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "the subscriber (required)")
		if verb == "set" {
			fs.IntVar(&planID, "plan", 0, "the plan's id, from plans list (required)")
			fs.StringVar(&expires, "expires", "", "when the subscription ends (default: never)")
		}
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if username == "" {
		return fmt.Errorf("subscriptions %s: --username is required", verb)
	}
	exp, err := parseExpiry(expires)
	if err != nil {
		return fmt.Errorf("subscriptions %s: %w", verb, err)
	}
	u, err := a.Auth.UserByUsername(opCtx, username)
	if err != nil {
		return fmt.Errorf("subscriptions %s: %w", verb, err)
	}
	var got plans.Subscribed
	switch verb {
	case "set":
		if planID <= 0 {
			return errors.New("subscriptions set: --plan is required")
		}
		got, err = a.Plans.Subscribe(opCtx, plans.SubscribeInput{UserID: u.ID, PlanID: planID, ExpireAt: exp})
	case "end":
		got, err = a.Plans.EndSubscription(opCtx, u.ID)
	default:
		got.User = u
		got.Subscription, err = a.Plans.SubscriptionOf(opCtx, u.ID)
	}
	if err != nil {
		return fmt.Errorf("subscriptions %s: %w", verb, err)
	}
	_, err = fmt.Fprintln(stdout, describeSubscription(got.User, got.Subscription))
	return err
}

func walletCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	verb, args, err := subcommand(args, walletUsage, "credit", "debit", "settle", "show")
	if err != nil {
		return err
	}
	var name, reason, paymentID, status string
	var amount centsFlag
	var pending bool
	var id int
	a, opCtx, err := opApp(ctx, "wallet "+verb, args, stderr, func(fs *flag.FlagSet) {
		switch verb {
		case "settle":
			fs.IntVar(&id, "id", 0, "the pending transaction's id (required)")
			fs.StringVar(&status, "status", "", "completed or failed (required)")
			return
		case "credit", "debit":
			fs.Var(&amount, "amount", "amount, e.g. 12.50 (required)")
			fs.StringVar(&reason, "reason", "", "why, recorded with the transaction (required)")
			fs.BoolVar(&pending, "pending", false, "record it pending, counted once settled")
			fs.StringVar(&paymentID, "payment-id", "", "the payment outside Switchboard it belongs to")
		}
		fs.StringVar(&name, "workspace", "", "the workspace's name (required)")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if verb == "settle" {
		got, err := a.Wallet.Settle(opCtx, id, status)
		if err != nil {
			return fmt.Errorf("wallet settle: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "transaction %d is %s; balance %s %s\n", got.Transaction.ID, got.Transaction.Status,
			wallet.FormatCents(got.BalanceCents), wallet.Currency)
		return err
	}
	if name == "" {
		return fmt.Errorf("wallet %s: --workspace is required", verb)
	}
	readCtx, err := admin.Authorize(opCtx)
	if err != nil {
		return err
	}
	ws, err := a.Store.Client.Workspace.Query().Where(workspace.Name(name)).Only(readCtx)
	if ent.IsNotFound(err) {
		return fmt.Errorf("wallet %s: no workspace named %q", verb, name)
	}
	if err != nil {
		return fmt.Errorf("wallet %s: %w", verb, err)
	}
	if verb == "show" {
		bal, err := a.Wallet.BalanceOf(opCtx, ws.ID)
		if err != nil {
			return fmt.Errorf("wallet show: %w", err)
		}
		ts, total, err := a.Wallet.TransactionsOf(opCtx, ws.ID, wallet.ListOptions{PerPage: 20})
		if err != nil {
			return fmt.Errorf("wallet show: %w", err)
		}
		fmt.Fprintf(stdout, "workspace %s (id %d): balance %s %s, %d transactions\n", ws.Name, ws.ID, wallet.FormatCents(bal), wallet.Currency, total)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCREATED\tTYPE\tAMOUNT\tSTATUS\tDESCRIPTION")
		for _, t := range ts {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.CreatedAt.UTC().Format(time.RFC3339), t.Type,
				wallet.FormatCents(t.AmountCents), t.Status, strconv.Quote(t.Description))
		}
		return tw.Flush()
	}
	if !amount.set {
		return fmt.Errorf("wallet %s: --amount is required", verb)
	}
	got, err := a.Wallet.Adjust(opCtx, wallet.Adjustment{WorkspaceID: ws.ID, Type: verb, AmountCents: amount.cents, Reason: reason,
		Pending: pending, PaymentID: paymentID})
	if err != nil {
		return fmt.Errorf("wallet %s: %w", verb, err)
	}
	what := verb
	if pending {
		what = "pending " + verb
	}
	_, err = fmt.Fprintf(stdout, "recorded %s of %s %s (transaction %d) for workspace %s; balance %s %s\n", what,
		wallet.FormatCents(amount.cents), wallet.Currency, got.Transaction.ID, ws.Name, wallet.FormatCents(got.BalanceCents), wallet.Currency)
	return err
}
