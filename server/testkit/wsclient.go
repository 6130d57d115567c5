package testkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	// The client is written on coder/websocket because it is the WebSocket
	// library go.mod already holds; gorilla/websocket (the library STACK.md
	// names for our own clients) is not a requirement yet, and adding it
	// means editing go.mod and go.sum. Only Dial, Read, Write, Close and
	// CloseNow are used, so switching is a local change.
	"github.com/coder/websocket"
)

// The WebSocket subprotocols the GraphQL endpoint speaks.
const (
	// SubprotocolTransportWS is graphql-ws's current protocol
	// (connection_init, subscribe, next, error, complete, ping, pong).
	SubprotocolTransportWS = "graphql-transport-ws"
	// SubprotocolLegacyWS is Apollo's subscriptions-transport-ws protocol
	// (connection_init, start, data, error, complete, stop, ka).
	SubprotocolLegacyWS = "graphql-ws"
)

// wsDefaultTimeout bounds Init and the handshake when the caller gives no
// deadline of its own.
const wsDefaultTimeout = 5 * time.Second

// ErrWSTimeout is returned by Next when no message arrived in time.
var ErrWSTimeout = errors.New("websocket: no message in time")

// WSMessage is one protocol message from the server.
type WSMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
	// Received is when the client read the message off the socket, so
	// latency can be measured independently of when the test looks.
	Received time.Time `json:"-"`
}

// IsData reports whether m carries an operation result: "next" in
// graphql-transport-ws, "data" in the legacy protocol.
func (m WSMessage) IsData() bool { return m.Type == "next" || m.Type == "data" }

// String shows m in failure messages.
func (m WSMessage) String() string {
	if m.ID == "" {
		return fmt.Sprintf("%s %s", m.Type, m.Payload)
	}
	return fmt.Sprintf("%s[%s] %s", m.Type, m.ID, m.Payload)
}

// WSCloseError reports that the socket was closed, with the close code the
// server sent (1006 when the connection ended without a close frame, as
// browsers report it).
type WSCloseError struct {
	Code   int
	Reason string
}

func (e *WSCloseError) Error() string {
	return fmt.Sprintf("websocket closed: code %d, reason %q", e.Code, e.Reason)
}

// closeAbnormal is the code reported for a connection lost without a close
// frame.
const closeAbnormal = 1006

// WSClient is a GraphQL-over-WebSocket client for tests, speaking either
// graphql-transport-ws or the legacy graphql-ws protocol. One goroutine
// reads the socket into a queue, answers pings and drops keep-alives, so
// Next only ever returns messages a test cares about, and reading never
// races with the server's close handshake. The client is closed when the
// test ends.
type WSClient struct {
	t           testing.TB
	conn        *websocket.Conn
	subprotocol string

	msgs chan WSMessage // filled by the reader; never closed
	quit chan struct{}  // closed by Close: the reader stops delivering
	done chan struct{}  // closed when the reader has exited

	closeMu  sync.Mutex
	closeErr *WSCloseError // why the socket closed; set before done is closed

	closeOnce sync.Once
}

// Dial opens a WebSocket to serverURL's GraphQL endpoint (/query unless
// the URL has a path; http(s) is turned into ws(s)) with subprotocol and
// the upgrade request's extra headers, failing the test if the handshake
// fails or the server picks another subprotocol.
func Dial(t testing.TB, serverURL, subprotocol string, header http.Header) *WSClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wsDefaultTimeout)
	defer cancel()
	c, resp, err := DialContext(ctx, serverURL, subprotocol, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("testkit: dial %s (%s): status %d: %v", serverURL, subprotocol, status, err)
	}
	c.t = t
	t.Cleanup(c.Close)
	return c
}

// DialContext is Dial for tests that expect the handshake to fail: it
// returns the error and the server's response instead of failing. The
// caller must Close a client it gets.
func DialContext(ctx context.Context, serverURL, subprotocol string, header http.Header) (*WSClient, *http.Response, error) {
	u, err := wsURL(serverURL)
	if err != nil {
		return nil, nil, err
	}
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		Subprotocols: []string{subprotocol},
		HTTPHeader:   header,
	})
	if err != nil {
		return nil, resp, err
	}
	if got := conn.Subprotocol(); got != subprotocol {
		_ = conn.CloseNow()
		return nil, resp, fmt.Errorf("server chose subprotocol %q, want %q", got, subprotocol)
	}
	// Results of a subscription can be large (a page of rows); the library's
	// 32 KiB default read limit would close the socket on them.
	conn.SetReadLimit(8 << 20)
	c := &WSClient{
		conn:        conn,
		subprotocol: subprotocol,
		msgs:        make(chan WSMessage, 1024),
		quit:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	go c.read()
	return c, resp, nil
}

