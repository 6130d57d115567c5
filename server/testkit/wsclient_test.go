package testkit

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// scriptedServer accepts one WebSocket per request and hands it to script,
// which plays the server's side of a protocol exchange.
func scriptedServer(t *testing.T, script func(ctx context.Context, c *websocket.Conn)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Subprotocols: []string{SubprotocolTransportWS, SubprotocolLegacyWS},
		})
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer c.CloseNow()
		script(r.Context(), c)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func readMsg(ctx context.Context, t *testing.T, c *websocket.Conn) WSMessage {
	t.Helper()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Errorf("server read: %v", err)
		return WSMessage{}
	}
	var m WSMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Errorf("server decode %q: %v", b, err)
	}
	return m
}

func writeMsg(ctx context.Context, t *testing.T, c *websocket.Conn, m WSMessage) {
	t.Helper()
	b, _ := json.Marshal(m)
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Errorf("server write: %v", err)
	}
}

func TestWSClientTransportWSExchange(t *testing.T) {
	t.Parallel()
	url := scriptedServer(t, func(ctx context.Context, c *websocket.Conn) {
		if m := readMsg(ctx, t, c); m.Type != "connection_init" || string(m.Payload) != `{"Authorization":"Bearer tok"}` {
			t.Errorf("server got %s, want connection_init with the bearer payload", m)
		}
		writeMsg(ctx, t, c, WSMessage{Type: "connection_ack"})
		m := readMsg(ctx, t, c)
		if m.Type != "subscribe" || m.ID != "7" {
			t.Errorf("server got %s, want subscribe 7", m)
		}
		// A ping must be answered, and neither it nor the pong reaches the
		// test.
		writeMsg(ctx, t, c, WSMessage{Type: "ping", Payload: json.RawMessage(`{"n":1}`)})
		if p := readMsg(ctx, t, c); p.Type != "pong" || string(p.Payload) != `{"n":1}` {
			t.Errorf("server got %s, want pong echoing the ping payload", p)
		}
		writeMsg(ctx, t, c, WSMessage{Type: "pong"})
		writeMsg(ctx, t, c, WSMessage{Type: "next", ID: "7", Payload: json.RawMessage(`{"data":{"x":1}}`)})
		if m := readMsg(ctx, t, c); m.Type != "complete" || m.ID != "7" {
			t.Errorf("server got %s, want complete 7", m)
		}
		_ = c.Close(4499, "bye")
	})
	ws := Dial(t, url, SubprotocolTransportWS, nil)
	if err := ws.Init(BearerPayload("tok")); err != nil {
		t.Fatalf("Init: %v", err)
	}
	ws.Subscribe("7", "subscription { x }", nil)
	if got := ws.ExpectData("7", 5*time.Second); string(got) != `{"x":1}` {
		t.Fatalf("data %s", got)
	}
	ws.Complete("7")
	ce := ws.ExpectCloseError(5 * time.Second)
	if ce.Code != 4499 || ce.Reason != "bye" {
		t.Fatalf("close %+v, want 4499 bye", ce)
	}
	// Next keeps reporting the close.
	if _, err := ws.Next(time.Second); !errors.As(err, &ce) {
		t.Fatalf("Next after close = %v", err)
	}
}

func TestWSClientLegacyExchange(t *testing.T) {
	t.Parallel()
	url := scriptedServer(t, func(ctx context.Context, c *websocket.Conn) {
		if m := readMsg(ctx, t, c); m.Type != "connection_init" || m.Payload != nil {
			t.Errorf("server got %s, want connection_init without payload", m)
		}
		writeMsg(ctx, t, c, WSMessage{Type: "connection_ack"})
		writeMsg(ctx, t, c, WSMessage{Type: "ka"})
		if m := readMsg(ctx, t, c); m.Type != "start" || m.ID != "1" {
			t.Errorf("server got %s, want start 1", m)
		}
		writeMsg(ctx, t, c, WSMessage{Type: "ka"})
		writeMsg(ctx, t, c, WSMessage{Type: "data", ID: "1", Payload: json.RawMessage(`{"data":{"y":2}}`)})
		if m := readMsg(ctx, t, c); m.Type != "stop" || m.ID != "1" {
			t.Errorf("server got %s, want stop 1", m)
		}
		// Wait for the client's close.
		_, _, err := c.Read(ctx)
		if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
			t.Errorf("server read after stop: %v, want a normal close", err)
		}
	})
	ws := Dial(t, url, SubprotocolLegacyWS, nil)
	if err := ws.Init(nil); err != nil {
		t.Fatalf("Init: %v", err)
	}
	ws.Subscribe("1", "subscription { y }", nil)
	if got := ws.ExpectData("1", 5*time.Second); string(got) != `{"y":2}` {
		t.Fatalf("data %s", got)
	}
	ws.Complete("1")
	ws.Close()
	ws.Close() // idempotent
}

func TestWSClientInitRefused(t *testing.T) {
	t.Parallel()
	url := scriptedServer(t, func(ctx context.Context, c *websocket.Conn) {
		readMsg(ctx, t, c)
		writeMsg(ctx, t, c, WSMessage{Type: "connection_error", Payload: json.RawMessage(`{"message":"no"}`)})
		_ = c.Close(4403, "Forbidden")
	})
	ws := Dial(t, url, SubprotocolLegacyWS, nil)
	err := ws.Init(BearerPayload("bad"))
	var ce *WSCloseError
	if !errors.As(err, &ce) || ce.Code != 4403 || ce.Reason != "Forbidden" {
		t.Fatalf("Init = %v, want a 4403 Forbidden close", err)
	}
}

func TestWSClientConnectionLost(t *testing.T) {
	t.Parallel()
	url := scriptedServer(t, func(ctx context.Context, c *websocket.Conn) {
		readMsg(ctx, t, c)
		// Drop the TCP connection without a close frame.
	})
	ws := Dial(t, url, SubprotocolTransportWS, nil)
	if err := ws.Init(nil); err == nil {
		t.Fatal("Init succeeded on a dropped connection")
	}
	if code := ws.ExpectClosed(time.Second); code != 1006 {
		t.Fatalf("close code %d, want 1006 for a lost connection", code)
	}
}

func TestWSClientNextTimesOut(t *testing.T) {
	t.Parallel()
	url := scriptedServer(t, func(ctx context.Context, c *websocket.Conn) {
		_, _, _ = c.Read(ctx) // until the client closes
	})
	ws := Dial(t, url, SubprotocolTransportWS, nil)
	start := time.Now()
	_, err := ws.Next(50 * time.Millisecond)
	if !errors.Is(err, ErrWSTimeout) {
		t.Fatalf("Next = %v, want ErrWSTimeout", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("Next returned after %s", d)
	}
}

func TestWSURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://127.0.0.1:1": "ws://127.0.0.1:1/query",
		"https://h/":         "wss://h/query",
		"http://h/custom":    "ws://h/custom",
		"ws://h/query?x=1":   "ws://h/query?x=1",
	} {
		got, err := wsURL(in)
		if err != nil || got != want {
			t.Errorf("wsURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := wsURL("ftp://h"); err == nil {
		t.Error("wsURL accepted ftp")
	}
}
