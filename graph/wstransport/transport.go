// Package wstransport owns GraphQL over WebSocket in the graphql-transport-ws
// protocol: the socket (gorilla/websocket), the protocol's messages and close
// codes, and the sharing of subscriptions. Subscriptions with the same
// document and variables, opened by the same viewer, share one execution
// (Hasura's multiplexing): each event is executed and encoded once and the
// same bytes are queued on every socket that asked for it, so a subscriber
// costs a filter-free enqueue per event. Queries and mutations sent over a
// socket are executed by gqlgen's executor, as over HTTP.
//
// A socket costs one goroutine (its reader) while idle. Its writer runs only
// while it has something queued, writes all of it in one system call
// (frames.go), and pings come from a timer.
package wstransport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Subprotocol is the protocol this transport speaks. Sockets asking for the
// legacy graphql-ws protocol are left to the next transport.
const Subprotocol = "graphql-transport-ws"

// Limits of one socket.
const (
	// readBufferSize is small: client messages are subscribe requests of a
	// few hundred bytes; a larger one is read in several steps.
	readBufferSize = 512
	// readLimit caps one client message, as gqlgen's transport does.
	readLimit = 1 << 20
	// maxQueued and maxQueuedBytes bound what waits for one socket's writer.
	// A subscription whose result does not fit is ended with SLOW_SUBSCRIBER.
	maxQueued      = 10_000
	maxQueuedBytes = 4 << 20
	// writeTimeout closes a socket whose peer takes nothing at all for
	// this long (up to twice it): long enough for a client that paused to
	// come back and read why its subscriptions ended.
	writeTimeout = time.Minute
)

// Options configure the transport.
type Options struct {
	// Init authenticates a socket from its connection_init payload; ctx is
	// the upgrade request's. An error closes the socket with 4403.
	Init func(ctx context.Context, payload map[string]any) (context.Context, error)
	// ShareKey names who may share a subscription's results with ctx's
	// caller: results are shared only between sockets with the same key.
	ShareKey func(ctx context.Context) string
	// CheckOrigin allows a cross-site upgrade from origin; same-site
	// upgrades and those without an Origin are always allowed.
	CheckOrigin func(origin string) bool
	// Recheck, if set, is asked every RecheckInterval whether the
	// credential the socket was initialised with is still valid (ctx is
	// the one Init returned). An error closes the socket with 4403, the
	// code a connection_init with that credential now gets: a logout, a
	// password change, a revoked key or an expired token ends the socket
	// and its subscriptions, not only later requests.
	Recheck func(ctx context.Context) error
	// RecheckInterval is how often Recheck runs per socket; default 30s.
	// The first check of each socket is spread over one interval so that
	// sockets opened together do not check together.
	RecheckInterval time.Duration
	// InitTimeout closes a socket without connection_init with 4408.
	InitTimeout time.Duration
	// PingInterval is how often the server pings; pongs are not required.
	PingInterval time.Duration
	// Stall ends a subscription whose socket has taken nothing queued for
	// this long when more comes. A socket that accepts no bytes for
	// writeTimeout (or twice Stall, if longer) is closed.
	Stall time.Duration
	// Subscribers is told when sockets join or leave a shared execution
	// beyond its first (the first is counted by whoever serves the
	// resolver), so counts of open subscriptions stay per client.
	Subscribers func(delta int)
	// Deliveries is told how many sockets an event was queued for beyond
	// the first.
	Deliveries func(n int)
	// Drops is told about subscriptions ended because their socket was
	// too far behind.
	Drops func(n int)
	// SlowError ends a subscription whose socket is too far behind.
	SlowError *gqlerror.Error
}

// Transport is the graphql-transport-ws transport, to be added to a gqlgen
// server before its own WebSocket transport.
type Transport struct {
	opts     Options
	upgrader websocket.Upgrader
	shared   registry
}

