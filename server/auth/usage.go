package auth

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
)

// UsageFlushInterval is how often counted API key usage is written.
const UsageFlushInterval = time.Second

// usageCounts holds API key usage not yet written: requests per key and the
// last use due for it (lastUsed zero when the throttle says none is).
type usageCounts struct {
	mu      sync.Mutex
	pending map[int]usage
}

type usage struct {
	requests int
	lastUsed time.Time
	from     caller // where the last use came from
}

func newUsageCounts() *usageCounts { return &usageCounts{pending: make(map[int]usage)} }

func (c *usageCounts) add(id, n int, lastUsed time.Time, from caller) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.pending[id]
	u.requests += n
	if lastUsed.After(u.lastUsed) {
		u.lastUsed, u.from = lastUsed, from
	}
	c.pending[id] = u
}

func (c *usageCounts) take() map[int]usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.pending
	c.pending = make(map[int]usage, len(out))
	return out
}

// FlushUsage writes the usage counted since the last flush. Counts that
// could not be written are kept for the next flush.
func (s *Service) FlushUsage(ctx context.Context) error {
	pending := s.counts.take()
	if len(pending) == 0 {
		return nil
	}
	sys := systemContext(ctx)
	var firstErr error
	for id, u := range pending {
		up := s.client.APIKey.UpdateOneID(id).AddRequestCount(int64(u.requests))
		if !u.lastUsed.IsZero() {
			up.SetLastUsedAt(u.lastUsed).
				SetLastUsedIP(cut(u.from.addr, maxLastUsedIP)).
				SetLastUsedUserAgent(cut(u.from.userAgent, maxLastUsedUserAgent))
		}
		err := up.Exec(sys)
		switch {
		case ent.IsNotFound(err): // the key was deleted; its counts go with it
		case err != nil:
			s.counts.add(id, u.requests, u.lastUsed, u.from)
			if firstErr == nil {
				firstErr = fmt.Errorf("flush usage of API key %d: %w", id, err)
			}
		}
	}
	return firstErr
}

// Bounds of the recorded origin of a key's last use (the schema's MaxLen).
const (
	maxLastUsedIP        = 64
	maxLastUsedUserAgent = 512
)

// cut makes a client-sent header storable: valid UTF-8 of at most n bytes,
// cut at a character boundary. Anything longer is not worth keeping whole,
// and a value the column refuses would fail the flush of every count.
func cut(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// flushLoop runs FlushUsage periodically between Start and Stop.
type flushLoop struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start flushes API key usage every UsageFlushInterval until Stop. Starting
// a started service does nothing.
func (s *Service) Start(ctx context.Context, log zerolog.Logger) {
	s.flush.mu.Lock()
	defer s.flush.mu.Unlock()
	if s.flush.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.flush.cancel, s.flush.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		t := time.NewTicker(UsageFlushInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.FlushUsage(ctx); err != nil {
					log.Warn().Err(err).Msg("API key usage not written; retrying")
				}
			}
		}
	}(s.flush.done)
}

// Stop ends the flush loop and writes what is left.
func (s *Service) Stop(ctx context.Context) error {
	s.flush.mu.Lock()
	cancel, done := s.flush.cancel, s.flush.done
	s.flush.cancel, s.flush.done = nil, nil
	s.flush.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return s.FlushUsage(ctx)
}
