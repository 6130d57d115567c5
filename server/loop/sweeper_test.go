package loop_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/server/loop"
)

func TestSweeperLogsFailuresAndWhatItDidButNotIdleSweeps(t *testing.T) {
	// Written only by the sweep's goroutine, read after Stop waited for it.
	var log bytes.Buffer
	results := []struct {
		n   int
		err error
	}{{0, nil}, {3, nil}, {0, errors.New("disk on fire")}}
	var mu sync.Mutex
	i := 0
	done := make(chan struct{})
	w := loop.NewSweeper(time.Millisecond, zerolog.New(&log), func(context.Context) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		if i == len(results) {
			select {
			case <-done:
			default:
				close(done)
			}
			return 0, nil
		}
		r := results[i]
		i++
		return r.n, r.err
	}, "sweep widgets", "swept widgets", "widgets")
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-done
	w.Stop()
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	want := []string{
		`{"level":"info","widgets":3,"message":"swept widgets"}`,
		`{"level":"error","error":"disk on fire","message":"sweep widgets"}`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n%s\nwant:\n%s", log.String(), strings.Join(want, "\n"))
	}
	w.Stop() // twice is fine
}