// New returns the transport.
func New(opts Options) *Transport {
	if opts.InitTimeout <= 0 {
		opts.InitTimeout = 10 * time.Second
	}
	if opts.Stall <= 0 {
		opts.Stall = 10 * time.Second
	}
	if opts.RecheckInterval <= 0 {
		opts.RecheckInterval = 30 * time.Second
	}
	if opts.Subscribers == nil {
		opts.Subscribers = func(int) {}
	}
	if opts.Deliveries == nil {
		opts.Deliveries = func(int) {}
	}
	if opts.Drops == nil {
		opts.Drops = func(int) {}
	}
	if opts.SlowError == nil {
		opts.SlowError = &gqlerror.Error{Message: "subscriber too slow", Extensions: map[string]any{"code": "SLOW_SUBSCRIBER"}}
	}
	if opts.ShareKey == nil {
		opts.ShareKey = func(context.Context) string { return "" }
	}
	t := &Transport{opts: opts, shared: registry{ops: map[string]*sharedOp{}}}
	t.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   readBufferSize,
		WriteBufferPool:  &sync.Pool{},
		Subprotocols:     []string{Subprotocol},
		CheckOrigin:      t.checkOrigin,
	}
	return t
}

var _ graphql.Transport = (*Transport)(nil)

// Supports takes WebSocket upgrades that offer graphql-transport-ws.
func (t *Transport) Supports(r *http.Request) bool {
	return websocket.IsWebSocketUpgrade(r) && slices.Contains(websocket.Subprotocols(r), Subprotocol)
}

func (t *Transport) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return t.opts.CheckOrigin != nil && t.opts.CheckOrigin(origin)
}

// Do upgrades the request and hands the socket to a reader goroutine of its
// own, returning at once: the HTTP server's goroutine, its buffers and the
// request are released while the socket lives on.
func (t *Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	conn, err := t.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered with the HTTP error
	}
	conn.SetReadLimit(readLimit)
	// The upgrade request's headers are not kept for the socket's
	// operations (nothing here reads them): 10,000 copies add up.
	s := &socket{
		t:     t,
		conn:  conn,
		raw:   conn.UnderlyingConn(),
		wlock: make(chan struct{}, 1),
		exec:  exec,
		ctx:   context.WithoutCancel(r.Context()),
	}
	if sc, ok := s.raw.(syscall.Conn); ok {
		s.rc, _ = sc.SyscallConn()
	}
	// Control frames from the client are answered through our writer, so
	// nothing but it writes to the connection.
	conn.SetPingHandler(func(data string) error {
		s.enqueue(frame{op: opPong, data: []byte(data)}, true)
		return nil
	})
	conn.SetCloseHandler(func(code int, _ string) error {
		s.writeClose(websocket.FormatCloseMessage(code, ""), false) // the echo; the reader then shuts down
		return nil
	})
	s.initTimer = time.AfterFunc(t.opts.InitTimeout, func() {
		s.closeWith(4408, "Connection initialisation timeout")
	})
	go s.readLoop()
}

// message is one graphql-transport-ws message from a client.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// socket is one client connection.
type socket struct {
	t          *Transport
	conn       *websocket.Conn // reads, and the handshake
	raw        net.Conn        // writes, by the writer or a close under wlock
	rc         syscall.RawConn // raw's descriptor, for direct writes; nil if it has none
	wlock      chan struct{}   // held while writing to raw
	deadline   time.Time       // raw's write deadline; guarded by wlock
	exec       graphql.GraphExecutor
	ctx        context.Context // the upgrade request's values, then the viewer's
	initTimer  *time.Timer
	pingTimer  *time.Timer
	checkTimer *time.Timer
	acked      bool // only the reader touches it

	mu       sync.Mutex
	initSeen bool
	closed   bool
	ops      map[string]*member // running operations by client ID
	queue    []frame
	queued   int // bytes in queue
	writing  bool
	progress time.Time // when the writer last finished a message or started
}

// member is one operation of one socket: a place in a shared subscription,
// or a query/mutation being executed (cancel set).
type member struct {
	s      *socket
	id     string
	op     *sharedOp
	index  int // in op.members; guarded by op.mu
	cancel context.CancelFunc
}

