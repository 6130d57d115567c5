// Package admin owns the server-wide views for administrators: every user,
// API key and API request, across workspaces.
//
// Every other read in Switchboard is confined to the viewer's workspace by
// the ent privacy rules. These views must cross that boundary, so each
// method first checks that the viewer may administer the server and only
// then reads as the system (privacy.DecisionContext). The check lives here,
// not in the API edges, so that no face can reach the system reads without
// it.
package admin

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/apikey"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/requestlog"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Limits of the views.
const (
	// MaxSearchLen bounds a user search, in characters.
	MaxSearchLen = 200
	// TopN is how many endpoints and users Stats ranks.
	TopN = 10
)

// Methods are the HTTP methods a request log can be filtered by: those the
// REST APIs answer.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// Status classes a request log can be filtered by: client and server errors.
const (
	ClassClientError = "4xx"
	ClassServerError = "5xx"
)

// Service reads and changes users, keys and request logs of every
// workspace, for administrators only.
type Service struct {
	client *ent.Client
	logs   Flusher
	now    func() time.Time
}

// Flusher writes what was recorded before it is called: the request log,
// whose entries are written in the background (nil: written at once).
type Flusher interface {
	Flush(ctx context.Context) error
}

// NewService returns an admin service reading the request logs logs writes.
func NewService(client *ent.Client, logs Flusher) *Service {
	return &Service{client: client, logs: logs, now: time.Now}
}

// flushLogs lets the request log write what was recorded before a read of
// it: an admin sees every request answered so far.
func (s *Service) flushLogs(ctx context.Context) error {
	if s.logs == nil {
		return nil
	}
	return s.logs.Flush(ctx)
}

// ErrNotAdmin is the answer to a viewer who may not administer.
var ErrNotAdmin = errs.Forbidden("admin access required")

// systemFor checks the viewer of ctx and returns ctx lifted above the
// workspace privacy rules.
func (s *Service) systemFor(ctx context.Context) (context.Context, error) {
	if !viewer.FromContext(ctx).IsAdmin() {
		return nil, ErrNotAdmin
	}
	return privacy.DecisionContext(ctx, privacy.Allow), nil
}

// clientFor returns the transaction's client when the caller runs in one,
// so a write does not escape it (or, on SQLite, wait on its own lock).
func (s *Service) clientFor(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.client
}

// Page is a page of a list, counted from 1.
type Page struct{ Page, PerPage int }

func (p Page) offset() int { return (p.Page - 1) * p.PerPage }

// UserFilter selects users. Active nil means active and disabled alike.
type UserFilter struct {
	// Search is matched, case-insensitively, inside usernames and emails.
	Search string
	Active *bool
	Page
}

// UserRow is a user with the number of API keys it holds.
type UserRow struct {
	User *ent.User
	// APIKeys counts every key the user was ever given, revoked and
	// expired ones included: the key list tells which still work.
	APIKeys int
}

