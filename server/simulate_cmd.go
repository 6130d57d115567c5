package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/switchboardhq/switchboard/server/simulate"
)

const simulateUsage = "usage: switchboard simulate-worker --url URL --key KEY [--kinds post_publish,like,...] [--script FILE] [--concurrency N] [--limit N] [--once] [--max-tasks N] [--idle-exit DURATION] [--subscribe] [--worker NAME]"

// simulateWorker runs the worker simulator: it claims tasks from a server
// with a worker key and reports scripted outcomes, never touching a social
// platform.
func simulateWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		cfg        simulate.Config
		kinds      string
		scriptPath string
	)
	fs := flag.NewFlagSet("simulate-worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, simulateUsage)
		fmt.Fprintln(stderr, simulate.Banner+".")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.URL, "url", "", "server base URL, e.g. http://127.0.0.1:8080 (required)")
	fs.StringVar(&cfg.Key, "key", os.Getenv("SWITCHBOARD_WORKER_KEY"), "worker API key (default $SWITCHBOARD_WORKER_KEY)")
	fs.StringVar(&kinds, "kinds", "", "comma-separated task kinds to claim, e.g. post_publish,like (default: any)")
	fs.StringVar(&scriptPath, "script", "", "JSON script of outcomes per kind (default: every task succeeds)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 1, "tasks run at once")
	fs.IntVar(&cfg.Limit, "limit", 5, "most tasks per claim (1-100)")
	fs.BoolVar(&cfg.Once, "once", false, "claim once, run what was claimed, exit")
	fs.IntVar(&cfg.MaxTasks, "max-tasks", 0, "exit after claiming this many tasks (0: no cap)")
	fs.DurationVar(&cfg.IdleExit, "idle-exit", 0, "exit after this long without work (0: never)")
	fs.BoolVar(&cfg.Subscribe, "subscribe", false, "wake on the taskAvailable subscription instead of polling every second")
	fs.StringVar(&cfg.Worker, "worker", "sim-1", "worker label recorded on the leases")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("simulate-worker: unexpected arguments %q\n%s", fs.Args(), simulateUsage)
	}
	if kinds != "" {
		for k := range strings.SplitSeq(kinds, ",") {
			if k = strings.TrimSpace(k); k != "" {
				cfg.Kinds = append(cfg.Kinds, k)
			}
		}
	}
	if scriptPath != "" {
		s, err := simulate.LoadScript(scriptPath)
		if err != nil {
			return fmt.Errorf("simulate-worker: %w", err)
		}
		cfg.Script = s
	}
	if _, err := simulate.Run(ctx, cfg, stdout); err != nil {
		return fmt.Errorf("simulate-worker: %w", err)
	}
	return nil
}