func wsURL(serverURL string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("websocket url %q: %w", serverURL, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("websocket url %q: unsupported scheme", serverURL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/query"
	}
	return u.String(), nil
}

// Subprotocol is the protocol the server agreed to.
func (c *WSClient) Subprotocol() string { return c.subprotocol }

func (c *WSClient) legacy() bool { return c.subprotocol == SubprotocolLegacyWS }

// read is the only reader of the socket. It ends when the socket closes,
// recording why.
func (c *WSClient) read() {
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			ce := &WSCloseError{Code: closeAbnormal, Reason: err.Error()}
			var cerr websocket.CloseError
			if errors.As(err, &cerr) {
				ce = &WSCloseError{Code: int(cerr.Code), Reason: cerr.Reason}
			}
			c.closeMu.Lock()
			c.closeErr = ce
			c.closeMu.Unlock()
			return
		}
		var m WSMessage
		if err := json.Unmarshal(data, &m); err != nil {
			m = WSMessage{Type: "invalid", Payload: json.RawMessage(fmt.Sprintf("%q", data))}
		}
		m.Received = time.Now()
		switch {
		case m.Type == "ka", m.Type == "pong" && !c.legacy():
			continue // keep-alives say nothing a test asserts on
		case m.Type == "ping" && !c.legacy():
			// graphql-transport-ws requires an answer; a failed write means
			// the socket is closing and Read reports it next.
			_ = c.write(context.Background(), WSMessage{Type: "pong", Payload: m.Payload})
			continue
		}
		select {
		case c.msgs <- m:
		case <-c.quit:
			// Nobody will read messages any more; keep reading until the
			// close handshake ends the socket.
		}
	}
}

func (c *WSClient) write(ctx context.Context, m WSMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	ctx, cancel := context.WithTimeout(ctx, wsDefaultTimeout)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("write %s message: %w", m.Type, err)
	}
	return nil
}

// Send writes a raw protocol message, for tests of protocol errors.
func (c *WSClient) Send(m WSMessage) error { return c.write(context.Background(), m) }

// Init sends connection_init with payload (nil sends none) and waits for
// connection_ack. If the server closes the socket instead it returns the
// *WSCloseError; a legacy connection_error message that precedes the close
// is skipped, since the close code is what clients act on.
func (c *WSClient) Init(payload map[string]any) error {
	m := WSMessage{Type: "connection_init"}
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			return fmt.Errorf("encode connection_init payload: %w", err)
		}
		m.Payload = b
	}
	if err := c.write(context.Background(), m); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wsDefaultTimeout)
	defer cancel()
	for {
		got, err := c.NextContext(ctx)
		if err != nil {
			return fmt.Errorf("waiting for connection_ack: %w", err)
		}
		switch got.Type {
		case "connection_ack":
			return nil
		case "connection_error":
			continue
		default:
			return fmt.Errorf("waiting for connection_ack: got %s", got)
		}
	}
}

// Subscribe starts operation id: "subscribe" in graphql-transport-ws,
// "start" in the legacy protocol. It fails the test if the message cannot be
// written.
func (c *WSClient) Subscribe(id, query string, vars map[string]any) {
	c.helper()
	typ := "subscribe"
	if c.legacy() {
		typ = "start"
	}
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err == nil {
		err = c.write(context.Background(), WSMessage{Type: typ, ID: id, Payload: b})
	}
	if err != nil {
		c.fatalf("testkit: subscribe %s: %v", id, err)
	}
}

// Complete stops operation id: "complete" in graphql-transport-ws, "stop"
// in the legacy protocol.
func (c *WSClient) Complete(id string) {
	c.helper()
	typ := "complete"
	if c.legacy() {
		typ = "stop"
	}
	if err := c.write(context.Background(), WSMessage{Type: typ, ID: id}); err != nil {
		c.fatalf("testkit: complete %s: %v", id, err)
	}
}

// Next returns the next message, waiting at most timeout. Once the socket
// is closed and every message before the close has been returned, it
// returns the *WSCloseError; when nothing came in time, an error wrapping
// ErrWSTimeout.
func (c *WSClient) Next(timeout time.Duration) (WSMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.NextContext(ctx)
}

