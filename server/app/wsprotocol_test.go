package app_test

import (
	"encoding/json"
	"errors"
	"testing"

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
