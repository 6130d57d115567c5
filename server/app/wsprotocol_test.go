package app_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// TestWebSocketProtocolCloseCodes: a graphql-transport-ws client breaking
// the protocol gets the close code the protocol specifies.
func TestWebSocketProtocolCloseCodes(t *testing.T) {
	t.Parallel()
	srv := subServer(t, testkit.SQLite)
	_, tok := subUser(t, srv, "olga")
	const sub = `{"query":"subscription { accountUpdated { id } }"}`

	cases := []struct {
		name   string
		init   bool
		send   []testkit.WSMessage
		code   int
		reason string
	}{
		{"subscribe before connection_ack", false,
			[]testkit.WSMessage{{Type: "subscribe", ID: "1", Payload: json.RawMessage(sub)}}, 4401, "Unauthorized"},
		{"second connection_init", true,
			[]testkit.WSMessage{{Type: "connection_init"}}, 4429, "Too many initialisation requests"},
		{"id already in use", true,
			[]testkit.WSMessage{{Type: "subscribe", ID: "1", Payload: json.RawMessage(sub)}, {Type: "subscribe", ID: "1", Payload: json.RawMessage(sub)}},
			4409, "Subscriber for 1 already exists"},
		{"unknown message type", true, []testkit.WSMessage{{Type: "start", ID: "1", Payload: json.RawMessage(sub)}}, 4400, "Invalid message type start"},
		{"subscribe without payload", true, []testkit.WSMessage{{Type: "subscribe", ID: "1", Payload: json.RawMessage(`"x"`)}}, 4400, "Invalid subscribe payload"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, nil)
			if tc.init {
				if err := ws.Init(testkit.BearerPayload(tok)); err != nil {
					t.Fatal(err)
				}
			}
			for _, m := range tc.send {
				if err := ws.Send(m); err != nil {
					t.Fatal(err)
				}
			}
			for {
				m, err := ws.Next(subEventTimeout)
				var ce *testkit.WSCloseError
				if errors.As(err, &ce) {
					if ce.Code != tc.code || ce.Reason != tc.reason {
						t.Fatalf("closed with %d %q, want %d %q", ce.Code, ce.Reason, tc.code, tc.reason)
					}
					return
				}
				if err != nil {
					t.Fatalf("want the socket closed with %d, got %v", tc.code, err)
				}
				if m.Type == "complete" || m.IsData() || m.Type == "error" {
					continue // what the first, valid subscribe said
				}
				t.Fatalf("got %s, want the socket closed with %d", m, tc.code)
			}
		})
	}
}

// TestWebSocketQueryAndMutation: queries and mutations sent as subscribe
// get one result, then complete, on a socket that keeps its subscriptions.
func TestWebSocketQueryAndMutation(t *testing.T) {
	t.Parallel()
	subEachBackend(t, func(t *testing.T, b testkit.Backend) {
		x := subSetup(t, b, "pia")
		subStart(t, x.srv, x.ws, 1, "s", `subscription { accountUpdated { id username status } }`, nil)

		payload, _ := json.Marshal(map[string]any{"query": subMutCreateAccount,
			"variables": map[string]any{"in": map[string]any{"platform": "INSTAGRAM", "username": "pia_ig"}}})
		if err := x.ws.Send(testkit.WSMessage{Type: "subscribe", ID: "m", Payload: payload}); err != nil {
			t.Fatal(err)
		}
		var created subAccount
		var sawComplete, sawEvent bool
		for !sawComplete || !sawEvent {
			m, err := x.ws.Next(subEventTimeout)
			if err != nil {
				t.Fatalf("after the mutation: %v", err)
			}
			switch {
			case m.ID == "m" && m.IsData():
				var r struct {
					Data struct {
						CreateAccount struct{ Account subAccount } `json:"createAccount"`
					}
				}
				subDecode(t, m.Payload, &r)
				created = r.Data.CreateAccount.Account
			case m.ID == "m" && m.Type == "complete":
				if created.ID == "" {
					t.Fatal("the mutation completed without a result")
				}
				sawComplete = true
			case m.ID == "s" && m.IsData():
				sawEvent = true
			default:
				t.Fatalf("got %s", m)
			}
		}

		payload, _ = json.Marshal(map[string]any{"query": `query { __typename }`})
		if err := x.ws.Send(testkit.WSMessage{Type: "subscribe", ID: "q", Payload: payload}); err != nil {
			t.Fatal(err)
		}
		if got := x.ws.ExpectResult("q", subEventTimeout); len(got.Errors) > 0 {
			t.Fatalf("query over the socket: %+v", got.Errors)
		}
		if m, err := x.ws.Next(subEventTimeout); err != nil || m.Type != "complete" || m.ID != "q" {
			t.Fatalf("after the query's result: got %s (%v), want complete", m, err)
		}
		subSetAccountStatus(t, x.srv, x.token, created.ID, "ACTIVE")
		if got := subExpectAccount(t, x.ws, "s"); got.ID != created.ID || got.Status != "ACTIVE" {
			t.Fatalf("the subscription after the query got %+v", got)
		}
	})
}

