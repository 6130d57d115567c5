package bench_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboardhq/switchboard/server/testkit"
)

// The live fan-out benchmark follows issue 13's measurement: N
// graphql-transport-ws subscribers of accountUpdated in one workspace, 100
// updateAccount mutations 20 ms apart, latency from sending each mutation
// to each subscriber reading its event.
//
// Changes of one row may be coalesced (a subscriber behind gets the newest
// state in place of the ones it missed), so the latency of change k is how
// long until the subscriber holds state k or a newer one, and what must
// reach everyone is the last state: last-state/subs is the share of
// subscribers that ended on it (anything below 1 is a lost event), while
// states/changes is the share of intermediate states delivered (below 1
// only says changes were coalesced). Subscribers ended with an error
// (SLOW_SUBSCRIBER) are counted in ended/subs. The server is the real binary in a
// process of its own, so its RSS is the server's alone. The baseline, in
// the same run, is a bare gorilla/websocket broadcast (the chat example's
// hub: a writer goroutine and send queue per socket) of the same payloads
// to the same number of sockets.
//
//	go test ./bench/ -run XXX -bench Live -benchtime 1x
//
// LIVE_SERVER_BIN=path runs that server binary instead of building this
// tree's (to measure two builds alternately, in the same conditions).
const (
	liveChanges = 100
	liveGap     = 20 * time.Millisecond
)

func BenchmarkLive(b *testing.B) {
	raiseOpenFiles(b)
	bin := buildServer(b)
	for _, n := range []int{1000, 10000} {
		for _, mode := range []string{"sqlite", "postgres", "replicas"} {
			b.Run(fmt.Sprintf("%s/subscribers=%d", mode, n), func(b *testing.B) {
				for range b.N {
					runLive(b, bin, mode, n)
				}
			})
		}
	}
}

// raiseOpenFiles lifts the soft limit on open files to the hard one: 10,000
// sockets have two ends each in this process and the server's.
func raiseOpenFiles(b *testing.B) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
}

// buildServer builds the server binary of this tree, or takes the one
// LIVE_SERVER_BIN names, to compare two builds in the same conditions.
func buildServer(b *testing.B) string {
	if bin := os.Getenv("LIVE_SERVER_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(b.TempDir(), "switchboard")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/switchboardhq/switchboard/server")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build server: %v\n%s", err, out)
	}
	return bin
}

// serverProc is one switchboard process.
type serverProc struct {
	url string
	cmd *exec.Cmd
}

func (p *serverProc) rssKiB(b *testing.B) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.Fields(rest)[0])
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// metric reads one counter from the server's /metrics.
func (p *serverProc) metric(b *testing.B, name string) float64 {
	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, _ := strconv.ParseFloat(rest, 64)
			return v
		}
	}
	b.Fatalf("metric %s not found", name)
	return 0
}

func startServer(b *testing.B, bin string, env []string) *serverProc {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr)
	cmd.Env = env
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &serverProc{url: "http://" + addr, cmd: cmd}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	for range 300 {
		if resp, err := http.Get(p.url + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatalf("server did not start:\n%s", logs.String())
	return nil
}

func gql(b *testing.B, url, token, query string, vars map[string]any, out any) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
		b.Fatalf("%s: %v %v", query, err, r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			b.Fatal(err)
		}
	}
}

