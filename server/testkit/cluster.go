//go:build unix

package testkit

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// cluster is a PostgreSQL instance this test binary made with initdb because
// no server was available. It lives in a temporary directory and is gone
// when the binary exits.
type cluster struct {
	dir      string // holds data/, the socket and the logs; removed on stop
	data     string
	bin      string // directory of initdb and pg_ctl
	port     int
	url      string
	cred     *syscall.Credential // the postgres user's, when we are root
	watchdog *exec.Cmd
}

var (
	clusterMu sync.Mutex
	running   *cluster
)

// pgBinGlobs are where distributions install versioned PostgreSQL binaries
// outside PATH (Debian's postgresql package puts nothing but wrappers there).
var pgBinGlobs = []string{
	"/usr/lib/postgresql/*/bin",         // Debian, Ubuntu
	"/usr/pgsql-*/bin",                  // RHEL, Fedora (PGDG)
	"/opt/homebrew/opt/postgresql*/bin", // macOS, Apple silicon
	"/usr/local/opt/postgresql*/bin",    // macOS, Intel
}

// findPGBin returns the directory of the newest initdb and pg_ctl found.
func findPGBin() (string, error) {
	var dirs []string
	for _, g := range pgBinGlobs {
		m, _ := filepath.Glob(g)
		dirs = append(dirs, m...)
	}
	// Newest major version first: "9.6" < "15" compares wrongly as text.
	major := func(dir string) int {
		s := strings.TrimPrefix(filepath.Base(filepath.Dir(dir)), "pgsql-")
		s = strings.TrimPrefix(s, "postgresql@")
		s, _, _ = strings.Cut(s, ".")
		n, _ := strconv.Atoi(s)
		return n
	}
	slices.SortStableFunc(dirs, func(a, b string) int { return major(b) - major(a) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", errors.New("initdb and pg_ctl not found (looked in " + strings.Join(pgBinGlobs, ", ") + " and PATH)")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// postgresCredential returns who initdb and pg_ctl run as: PostgreSQL
// refuses to run as root, so root hands them to the postgres user that the
// distribution's package created. Anyone else runs them as themselves.
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL will not run as root, but there is no postgres user to run it as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("postgres user has a non-numeric uid %q or gid %q", u.Uid, u.Gid)
	}
	// An empty Groups drops root's supplementary groups.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// startCluster makes and starts the binary's throwaway cluster, or returns
// the one already running.
func startCluster() (*cluster, error) {
	clusterMu.Lock()
	defer clusterMu.Unlock()
	if running != nil {
		return running, nil
	}
	c, err := newCluster()
	if err != nil {
		return nil, err
	}
	running = c
	return c, nil
}

// newCluster makes and starts a cluster in a new temporary directory.
func newCluster() (*cluster, error) {
	bin, err := findPGBin()
	if err != nil {
		return nil, err
	}
	cred, err := postgresCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sbtest-pg-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir, data: filepath.Join(dir, "data"), bin: bin, cred: cred}
	if err := c.start(); err != nil {
		c.stop()
		return nil, fmt.Errorf("throwaway cluster with %s: %w", bin, err)
	}
	return c, nil
}

func (c *cluster) start() error {
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
	}
	// The watchdog goes first so that no moment exists in which this
	// process could die leaving a server nobody stops.
	if err := c.startWatchdog(os.Getpid()); err != nil {
		return fmt.Errorf("start watchdog: %w", err)
	}
	// Trust auth on a loopback-only server: it exists for this process's
	// tests alone. --no-sync and the settings below trade durability, which
	// a throwaway cluster does not need, for speed.
	if err := c.run("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return err
	}
	conf := fmt.Sprintf(`
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
`, strings.ReplaceAll(c.dir, "'", "''"))
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Another process may take the port between our choosing it and the
	// server binding it; choose again when that happens.
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		logPath := filepath.Join(c.dir, "postgres.log")
		_ = os.Remove(logPath) // judge each attempt by its own log
		err = c.run("pg_ctl", "-D", c.data, "-l", logPath, "-w", "-t", "60",
			"-o", "-p "+strconv.Itoa(port), "start")
		if err == nil {
			c.port = port
			c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return nil
		}
		log, _ := os.ReadFile(logPath)
		if attempt < 4 && strings.Contains(string(log), "could not bind") {
			continue
		}
		return fmt.Errorf("%w\npostgres.log:\n%s", err, log)
	}
}