// ListUsers returns a page of the users of every workspace, oldest first,
// and how many match in all.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]UserRow, int, error) {
	ctx, err := s.systemFor(ctx)
	if err != nil {
		return nil, 0, err
	}
	search := strings.TrimSpace(f.Search)
	if utf8.RuneCountInString(search) > MaxSearchLen {
		return nil, 0, errs.Invalid("search", "must be at most %d characters", MaxSearchLen)
	}
	q := s.client.User.Query()
	if search != "" {
		q.Where(user.Or(user.UsernameContainsFold(search), user.EmailContainsFold(search)))
	}
	if f.Active != nil {
		q.Where(user.Disabled(!*f.Active))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	us, err := q.Order(ent.Asc(user.FieldID)).Offset(f.offset()).Limit(f.PerPage).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	rows := make([]UserRow, len(us))
	if len(us) == 0 {
		return rows, total, nil
	}
	ids := make([]int, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	var counts []struct {
		UserID int `json:"user_id"`
		Count  int `json:"count"`
	}
	if err := s.client.APIKey.Query().Where(apikey.UserIDIn(ids...)).
		GroupBy(apikey.FieldUserID).Aggregate(ent.Count()).Scan(ctx, &counts); err != nil {
		return nil, 0, fmt.Errorf("count users' API keys: %w", err)
	}
	byUser := make(map[int]int, len(counts))
	for _, c := range counts {
		byUser[c.UserID] = c.Count
	}
	for i, u := range us {
		rows[i] = UserRow{User: u, APIKeys: byUser[u.ID]}
	}
	return rows, total, nil
}

// KeyFilter selects API keys. UserID 0 means every user's; Active nil means
// usable and unusable alike.
type KeyFilter struct {
	UserID int
	Active *bool
	Page
}

// KeyActive reports whether k still authenticates at now (auth owns the
// rule).
func KeyActive(k *ent.APIKey, now time.Time) bool { return auth.KeyUsable(k, now) }

// Now is the service's clock, by which KeyActive is judged.
func (s *Service) Now() time.Time { return s.now() }

// ListKeys returns a page of the API keys of every workspace, newest
// first, and how many match in all.
func (s *Service) ListKeys(ctx context.Context, f KeyFilter) ([]*ent.APIKey, int, error) {
	ctx, err := s.systemFor(ctx)
	if err != nil {
		return nil, 0, err
	}
	q := s.client.APIKey.Query()
	if f.UserID != 0 {
		q.Where(apikey.UserIDEQ(f.UserID))
	}
	if f.Active != nil {
		if *f.Active {
			q.Where(auth.UsableKeys(s.now()))
		} else {
			q.Where(apikey.Not(auth.UsableKeys(s.now())))
		}
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count API keys: %w", err)
	}
	ks, err := q.Order(ent.Desc(apikey.FieldID)).Offset(f.offset()).Limit(f.PerPage).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list API keys: %w", err)
	}
	return ks, total, nil
}

// RevokeKey revokes any user's key; revoking it again changes nothing.
// auth.RevokeAPIKey is not used: it keeps even an admin inside their own
// workspace, which is the point of this view to cross.
func (s *Service) RevokeKey(ctx context.Context, id int) (*ent.APIKey, error) {
	ctx, err := s.systemFor(ctx)
	if err != nil {
		return nil, err
	}
	c := s.clientFor(ctx)
	k, err := c.APIKey.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("revoke API key %d: %w", id, errs.FromEnt(err, "api key"))
	}
	if k.RevokedAt != nil {
		return k, nil
	}
	// The condition keeps the time of a revocation that won a race with
	// this one; the key is read back to report whichever it was.
	err = c.APIKey.Update().Where(apikey.ID(id), apikey.RevokedAtIsNil()).SetRevokedAt(s.now()).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("revoke API key %d: %w", id, errs.FromEnt(err, "api key"))
	}
	if k, err = c.APIKey.Get(ctx, id); err != nil {
		return nil, fmt.Errorf("revoke API key %d: %w", id, errs.FromEnt(err, "api key"))
	}
	return k, nil
}

// LogFilter selects request logs; zero fields select everything.
type LogFilter struct {
	UserID   int
	APIKeyID int
	// Method is one of Methods, in any case.
	Method string
	// StatusCode is an HTTP status, 100 to 599.
	StatusCode int
	// StatusClass is ClassClientError or ClassServerError.
	StatusClass string
	Page
}

// where checks f and returns its predicates.
func (f LogFilter) where() ([]predicate.RequestLog, error) {
	var where []predicate.RequestLog
	if f.UserID != 0 {
		where = append(where, requestlog.UserIDEQ(f.UserID))
	}
	if f.APIKeyID != 0 {
		where = append(where, requestlog.APIKeyIDEQ(f.APIKeyID))
	}
	if f.Method != "" {
		m := strings.ToUpper(f.Method)
		known := false
		for _, x := range Methods {
			known = known || x == m
		}
		if !known {
			return nil, errs.Invalid("method", "must be one of %s", strings.Join(Methods, ", "))
		}
		where = append(where, requestlog.MethodEQ(m))
	}
	if f.StatusCode != 0 {
		if f.StatusCode < 100 || f.StatusCode > 599 {
			return nil, errs.Invalid("status_code", "must be an HTTP status from 100 to 599")
		}
		where = append(where, requestlog.StatusCodeEQ(f.StatusCode))
	}
	switch f.StatusClass {
	case "":
	case ClassClientError:
		where = append(where, requestlog.StatusCodeGTE(400), requestlog.StatusCodeLT(500))
	case ClassServerError:
		where = append(where, requestlog.StatusCodeGTE(500), requestlog.StatusCodeLT(600))
	default:
		return nil, errs.Invalid("status_class", "must be %s or %s", ClassClientError, ClassServerError)
	}
	return where, nil
}

