package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// taskAvailableQuery is the subscription that wakes the simulator.
const taskAvailableQuery = `subscription Available($kinds: [TaskKind!]) { taskAvailable(kinds: $kinds) { id } }`

// wsMessage is one graphql-transport-ws message.
type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscribe keeps a taskAvailable subscription open until ctx ends, sending
// on wake (without blocking) whenever a task becomes claimable. It
// reconnects after a failure; up reports whether it is connected, so the
// caller polls faster meanwhile.
func subscribe(ctx context.Context, wsURL, key string, kinds []string, wake chan<- struct{}, up func(bool), logf func(string, ...any)) {
	for {
		err := subscribeOnce(ctx, wsURL, key, kinds, wake, up)
		up(false)
		if ctx.Err() != nil {
			return
		}
		logf("subscription lost (%v); polling every second, reconnecting in 5s", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

func subscribeOnce(ctx context.Context, wsURL, key string, kinds []string, wake chan<- struct{}, up func(bool)) error {
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.DialContext(ctx, wsURL, http.Header{"X-API-Key": {key}})
	if err != nil {
		return fmt.Errorf("dial %s: %w", wsURL, err)
	}
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	// Closing the connection is what unblocks the reader when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer conn.Close()

	send := func(m any) error {
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return conn.WriteJSON(m)
	}
	if err := send(map[string]any{"type": "connection_init", "payload": map[string]any{"X-API-Key": key}}); err != nil {
		return fmt.Errorf("connection_init: %w", err)
	}
	vars := map[string]any{}
	if len(kinds) > 0 {
		vars["kinds"] = kinds
	}
	acked := false
	for {
		var m wsMessage
		if err := conn.ReadJSON(&m); err != nil {
			return fmt.Errorf("read: %w", err)
		}
		switch m.Type {
		case "connection_ack":
			if acked {
				continue
			}
			acked = true
			if err := send(map[string]any{"type": "subscribe", "id": "1",
				"payload": map[string]any{"query": taskAvailableQuery, "variables": vars}}); err != nil {
				return fmt.Errorf("subscribe: %w", err)
			}
			up(true)
		case "ping":
			if err := send(map[string]any{"type": "pong"}); err != nil {
				return fmt.Errorf("pong: %w", err)
			}
		case "next":
			select {
			case wake <- struct{}{}:
			default:
			}
		case "error":
			return fmt.Errorf("subscription error: %s", strings.TrimSpace(string(m.Payload)))
		case "complete":
			return fmt.Errorf("subscription completed by the server")
		}
	}
}

// wsURLOf turns the server's base URL into its GraphQL WebSocket URL.
func wsURLOf(base string) string {
	switch {
	case strings.HasPrefix(base, "https://"):
		return "wss://" + strings.TrimPrefix(base, "https://") + "/query"
	case strings.HasPrefix(base, "http://"):
		return "ws://" + strings.TrimPrefix(base, "http://") + "/query"
	}
	return base + "/query"
}