// freePort asks the kernel for a loopback port nobody holds right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run runs a PostgreSQL program as the cluster's user. Output goes to a
// file, not a pipe: pg_ctl's server would inherit a pipe, and both exec's
// wait and go test's would then last as long as the server.
func (c *cluster) run(prog string, args ...string) error {
	out, err := os.CreateTemp(c.dir, prog+"-*.out")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(filepath.Join(c.bin, prog), args...)
	cmd.Dir = c.dir // the postgres user cannot enter root's working directory
	cmd.Stdout, cmd.Stderr = out, out
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if err := cmd.Run(); err != nil {
		text, _ := os.ReadFile(out.Name())
		return fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, text)
	}
	return nil
}

// watchdogScript stops the cluster once the test binary ($1) is gone, for
// the exits Main never sees: a -timeout panic, os.Exit in a test, a kill, a
// binary without testkit.Main. It stops the server with SIGQUIT (immediate
// shutdown) rather than pg_ctl because pg_ctl refuses to run as root, and
// checks the process name so a stale postmaster.pid never has it signal a
// stranger. It removes the directory more than once because an initdb the
// binary left running may still be writing into it; a server such an
// orphaned pg_ctl starts after that shuts itself down when it finds its
// lock file gone.
const watchdogScript = `
trap '' HUP INT
parent=$1 data=$2 dir=$3
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
i=0
while [ -e "$dir" ] && [ "$i" -lt 10 ]; do
	if [ -f "$data/postmaster.pid" ]; then
		pid=$(head -n 1 "$data/postmaster.pid")
		if [ ! -r "/proc/$pid/comm" ] || [ "$(cat "/proc/$pid/comm")" = postgres ]; then
			kill -QUIT "$pid" 2>/dev/null
			j=0
			while kill -0 "$pid" 2>/dev/null && [ "$j" -lt 100 ]; do sleep 0.1; j=$((j+1)); done
		fi
	fi
	rm -rf "$dir" 2>/dev/null || sleep 1
	i=$((i+1))
done
`

// startWatchdog watches process parent, normally this test binary.
func (c *cluster) startWatchdog(parent int) error {
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "sbtest-pg-watchdog",
		strconv.Itoa(parent), c.data, c.dir)
	// Its own process group, so the ^C that kills the test binary leaves
	// the watchdog alive to clean up after it. Nil stdio means /dev/null:
	// inheriting the binary's stdout would make go test wait for us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	c.watchdog = cmd
	return nil
}

// stopCluster stops the throwaway cluster, if one is running, and removes
// its files.
func stopCluster() {
	clusterMu.Lock()
	defer clusterMu.Unlock()
	if running != nil {
		running.stop()
		running = nil
	}
}

func (c *cluster) stop() {
	if _, err := os.Stat(filepath.Join(c.data, "postmaster.pid")); err == nil {
		if err := c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop"); err != nil {
			fmt.Fprintf(os.Stderr, "testkit: stop throwaway cluster: %v\n", err)
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		fmt.Fprintf(os.Stderr, "testkit: remove throwaway cluster: %v\n", err)
	}
	c.stopWatchdog()
}

// stopWatchdog ends the watchdog once its job is done or taken over.
func (c *cluster) stopWatchdog() {
	if c.watchdog != nil && c.watchdog.ProcessState == nil {
		// The whole group, so its sleep goes too.
		_ = syscall.Kill(-c.watchdog.Process.Pid, syscall.SIGKILL)
		_ = c.watchdog.Wait()
	}
}