// ListLogs returns a page of the request logs of every workspace, newest
// first, and how many match in all.
func (s *Service) ListLogs(ctx context.Context, f LogFilter) ([]*ent.RequestLog, int, error) {
	ctx, err := s.systemFor(ctx)
	if err != nil {
		return nil, 0, err
	}
	where, err := f.where()
	if err != nil {
		return nil, 0, err
	}
	if err := s.flushLogs(ctx); err != nil {
		return nil, 0, err
	}
	q := s.client.RequestLog.Query().Where(where...)
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count request logs: %w", err)
	}
	ls, err := q.Order(ent.Desc(requestlog.FieldCreatedAt), ent.Desc(requestlog.FieldID)).
		Offset(f.offset()).Limit(f.PerPage).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list request logs: %w", err)
	}
	return ls, total, nil
}

// Stats are the server's request figures.
type Stats struct {
	TotalRequests int
	// TopEndpoints are the TopN most requested endpoints, by method.
	TopEndpoints []EndpointCount
	// TopUsers are the TopN users who made the most requests.
	TopUsers []UserCount
}

// EndpointCount is how often one method and path was requested.
type EndpointCount struct {
	Endpoint string
	Method   string
	Count    int
}

// UserCount is how many requests one user made. Username is "" once the
// user is deleted.
type UserCount struct {
	UserID   int
	Username string
	Count    int
}

// byCount orders a grouped query by its count, largest first.
func byCount(s *sql.Selector) { s.OrderExpr(sql.Expr("COUNT(*) DESC")) }

// Stats counts the request logs of every workspace. The database groups
// and ranks them: the log grows with every request, so it is never loaded.
// Ties are broken by name so the ranking is stable.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	var out Stats
	ctx, err := s.systemFor(ctx)
	if err != nil {
		return out, err
	}
	if err := s.flushLogs(ctx); err != nil {
		return out, err
	}
	if out.TotalRequests, err = s.client.RequestLog.Query().Count(ctx); err != nil {
		return out, fmt.Errorf("count request logs: %w", err)
	}
	// ent scans grouped rows by the json names of the columns.
	var endpoints []struct {
		Endpoint string `json:"endpoint"`
		Method   string `json:"method"`
		Count    int    `json:"count"`
	}
	if err := s.client.RequestLog.Query().
		Order(byCount, ent.Asc(requestlog.FieldEndpoint), ent.Asc(requestlog.FieldMethod)).Limit(TopN).
		GroupBy(requestlog.FieldEndpoint, requestlog.FieldMethod).Aggregate(ent.Count()).
		Scan(ctx, &endpoints); err != nil {
		return out, fmt.Errorf("rank endpoints: %w", err)
	}
	out.TopEndpoints = make([]EndpointCount, len(endpoints))
	for i, e := range endpoints {
		out.TopEndpoints[i] = EndpointCount{Endpoint: e.Endpoint, Method: e.Method, Count: e.Count}
	}
	var users []struct {
		UserID int `json:"user_id"`
		Count  int `json:"count"`
	}
	if err := s.client.RequestLog.Query().Where(requestlog.UserIDNotNil()).
		Order(byCount, ent.Asc(requestlog.FieldUserID)).Limit(TopN).
		GroupBy(requestlog.FieldUserID).Aggregate(ent.Count()).
		Scan(ctx, &users); err != nil {
		return out, fmt.Errorf("rank users: %w", err)
	}
	out.TopUsers = make([]UserCount, len(users))
	if len(users) == 0 {
		return out, nil
	}
	ids := make([]int, len(users))
	for i, u := range users {
		ids[i] = u.UserID
	}
	us, err := s.client.User.Query().Where(user.IDIn(ids...)).Select(user.FieldID, user.FieldUsername).All(ctx)
	if err != nil {
		return out, fmt.Errorf("name top users: %w", err)
	}
	names := make(map[int]string, len(us))
	for _, u := range us {
		names[u.ID] = u.Username
	}
	for i, u := range users {
		out.TopUsers[i] = UserCount{UserID: u.UserID, Username: names[u.UserID], Count: u.Count}
	}
	return out, nil
}
