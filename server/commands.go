package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strings"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const usage = `usage: switchboard [command] [flags]

commands:
  serve                 run the server (the default)
  migrate               create or update the database schema, then exit
  users create --username U --password P [--role admin|member] [--workspace NAME]
  keys create --username U [--scope api|worker|admin] [--name N]
                        prints the raw key as its last line
  plans create|list|update|archive ...
                        the plan catalog (Sharingtools' packages); see
                        switchboard plans
  subscriptions set|end|show --username U ...
                        a user's plan and when it ends
  wallet credit|debit|show --workspace NAME ...
                        a workspace's wallet
  simulate-worker --url URL --key KEY [--kinds post_publish,...] [--script FILE]
                  [--concurrency N] [--limit N] [--once] [--max-tasks N]
                  [--idle-exit DURATION] [--subscribe]
                        a SIMULATED worker: claims tasks and reports scripted
                        outcomes; never contacts a social platform
  version               print the version

common flags (override the environment):
  --addr ADDR           listen address (ADDR, default :8080)
  --data-dir DIR        SQLite file and key file (DATA_DIR, default ./data)
  --database-url URL    postgres://... to use PostgreSQL (DATABASE_URL)
  --create              migrate, users, keys, plans, subscriptions, wallet:
                        create the database and key
                        file if missing (serve always does); without it a
                        data dir with no database is an error
`

// run dispatches a command line; it is main without the process exit, so
// tests can drive it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		cmd, args = "help", nil
	} else if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stderr)
	case "migrate":
		return migrate(ctx, args, stdout, stderr)
	case "users":
		if len(args) == 0 || args[0] != "create" {
			return errors.New("usage: switchboard users create --username U --password P [--role admin|member] [--workspace NAME]")
		}
		return usersCreate(ctx, args[1:], stdout, stderr)
	case "keys":
		if len(args) == 0 || args[0] != "create" {
			return errors.New("usage: switchboard keys create --username U [--scope api|worker|admin] [--name N]")
		}
		return keysCreate(ctx, args[1:], stdout, stderr)
	case "plans":
		return plansCmd(ctx, args, stdout, stderr)
	case "subscriptions":
		return subscriptionsCmd(ctx, args, stdout, stderr)
	case "wallet":
		return walletCmd(ctx, args, stdout, stderr)
	case "simulate-worker":
		return simulateWorker(ctx, args, stdout, stderr)
	case "version":
		_, err := fmt.Fprintln(stdout, "switchboard", version())
		return err
	case "help", "-h", "--help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

// flags returns a flag set with the common flags bound to cfg.
func flags(name string, cfg *config.Config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory")
	fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "PostgreSQL URL")
	return fs
}

func logger(cfg config.Config, w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil || level == zerolog.NoLevel {
		level = zerolog.InfoLevel
	}
	if cfg.LogFormat == "console" {
		w = zerolog.ConsoleWriter{Out: w}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// openApp parses the common flags and opens the app (migrating the schema).
// Only serve, or another command given --create, may create a database.
func openApp(ctx context.Context, name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*app.App, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	fs := flags(name, &cfg, stderr)
	if name == "serve" {
		cfg.Create = true
	} else {
		fs.BoolVar(&cfg.Create, "create", false, "create the database and key file if they do not exist")
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%s: unexpected arguments %q", name, fs.Args())
	}
	return app.Open(ctx, cfg, logger(cfg, stderr))
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	a, err := openApp(ctx, "serve", args, stderr, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	backend := "sqlite:" + a.Config.DataDir
	if a.Store.URL != "" {
		backend = "postgres"
	}
	a.Log.Info().Str("addr", ln.Addr().String()).Str("database", backend).Str("version", version()).Msg("switchboard listening")
	if ok, err := a.HasUsers(ctx); err == nil && !ok {
		a.Log.Info().Msg("no users yet; create the first admin with: switchboard users create --username admin --password '...' --role admin")
	}
	return a.Serve(ctx, ln)
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a, err := openApp(ctx, "migrate", args, stderr, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	_, err = fmt.Fprintln(stdout, "schema is up to date")
	return err
}

func usersCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var p auth.CreateUserParams
	var role string
	a, err := openApp(ctx, "users create", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&p.Username, "username", "", "user name (required)")
		fs.StringVar(&p.Password, "password", "", "password, at least 8 characters (required)")
		fs.StringVar(&role, "role", "member", "admin or member")
		fs.StringVar(&p.Workspace, "workspace", "", "workspace name (default: the user name); created if missing")
		fs.StringVar(&p.Email, "email", "", "e-mail address")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	p.Role = viewer.Role(role)
	u, err := a.Auth.CreateUser(ctx, p)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "created user %s (id %d, role %s, workspace %d)\n", u.Username, u.ID, u.Role, u.WorkspaceID)
	return err
}

func keysCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var username, scope, name string
	a, err := openApp(ctx, "keys create", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "owner of the key (required)")
		fs.StringVar(&scope, "scope", "api", "api, worker or admin")
		fs.StringVar(&name, "name", "", "a label for the key")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if username == "" {
		return errors.New("keys create: --username is required")
	}
	u, err := a.Auth.UserByUsername(ctx, username)
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	raw, k, err := a.Auth.CreateAPIKey(ctx, u.ID, name, viewer.Scope(scope))
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	fmt.Fprintf(stdout, "created %s key %s (id %d) for %s; it is shown only once:\n", k.Scope, k.Prefix, k.ID, u.Username)
	_, err = fmt.Fprintln(stdout, raw)
	return err
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	if v := os.Getenv("SWITCHBOARD_VERSION"); v != "" {
		return v
	}
	return "dev"
}