// runLive measures one configuration and its baseline.
func runLive(b *testing.B, bin, mode string, n int) {
	env := append(os.Environ(),
		"SWITCHBOARD_SECRET_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"LOG_LEVEL=warn", "DATA_DIR="+b.TempDir())
	if mode == "sqlite" {
		env = append(env, "DATABASE_URL=")
	} else {
		st := testkit.OpenShared(b, 1)[0] // a fresh migrated database; skips without PostgreSQL
		env = append(env, "DATABASE_URL="+st.URL)
	}
	const user, password = "bench", "bench-password-0123"
	migrate := exec.Command(bin, "migrate", "--create")
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil {
		b.Fatalf("migrate: %v\n%s", err, out)
	}
	create := exec.Command(bin, "users", "create", "--username", user, "--password", password)
	create.Env = env
	if out, err := create.CombinedOutput(); err != nil {
		b.Fatalf("users create: %v\n%s", err, out)
	}
	watch := startServer(b, bin, env)
	write := watch
	if mode == "replicas" {
		write = startServer(b, bin, env)
	}
	var login struct{ Login struct{ Token string } }
	gql(b, write.url, "", `mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token } }`,
		map[string]any{"u": user, "p": password}, &login)
	token := login.Login.Token
	var created struct {
		CreateAccount struct{ Account struct{ ID string } }
	}
	gql(b, write.url, token, `mutation { createAccount(input: {platform: INSTAGRAM, username: "bench_ig"}) { account { id } } }`, nil, &created)
	accID := created.CreateAccount.Account.ID
	time.Sleep(500 * time.Millisecond) // the creation's event is gone before anyone subscribes

	rssBefore := watch.rssKiB(b)
	subs := dialSubscribers(b, watch.url, token, n)
	defer subs.close()
	time.Sleep(2 * time.Second) // idle: every socket initialised and subscribed, nothing moving
	rssAfter := watch.rssKiB(b)
	loadsBefore := watch.metric(b, "switchboard_live_loads_total")

	sent := make([]time.Time, liveChanges)
	mut := make([]time.Duration, liveChanges) // the mutation's own round trip, part of every latency
	for i := range liveChanges {
		sent[i] = time.Now()
		gql(b, write.url, token, `mutation($in: UpdateAccountInput!) { updateAccount(input: $in) { account { id } } }`,
			map[string]any{"in": map[string]any{"id": accID, "displayName": fmt.Sprintf("c%03d", i)}}, nil)
		mut[i] = time.Since(sent[i])
		time.Sleep(liveGap)
	}
	lat, first, got, last := subs.collect(sent, 15*time.Second)
	loads := watch.metric(b, "switchboard_live_loads_total") - loadsBefore
	drops := watch.metric(b, "switchboard_live_drops_total")
	payloadSize := subs.payloadSize.Load()
	ended := subs.ended.Load()
	subs.close()

	base := broadcastBaseline(b, n, int(payloadSize))

	p50, p99, pmax := percentiles(lat)
	b50, b99, bmax := percentiles(base)
	m50, _, mmax := percentiles(mut)
	f50, _, fmax := percentiles(first)
	expected := float64(n * liveChanges)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(pmax.Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(got)/expected, "states/changes")
	b.ReportMetric(float64(last)/float64(n), "last-state/subs")
	b.ReportMetric(float64(ended)/float64(n), "ended/subs")
	b.ReportMetric(float64(b99.Microseconds())/1000, "baseline-p99-ms")
	b.ReportMetric(float64(p99)/float64(max(b99, time.Microsecond)), "p99/baseline")
	b.ReportMetric(float64(rssAfter-rssBefore)/float64(n), "KiB-RSS/sub")
	b.ReportMetric(loads/liveChanges, "loads/change")
	b.Logf("%s n=%d: mutation round trip p50 %s max %s; first subscriber p50 %s max %s", mode, n, m50, mmax, f50, fmax)
	b.Logf("%s n=%d: p50 %s p99 %s max %s, states delivered %d/%.0f, last state reached %d/%d subscribers, %d ended (%.0f drops); baseline p50 %s p99 %s max %s; RSS %d -> %d KiB (%.1f KiB/sub); %.0f loads for %d changes",
		mode, n, p50, p99, pmax, got, expected, last, n, ended, drops, b50, b99, bmax, rssBefore, rssAfter,
		float64(rssAfter-rssBefore)/float64(n), loads, liveChanges)
}

// subscribers is N client sockets, each one subscription, each with a
// reader recording when each change's result arrived.
type subscribers struct {
	conns       []*websocket.Conn
	recv        [][]time.Time // per socket, per change index
	count       atomic.Int64
	final       atomic.Int64 // sockets holding the last state
	ended       atomic.Int64 // sockets whose subscription ended with an error
	payloadSize atomic.Int64
	wg          sync.WaitGroup
	once        sync.Once
}

func dialSubscribers(b *testing.B, base, token string, n int) *subscribers {
	s := &subscribers{recv: make([][]time.Time, n)}
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 30 * time.Second,
		ReadBufferSize: 1024, WriteBufferSize: 1024}
	u := "ws" + strings.TrimPrefix(base, "http") + "/query"
	sub := `subscription { accountUpdated { id displayName status } }`
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 64)
	for i := range n {
		s.recv[i] = make([]time.Time, liveChanges)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, _, err := d.Dial(u, nil)
			if err != nil {
				errs <- err
				return
			}
			_ = c.WriteJSON(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
			var ack struct{ Type string }
			if err := c.ReadJSON(&ack); err != nil || ack.Type != "connection_ack" {
				errs <- fmt.Errorf("init: %v %s", err, ack.Type)
				return
			}
			_ = c.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": sub}})
			mu.Lock()
			s.conns = append(s.conns, c)
			mu.Unlock()
			s.wg.Go(func() { s.read(c, i) })
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		s.close()
		b.Fatalf("dial subscriber: %v", err)
	}
	return s
}

