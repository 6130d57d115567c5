//go:build unix

package testkit

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/store"
)

// skipWithoutInitdb skips tests of the throwaway cluster where one cannot be
// made. They build their own cluster rather than the binary's shared one, so
// stopping it never pulls a server from under a parallel test.
func skipWithoutInitdb(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	if _, err := findPGBin(); err != nil {
		t.Skipf("no initdb: %v", err)
	}
	if _, err := postgresCredential(); err != nil {
		t.Skip(err)
	}
}

// TestThrowawayCluster exercises the last-resort path directly, because the
// development machines and CI have a server on 5432 and never reach it.
func TestThrowawayCluster(t *testing.T) {
	t.Parallel()
	skipWithoutInitdb(t)
	start := time.Now()
	c, err := newCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop)
	t.Logf("cluster up in %v at %s (as uid %d)", time.Since(start).Round(time.Millisecond), c.url, os.Geteuid())

	v, err := ping(c.url, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	srv := &pgServer{adminURL: c.url, version: v, source: "test cluster"}
	name, err := newDBName(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.exec("CREATE DATABASE " + name + " TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	u, err := dbURL(c.url, name)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), u, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := srv.drop(name); err != nil {
		t.Errorf("drop with the store still connected: %v", err)
	}

	c.stop()
	if _, err := os.Stat(c.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory %s left behind: %v", c.dir, err)
	}
	if _, err := ping(c.url, 2*time.Second); err == nil {
		t.Error("cluster still answers after stop")
	}
	if c.watchdog.ProcessState == nil {
		t.Error("watchdog not reaped")
	}
}

// TestWatchdogStopsOrphanedCluster stands up a cluster whose "test binary"
// is a sleep we kill, and checks that the watchdog then stops the server and
// removes its files, as it must after a -timeout panic or a ^C.
func TestWatchdogStopsOrphanedCluster(t *testing.T) {
	t.Parallel()
	skipWithoutInitdb(t)
	c, err := newCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop) // only matters if the watchdog fails

	// Swap the watchdog for one that watches a process we end ourselves.
	c.stopWatchdog()
	parent := exec.Command("sleep", "600")
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.startWatchdog(parent.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if _, err := ping(c.url, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	_ = parent.Process.Kill()
	_ = parent.Wait()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		_, statErr := os.Stat(c.dir)
		_, pingErr := ping(c.url, time.Second)
		if errors.Is(statErr, os.ErrNotExist) && pingErr != nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("watchdog did not clean up: dir stat %v, ping %v", statErr, pingErr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The watchdog exits by itself once it has cleaned up.
	if err := c.watchdog.Wait(); err != nil {
		t.Errorf("watchdog: %v", err)
	}
}