// NextContext is Next bounded by ctx instead of a timeout.
func (c *WSClient) NextContext(ctx context.Context) (WSMessage, error) {
	select {
	case m := <-c.msgs: // messages queued before a close come first
		return m, nil
	default:
	}
	select {
	case m := <-c.msgs:
		return m, nil
	case <-c.done:
		select {
		case m := <-c.msgs:
			return m, nil
		default:
		}
		return WSMessage{}, c.closeError()
	case <-ctx.Done():
		return WSMessage{}, fmt.Errorf("%w: %w", ErrWSTimeout, ctx.Err())
	}
}

func (c *WSClient) closeError() *WSCloseError {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	return c.closeErr
}

// ExpectData waits up to timeout for the next message and fails the test
// unless it is a result ("next" or "data") of operation id without errors.
// It returns the payload's data.
func (c *WSClient) ExpectData(id string, timeout time.Duration) json.RawMessage {
	c.helper()
	r := c.ExpectResult(id, timeout)
	if len(r.Errors) > 0 {
		c.fatalf("testkit: operation %s: graphql errors: %+v", id, r.Errors)
	}
	return r.Data
}

// ExpectResult waits up to timeout for the next message and fails the test
// unless it is a result ("next" or "data") of operation id. The result may
// carry GraphQL errors.
func (c *WSClient) ExpectResult(id string, timeout time.Duration) *GQLResponse {
	c.helper()
	m, err := c.Next(timeout)
	if err != nil {
		c.fatalf("testkit: waiting %s for a result of operation %s: %v", timeout, id, err)
	}
	if !m.IsData() || m.ID != id {
		c.fatalf("testkit: want a result of operation %s, got %s", id, m)
	}
	var r GQLResponse
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		c.fatalf("testkit: decode result %s: %v", m, err)
	}
	return &r
}

// ExpectClosed waits up to timeout for the server to close the socket and
// returns the close code; messages that arrive before the close are
// logged and skipped. It fails the test if the socket stays open.
func (c *WSClient) ExpectClosed(timeout time.Duration) int {
	c.helper()
	ce := c.waitClosed(timeout)
	return ce.Code
}

// ExpectCloseError is ExpectClosed returning the reason too.
func (c *WSClient) ExpectCloseError(timeout time.Duration) *WSCloseError {
	c.helper()
	return c.waitClosed(timeout)
}

func (c *WSClient) waitClosed(timeout time.Duration) *WSCloseError {
	c.helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		m, err := c.NextContext(ctx)
		var ce *WSCloseError
		switch {
		case errors.As(err, &ce):
			return ce
		case err != nil:
			c.fatalf("testkit: socket still open after %s: %v", timeout, err)
			return nil
		}
		c.logf("testkit: skipping %s while waiting for the close", m)
	}
}

// Close ends the connection with a normal close handshake and waits for the
// reader goroutine. It is idempotent and runs when the test ends.
func (c *WSClient) Close() {
	c.shutdown(func() {
		// After the server's own close this returns at once; on a peer that
		// does not answer it gives up after the library's 5 s and drops
		// the connection.
		if err := c.conn.Close(websocket.StatusNormalClosure, ""); err != nil {
			_ = c.conn.CloseNow()
		}
	})
}

// CloseNow drops the TCP connection without a close handshake, as a client
// that loses its network does.
func (c *WSClient) CloseNow() {
	c.shutdown(func() { _ = c.conn.CloseNow() })
}

func (c *WSClient) shutdown(closeConn func()) {
	c.closeOnce.Do(func() {
		close(c.quit)
		closeConn()
		<-c.done
	})
}

func (c *WSClient) helper() {
	if c.t != nil {
		c.t.Helper()
	}
}

func (c *WSClient) fatalf(format string, args ...any) {
	if c.t == nil {
		panic(fmt.Sprintf(format, args...))
	}
	c.t.Helper()
	c.t.Fatalf(format, args...)
}

func (c *WSClient) logf(format string, args ...any) {
	if c.t != nil {
		c.t.Helper()
		c.t.Logf(format, args...)
	}
}

// BearerPayload is a connection_init payload carrying token the way web
// clients send it.
func BearerPayload(token string) map[string]any {
	return map[string]any{"Authorization": "Bearer " + strings.TrimSpace(token)}
}