// Results are picked apart by hand, as cheaply as the baseline's client
// reads its payloads: the clients share the machine's cores with the
// server, and decoding JSON in 10,000 of them would tax only our side.
var (
	markNext     = []byte(`"type":"next"`)
	markPing     = []byte(`{"type":"ping"`)
	markError    = []byte(`"type":"error"`)
	markComplete = []byte(`"type":"complete"`)
	markName     = []byte(`"displayName":"c`)
)

func (s *subscribers) read(c *websocket.Conn, i int) {
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		at := time.Now()
		switch {
		case bytes.Contains(data, markNext):
			j := bytes.Index(data, markName) + len(markName)
			if j < len(markName) || j+3 > len(data) {
				continue
			}
			k, err := strconv.Atoi(string(data[j : j+3]))
			if err != nil || k < 0 || k >= liveChanges {
				continue
			}
			s.payloadSize.Store(int64(len(data)))
			if s.recv[i][k].IsZero() { // recv[i] is this reader's alone until close
				s.recv[i][k] = at
				s.count.Add(1)
				if k == liveChanges-1 {
					s.final.Add(1)
				}
			}
		case bytes.HasPrefix(data, markPing):
			_ = c.WriteMessage(websocket.TextMessage, []byte(`{"type":"pong"}`))
		case bytes.Contains(data, markError), bytes.Contains(data, markComplete):
			s.ended.Add(1)
		}
	}
}

// collect waits until every socket has the last state (or timeout) and
// returns, per socket and change, how long until the socket held that
// state or a newer one; then how many states arrived, and how many sockets
// reached the last one. A change no later state covered is left out of the
// latencies: last counts those. first is, per change, the latency of the
// earliest socket to hold it: the pipeline's share (mutation, load,
// execution) apart from the spread over the sockets.
func (s *subscribers) collect(sent []time.Time, timeout time.Duration) (lat, first []time.Duration, got, last int) {
	deadline := time.Now().Add(timeout)
	for s.final.Load()+s.ended.Load() < int64(len(s.recv)) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // stragglers of intermediate states
	s.close()                          // the readers are done with recv
	first = make([]time.Duration, len(sent))
	for _, r := range s.recv {
		var newer time.Time // earliest arrival of a state >= k
		covered := make([]time.Time, len(r))
		for k := len(r) - 1; k >= 0; k-- {
			if at := r[k]; !at.IsZero() {
				got++
				if newer.IsZero() || at.Before(newer) {
					newer = at
				}
			}
			covered[k] = newer
		}
		if !r[len(r)-1].IsZero() {
			last++
		}
		for k, at := range covered {
			if !at.IsZero() {
				d := at.Sub(sent[k])
				lat = append(lat, d)
				if first[k] == 0 || d < first[k] {
					first[k] = d
				}
			}
		}
	}
	return lat, first, got, last
}

