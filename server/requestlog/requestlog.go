// Package requestlog records the REST requests made with API keys (who,
// what, the answer's status, how long it took, from where) and reads them
// back: a key's last use for its owner.
package requestlog

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/requestlog"
)

// Service writes and reads request logs.
type Service struct{ client *ent.Client }

// NewService returns a request log service.
func NewService(client *ent.Client) *Service { return &Service{client: client} }

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

// Record stores e in the viewer's workspace (ctx must carry the viewer).
// Free-text fields are cut to their column sizes: a log line must never
// fail because a client sent a long user agent.
func (s *Service) Record(ctx context.Context, e Entry) error {
	c := s.client.RequestLog.Create().
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
	if err := c.Exec(ctx); err != nil {
		return fmt.Errorf("record request %s %s: %w", e.Method, e.Endpoint, err)
	}
	return nil
}

// LastUse returns the newest recorded request made with key keyID, or nil.
func (s *Service) LastUse(ctx context.Context, keyID int) (*ent.RequestLog, error) {
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
