package wstransport

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestWriteFramesReadByAWebSocketClient: messages framed by writeFrames,
// of every header length and several per write, read back by
// gorilla/websocket's client as the same messages, in order, followed by
// a pong and a close frame.
func TestWriteFramesReadByAWebSocketClient(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 127, 65535, 65536, 200_000}
	var fs []frame
	for i, n := range sizes {
		fs = append(fs, frame{op: opText, data: bytes.Repeat([]byte{'a' + byte(i)}, n)})
	}
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		_ = c.UnderlyingConn().SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := writeFrames(c.UnderlyingConn(), fs[:3]); err != nil {
			t.Error(err)
		}
		if err := writeFrames(c.UnderlyingConn(), append(fs[3:], frame{op: opPong, data: []byte("p")},
			frame{op: opClose, data: websocket.FormatCloseMessage(4400, "bye")})); err != nil {
			t.Error(err)
		}
		_, _, _ = c.ReadMessage() // until the client goes
		_ = c.Close()
	}))
	defer srv.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pong := make(chan string, 1)
	c.SetPongHandler(func(data string) error { pong <- data; return nil })
	for i, f := range fs {
		typ, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("message %d (%d bytes): %v", i, len(f.data), err)
		}
		if typ != websocket.TextMessage || !bytes.Equal(data, f.data) {
			t.Fatalf("message %d: got type %d, %d bytes, want the %d bytes sent", i, typ, len(data), len(f.data))
		}
	}
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, 4400) {
		t.Fatalf("after the messages: %v, want close 4400", err)
	}
	if got := <-pong; got != "p" {
		t.Fatalf("pong %q", got)
	}
	_ = c.Close()
	<-done
}