// TestWebSocketPingPong: graphql-transport-ws keep-alive in both
// directions. A client's ping is answered with a pong carrying its payload
// (at any time, even before connection_init); the server pings an
// initialised socket every SWITCHBOARD_WS_PING_INTERVAL whether or not
// pongs come back, and takes the client's pong without a reply.
func TestWebSocketPingPong(t *testing.T) {
	t.Parallel()
	const interval = 200 * time.Millisecond
	srv := subServer(t, testkit.SQLite, func(c *config.Config) { c.WSPingInterval = interval })
	_, tok := subUser(t, srv, "paul")
	d := websocket.Dialer{Subprotocols: []string{testkit.SubprotocolTransportWS}, HandshakeTimeout: subEventTimeout}
	conn, _, err := d.DialContext(t.Context(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/query", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send := func(raw string) {
		t.Helper()
		if err := conn.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	pings := 0
	var lastPing time.Time
	// next reads the next message other than a server ping, counting those.
	next := func() string {
		t.Helper()
		for {
			_ = conn.SetReadDeadline(time.Now().Add(subEventTimeout))
			_, data, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if string(data) == `{"type":"ping"}` {
				pings++
				lastPing = time.Now()
				continue
			}
			return string(data)
		}
	}

	send(`{"type":"ping"}`)
	if got := next(); got != `{"type":"pong"}` {
		t.Fatalf("before connection_init, ping answered with %s, want a bare pong", got)
	}
	send(`{"type":"connection_init","payload":{"Authorization":"Bearer ` + tok + `"}}`)
	if got := next(); got != `{"type":"connection_ack"}` {
		t.Fatalf("got %s, want connection_ack", got)
	}
	acked := time.Now()
	send(`{"type":"ping","payload":{"sent":"now"}}`)
	if got := next(); got != `{"type":"pong","payload":{"sent":"now"}}` {
		t.Fatalf("ping with a payload answered with %s, want a pong carrying it", got)
	}

	// Three pings, none answered: the socket stays open.
	for pings < 3 {
		_ = conn.SetReadDeadline(time.Now().Add(subEventTimeout))
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("after %d pings: %v", pings, err)
		}
		if string(data) != `{"type":"ping"}` {
			t.Fatalf("got %s, want the server's ping", data)
		}
		pings++
		lastPing = time.Now()
	}
	if took := lastPing.Sub(acked); took < 2*interval {
		t.Fatalf("3 pings within %s of connection_ack, want them %s apart", took, interval)
	}

	// A pong is taken silently; the socket still serves operations.
	send(`{"type":"pong"}`)
	send(`{"id":"q","type":"subscribe","payload":{"query":"{ __typename }"}}`)
	if got := next(); got != `{"id":"q","type":"next","payload":{"data":{"__typename":"Query"}}}` {
		t.Fatalf("after pong, query answered with %s", got)
	}
	if got := next(); got != `{"id":"q","type":"complete"}` {
		t.Fatalf("got %s, want complete", got)
	}
}