func (s *socket) readLoop() {
	defer s.shutdown()
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			return
		}
		var m message
		if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
			s.closeWith(4400, "Invalid message received")
			return
		}
		if !s.handle(m) {
			return
		}
	}
}

// handle answers one message; it reports false when the socket was closed.
func (s *socket) handle(m message) bool {
	switch m.Type {
	case "connection_init":
		return s.init(m.Payload)
	case "ping":
		pong := []byte(`{"type":"pong"}`)
		if len(m.Payload) > 0 && !bytes.Equal(m.Payload, []byte("null")) {
			pong = encode(message{Type: "pong", Payload: m.Payload})
		}
		s.send(pong, true)
	case "pong":
	case "subscribe":
		if !s.acked {
			s.closeWith(4401, "Unauthorized")
			return false
		}
		if m.ID == "" {
			s.closeWith(4400, "Subscribe message without an id")
			return false
		}
		var params graphql.RawParams
		if err := json.Unmarshal(m.Payload, &params); err != nil {
			s.closeWith(4400, "Invalid subscribe payload")
			return false
		}
		s.mu.Lock()
		_, dup := s.ops[m.ID]
		s.mu.Unlock()
		if dup {
			s.closeWith(4409, "Subscriber for "+m.ID+" already exists")
			return false
		}
		s.subscribe(m.ID, &params)
	case "complete":
		s.complete(m.ID)
	default:
		s.closeWith(4400, "Invalid message type "+m.Type)
		return false
	}
	return true
}

func (s *socket) init(payload json.RawMessage) bool {
	s.mu.Lock()
	again := s.initSeen
	s.initSeen = true
	s.mu.Unlock()
	if again {
		s.closeWith(4429, "Too many initialisation requests")
		return false
	}
	var p map[string]any
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &p); err != nil {
			s.closeWith(4400, "Invalid connection_init payload")
			return false
		}
	}
	if s.t.opts.Init != nil {
		ctx, err := s.t.opts.Init(s.ctx, p)
		if err != nil {
			s.closeWith(4403, "Forbidden")
			return false
		}
		s.ctx = ctx
	}
	if !s.initTimer.Stop() {
		return false // the init timeout has closed the socket
	}
	s.acked = true
	s.send([]byte(`{"type":"connection_ack"}`), true)
	s.mu.Lock()
	if s.t.opts.PingInterval > 0 {
		s.pingTimer = time.AfterFunc(s.t.opts.PingInterval, s.ping)
	}
	if s.t.opts.Recheck != nil {
		first := time.Duration(rand.Int64N(int64(s.t.opts.RecheckInterval))) + 1
		s.checkTimer = time.AfterFunc(first, s.recheck)
	}
	s.mu.Unlock()
	return true
}

// recheck is run by the socket's timer, like ping: an idle socket costs a
// timer, not a goroutine.
func (s *socket) recheck() {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return
	}
	if err := s.t.opts.Recheck(s.ctx); err != nil {
		s.closeWith(4403, "Forbidden: session ended")
		return
	}
	s.checkTimer.Reset(s.t.opts.RecheckInterval)
}

// ping is run by the socket's timer, not a goroutine of its own.
func (s *socket) ping() {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return
	}
	s.send([]byte(`{"type":"ping"}`), true)
	s.pingTimer.Reset(s.t.opts.PingInterval)
}

