// Package requestlog records the REST requests made with API keys (who,
// what, the answer's status, how long it took, from where) and reads them
// back: a key's last use for its owner, and the admin's lists.
//
// Once started, entries are written by a background writer, as many per
// statement as have queued since its last one: on SQLite every statement
// outside a transaction takes the one write lock, and writing each
// request's entry on its own made every read-only request a write. A
// reader of the log (LastUse, the admin lists through Flush) first waits
// for the entries recorded before it, so nobody sees a request answered but
// not yet logged. At most maxQueued entries wait; beyond that Record waits
// for the writer (the queue cannot grow without bound, and only
// authenticated requests are recorded at all). Entries still queued when
// the process is killed are lost; Stop writes them.
package requestlog

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/requestlog"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const (
	// maxQueued is the most entries waiting for the writer.
	maxQueued = 4096
	// maxBatch is the most entries one statement writes.
	maxBatch = 500
)

// Service writes and reads request logs.
type Service struct {
	client *ent.Client

	mu sync.Mutex
	// running is set between Start and Stop; without it Record writes at
	// once.
	running bool
	queue   []pending
	// recorded and written count the entries queued and handled so far;
	// progress is closed (and replaced) each time written grows.
	recorded, written uint64
	progress          chan struct{}
	wake              chan struct{}
	stop, stopped     chan struct{}
	log               zerolog.Logger
}

// pending is an entry queued for workspace ws at time at.
type pending struct {
	ws int
	at time.Time
	e  Entry
}

// NewService returns a request log service, writing each entry as it is
// recorded until Start.
func NewService(client *ent.Client) *Service {
	return &Service{client: client, progress: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// Entry is one request.
type Entry struct {
	UserID    int
	APIKeyID  int
	Method    string
	Endpoint  string
	Status    int
	Duration  time.Duration
	IP        string
	UserAgent string
}

// Start starts the background writer; a failed write is logged on log.
func (s *Service) Start(log zerolog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return
	}
	s.running, s.log = true, log
	s.stop, s.stopped = make(chan struct{}), make(chan struct{})
	go s.writer(s.stop, s.stopped)
}

// Stop writes what is queued and stops the writer; entries recorded after
// it are written at once. ctx bounds the wait.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return nil
	}
	s.running = false
	stop, stopped := s.stop, s.stopped
	s.mu.Unlock()
	close(stop)
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("request log: stop: %w", ctx.Err())
	}
}

// Record stores e in the viewer's workspace (ctx must carry the viewer):
// queued for the writer when it runs, else at once. Free-text fields are
// cut to their column sizes: a log line must never fail because a client
// sent a long user agent.
func (s *Service) Record(ctx context.Context, e Entry) error {
	ws := viewer.FromContext(ctx).WorkspaceID
	if ws == 0 {
		return fmt.Errorf("record request %s %s: no workspace", e.Method, e.Endpoint)
	}
	p := pending{ws: ws, at: time.Now(), e: e}
	s.mu.Lock()
	for s.running && len(s.queue) >= maxQueued {
		progress := s.progress
		s.mu.Unlock()
		select {
		case <-progress:
		case <-ctx.Done():
			return fmt.Errorf("record request %s %s: %w", e.Method, e.Endpoint, ctx.Err())
		}
		s.mu.Lock()
	}
	if !s.running {
		s.mu.Unlock()
		return s.write(ctx, []pending{p})
	}
	s.queue = append(s.queue, p)
	s.recorded++
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.mu.Unlock()
	return nil
}

// Flush returns once every entry recorded before it was called has been
// written (or its write has failed and been logged).
func (s *Service) Flush(ctx context.Context) error {
	s.mu.Lock()
	target := s.recorded
	for s.written < target {
		progress := s.progress
		s.mu.Unlock()
		select {
		case <-progress:
		case <-ctx.Done():
			return fmt.Errorf("request log: flush: %w", ctx.Err())
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	return nil
}

// writer writes the queue whenever it is not empty, until stop is closed
// and the queue drained.
func (s *Service) writer(stop, stopped chan struct{}) {
	defer close(stopped)
	for {
		select {
		case <-s.wake:
		case <-stop:
			s.drain()
			return
		}
		s.drain()
	}
}

// drain writes the queue, maxBatch entries a statement, until it is empty.
func (s *Service) drain() {
	for {
		s.mu.Lock()
		n := min(len(s.queue), maxBatch)
		batch := s.queue[:n:n]
		s.queue = s.queue[n:]
		if len(s.queue) == 0 {
			s.queue = nil // let the backing array go
		}
		s.mu.Unlock()
		if n == 0 {
			return
		}
		if err := s.write(context.Background(), batch); err != nil {
			s.log.Error().Err(err).Int("entries", n).Msg("request log entries lost")
		}
		s.mu.Lock()
		s.written += uint64(n)
		close(s.progress)
		s.progress = make(chan struct{})
		s.mu.Unlock()
	}
}

// write inserts ps in one statement, each in its own workspace.
func (s *Service) write(ctx context.Context, ps []pending) error {
	creates := make([]*ent.RequestLogCreate, len(ps))
	for i, p := range ps {
		e := p.e
		c := s.client.RequestLog.Create().
			SetWorkspaceID(p.ws).
			SetCreatedAt(p.at).
			SetUpdatedAt(p.at).
			SetMethod(cut(e.Method, 10)).
			SetEndpoint(cut(e.Endpoint, 500)).
			SetStatusCode(e.Status).
			SetDurationMs(int(e.Duration / time.Millisecond)).
			SetIP(cut(e.IP, 64)).
			SetUserAgent(cut(e.UserAgent, 500))
		if e.UserID != 0 {
			c.SetUserID(e.UserID)
		}
		if e.APIKeyID != 0 {
			c.SetAPIKeyID(e.APIKeyID)
		}
		creates[i] = c
	}
	// The entries were recorded for their viewers' workspaces, which are
	// set on each: the writer acts for the system.
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	if err := s.client.RequestLog.CreateBulk(creates...).Exec(ctx); err != nil {
		if len(ps) == 1 {
			return fmt.Errorf("record request %s %s: %w", ps[0].e.Method, ps[0].e.Endpoint, err)
		}
		return fmt.Errorf("record %d requests: %w", len(ps), err)
	}
	return nil
}

// LastUse returns the newest recorded request made with key keyID, or nil,
// once what was recorded before has been written.
func (s *Service) LastUse(ctx context.Context, keyID int) (*ent.RequestLog, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	l, err := s.client.RequestLog.Query().
		Where(requestlog.APIKeyIDEQ(keyID)).
		Order(ent.Desc(requestlog.FieldCreatedAt), ent.Desc(requestlog.FieldID)).
		First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("last use of key %d: %w", keyID, err)
	}
	return l, nil
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