func (s *subscribers) close() {
	s.once.Do(func() {
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.wg.Wait()
	})
}

func percentiles(d []time.Duration) (p50, p99, pmax time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	slices.Sort(d)
	return d[len(d)/2], d[len(d)*99/100], d[len(d)-1]
}

// TestLiveBaselineServer is not a test: BenchmarkLive runs this binary again
// with LIVE_BASELINE_ADDR set to serve the bare gorilla/websocket broadcast
// from a process of its own, as the switchboard server is. POST /broadcast
// sends its body to every socket; the chat example's hub shape: a send
// queue and a writer per socket, a full queue drops the message.
func TestLiveBaselineServer(t *testing.T) {
	addr := os.Getenv("LIVE_BASELINE_ADDR")
	if addr == "" {
		t.Skip("runs only as BenchmarkLive's baseline server")
	}
	up := websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}
	var mu sync.Mutex
	queues := map[chan []byte]struct{}{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		q := make(chan []byte, 256)
		mu.Lock()
		queues[q] = struct{}{}
		mu.Unlock()
		go func() { // the read pump notices the client leaving
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					mu.Lock()
					delete(queues, q)
					close(q)
					mu.Unlock()
					return
				}
			}
		}()
		for msg := range q { // the write pump
			if c.WriteMessage(websocket.TextMessage, msg) != nil {
				break
			}
		}
		_ = c.Close()
	})
	mux.HandleFunc("/broadcast", func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		msg := buf.Bytes()
		mu.Lock()
		for q := range queues {
			select {
			case q <- msg:
			default:
			}
		}
		mu.Unlock()
	})
	mux.HandleFunc("/healthz", func(http.ResponseWriter, *http.Request) {})
	_ = http.ListenAndServe(addr, mux)
}

// broadcastBaseline sends liveChanges payloads of size bytes, liveGap
// apart, through the baseline server process to n gorilla/websocket
// sockets, and returns the latency of each delivery.
func broadcastBaseline(b *testing.B, n, size int) []time.Duration {
	size = max(size, 64)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^TestLiveBaselineServer$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "LIVE_BASELINE_ADDR="+addr)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	base := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i == 300 {
			b.Fatal("baseline server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}

	sent := make([]time.Time, liveChanges)
	recv := make([][]time.Time, n)
	var count atomic.Int64
	conns := make([]*websocket.Conn, n)
	var readers sync.WaitGroup
	d := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 1024}
	for i := range n {
		c, _, err := d.Dial("ws://"+addr+"/ws", nil)
		if err != nil {
			b.Fatalf("baseline dial: %v", err)
		}
		conns[i] = c
		recv[i] = make([]time.Time, liveChanges)
		readers.Go(func() {
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				at := time.Now()
				if k, err := strconv.Atoi(string(data[:3])); err == nil && k < liveChanges && recv[i][k].IsZero() {
					recv[i][k] = at
					count.Add(1)
				}
			}
		})
	}
	time.Sleep(time.Second) // every socket registered with the hub
	pad := strings.Repeat("x", size-3)
	for k := range liveChanges {
		sent[k] = time.Now()
		resp, err := http.Post(base+"/broadcast", "text/plain", strings.NewReader(fmt.Sprintf("%03d%s", k, pad)))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		time.Sleep(liveGap)
	}
	deadline := time.Now().Add(15 * time.Second)
	for count.Load() < int64(n*liveChanges) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	readers.Wait()
	var lat []time.Duration
	for _, r := range recv {
		for k, at := range r {
			if !at.IsZero() {
				lat = append(lat, at.Sub(sent[k]))
			}
		}
	}
	return lat
}