// subscribe starts operation id: a subscription joins the shared execution
// of its (viewer, document, variables), anything else runs on its own.
func (s *socket) subscribe(id string, params *graphql.RawParams) {
	params.ReadTime = graphql.TraceTiming{Start: graphql.Now(), End: graphql.Now()}
	ctx := graphql.StartOperationTrace(s.ctx)
	rc, errs := s.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := s.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			s.send(errorMessage(id, resp.Errors), true)
		} else {
			s.send(nextMessage(id, encodeResponse(&graphql.Response{Errors: errs})), true)
		}
		s.send(completeMessage(id), true)
		return
	}
	m := &member{s: s, id: id}
	if rc.Operation == nil || rc.Operation.Operation != ast.Subscription {
		s.runOnce(m, graphql.WithOperationContext(ctx, rc), rc)
		return
	}
	vars, err := json.Marshal(rc.Variables) // map keys sorted: one spelling per value
	if err != nil {
		s.send(errorMessage(id, gqlerror.List{{Message: "variables cannot be encoded"}}), true)
		s.send(completeMessage(id), true)
		return
	}
	key := strings.Join([]string{s.t.opts.ShareKey(s.ctx), rc.RawQuery, rc.OperationName, string(vars)}, "\x00")
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.ops == nil {
		s.ops = map[string]*member{}
	}
	s.ops[id] = m
	s.mu.Unlock()
	s.t.shared.join(s.t, key, m, ctx, rc, s.exec)
}

// runOnce executes a query or mutation sent over the socket.
func (s *socket) runOnce(m *member, ctx context.Context, rc *graphql.OperationContext) {
	ctx, cancel := context.WithCancel(ctx)
	m.cancel = cancel
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return
	}
	if s.ops == nil {
		s.ops = map[string]*member{}
	}
	s.ops[m.id] = m
	s.mu.Unlock()
	go func() {
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				err := rc.Recover(ctx, r)
				var gerr *gqlerror.Error
				if !errors.As(err, &gerr) {
					gerr = &gqlerror.Error{Message: "internal error"}
				}
				s.send(errorMessage(m.id, gqlerror.List{gerr}), true)
			}
			if s.forget(m) {
				s.send(completeMessage(m.id), true)
			}
		}()
		h, ctx := s.exec.DispatchOperation(ctx, rc)
		for resp := h(ctx); resp != nil; resp = h(ctx) {
			if ctx.Err() != nil {
				return
			}
			s.send(nextMessage(m.id, encodeResponse(resp)), true)
		}
	}()
}

// forget removes m from the socket's operations; it reports whether m was
// still there (nobody else has ended it).
func (s *socket) forget(m *member) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ops[m.id] != m {
		return false
	}
	delete(s.ops, m.id)
	return true
}

// complete ends operation id at the client's request. The server answers
// with complete, as gqlgen's transport always has.
func (s *socket) complete(id string) {
	s.mu.Lock()
	m := s.ops[id]
	s.mu.Unlock()
	if m == nil {
		return
	}
	if !s.forget(m) {
		return
	}
	if m.cancel != nil {
		m.cancel()
	} else {
		m.op.leave(m)
	}
	s.send(completeMessage(id), true)
}

// send queues the text message msg for the writer. Unless force is set, it
// reports false (and queues nothing) when the socket is too far behind:
// more than its queue bounds, or nothing written for the stall limit.
func (s *socket) send(msg []byte, force bool) bool {
	return s.enqueue(frame{op: opText, data: msg}, force)
}

func (s *socket) enqueue(f frame, force bool) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return true
	}
	if !force && len(s.queue) > 0 {
		if len(s.queue) >= maxQueued || s.queued+len(f.data) > maxQueuedBytes ||
			time.Since(s.progress) > s.t.opts.Stall {
			s.mu.Unlock()
			return false
		}
	}
	if !s.writing && len(s.queue) == 0 && s.rc != nil {
		select {
		case s.wlock <- struct{}{}: // no close frame is being written
			rest, ok := tryWrite(s.rc, f)
			<-s.wlock
			if !ok {
				s.mu.Unlock()
				_ = s.conn.Close() // the reader sees it and shuts the socket down
				return true
			}
			if rest == nil {
				s.progress = time.Now()
				s.mu.Unlock()
				return true
			}
			f = *rest
		default:
		}
	}
	s.queue = append(s.queue, f)
	s.queued += len(f.data)
	if !s.writing {
		s.writing = true
		s.progress = time.Now()
		go s.writeLoop()
	}
	s.mu.Unlock()
	return true
}

// writeLoop writes what is queued, all of it at once, and exits when the
// queue is empty, so an idle socket has no writer.
func (s *socket) writeLoop() {
	for {
		s.mu.Lock()
		if s.closed || len(s.queue) == 0 {
			s.writing = false
			s.queue, s.queued = nil, 0
			s.mu.Unlock()
			return
		}
		batch := s.queue
		s.queue, s.queued = nil, 0
		s.mu.Unlock()
		s.wlock <- struct{}{}
		s.extendDeadline()
		err := writeFrames(s.raw, batch)
		<-s.wlock
		clear(batch)
		s.mu.Lock()
		if err != nil {
			s.writing = false
			s.queue, s.queued = nil, 0
			s.mu.Unlock()
			_ = s.conn.Close() // the reader sees it and shuts the socket down
			return
		}
		s.progress = time.Now()
		s.mu.Unlock()
	}
}

// extendDeadline gives the writer at least the write timeout (and at most
// twice it). Moving the deadline costs a timer update in the runtime's
// poller, so it is moved only when it comes near, not for each write.
// wlock is held.
func (s *socket) extendDeadline() {
	limit := max(writeTimeout, 2*s.t.opts.Stall)
	if now := time.Now(); s.deadline.Sub(now) < limit {
		s.deadline = now.Add(2 * limit)
		_ = s.raw.SetWriteDeadline(s.deadline)
	}
}

// closeWith closes the socket with a graphql-transport-ws close code.
func (s *socket) closeWith(code int, reason string) {
	s.writeClose(websocket.FormatCloseMessage(code, reason), true)
}

// writeClose writes a close frame between the writer's batches and, if
// andClose, closes the connection before the writer can add anything
// after it. A writer stuck on a peer that reads nothing holds the
// connection for up to its write timeout; after a second the close frame
// is given up on.
func (s *socket) writeClose(payload []byte, andClose bool) {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case s.wlock <- struct{}{}:
		s.deadline = time.Now().Add(time.Second)
		_ = s.raw.SetWriteDeadline(s.deadline)
		_ = writeFrames(s.raw, []frame{{op: opClose, data: payload}})
		if andClose {
			_ = s.conn.Close()
		}
		<-s.wlock
	case <-t.C:
		if andClose {
			_ = s.conn.Close()
		}
	}
}

// shutdown releases everything the socket holds once its reader is done.
func (s *socket) shutdown() {
	s.initTimer.Stop()
	s.mu.Lock()
	s.closed = true
	ops := s.ops
	s.ops = nil
	s.queue, s.queued = nil, 0
	if s.pingTimer != nil {
		s.pingTimer.Stop()
	}
	if s.checkTimer != nil {
		s.checkTimer.Stop()
	}
	s.mu.Unlock()
	_ = s.conn.Close()
	for _, m := range ops {
		if m.cancel != nil {
			m.cancel()
		} else {
			m.op.leave(m)
		}
	}
}

// endedBy ends m's subscription with errs (after what is already queued):
// the graphql-transport-ws error message, which ends the operation.
func (s *socket) endedBy(m *member, msg []byte) {
	if s.forget(m) {
		s.send(msg, true)
	}
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{"type":"error","payload":[{"message":"unencodable message"}]}`)
	}
	return b
}

func encodeResponse(r *graphql.Response) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		return []byte(`{"errors":[{"message":"result cannot be encoded"}],"data":null}`)
	}
	return b
}

// nextMessage frames an encoded result for operation id.
func nextMessage(id string, payload []byte) []byte {
	qid := encode(id)
	b := make([]byte, 0, len(qid)+len(payload)+32)
	b = append(b, `{"id":`...)
	b = append(b, qid...)
	b = append(b, `,"type":"next","payload":`...)
	b = append(b, payload...)
	return append(b, '}')
}

func errorMessage(id string, errs gqlerror.List) []byte {
	return encode(struct {
		ID      string        `json:"id"`
		Type    string        `json:"type"`
		Payload gqlerror.List `json:"payload"`
	}{id, "error", errs})
}

func completeMessage(id string) []byte {
	return encode(message{ID: id, Type: "complete"})
}
