package sharingtools

import (
	"net/http"
	"strconv"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// msgAdminOnly is the document's 403 "for regular users" of the admin routes.
const msgAdminOnly = "Admin access required."

// requireAdmin admits the admin routes' callers. The document admits
// account_type admin or developer; Switchboard's roles are admin and member
// only, with no developer, so an admin user it is, calling with an api- or
// admin-scope key (viewer.IsAdmin says why an api key is enough).
// The admin service checks again: this only gives refusals the document's
// body before anything else runs.
func (h *handlers) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !viewer.FromContext(r.Context()).IsAdmin() {
			writeFail(w, http.StatusForbidden, msgAdminOnly, nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// adminUserJSON is a user of GET /admin/users: the user object's identity
// fields and the number of API keys.
type adminUserJSON struct {
	ID          int     `json:"id"`
	Email       string  `json:"email"`
	Username    string  `json:"username"`
	Firstname   string  `json:"firstname"`
	Lastname    string  `json:"lastname"`
	AccountType string  `json:"account_type"`
	IsActive    bool    `json:"is_active"`
	DateJoined  *string `json:"date_joined"`
	APIKeyCount int     `json:"api_key_count"`
}

// adminKeyJSON is the document's API key object as admins see it: never
// the hash. last_used_ip and last_used_ua are recorded with last_used_at
// (at most once a minute per key); GET /admin/logs?api_key_id= has every
// request's.
type adminKeyJSON struct {
	ID           int     `json:"id"`
	UserID       int     `json:"user_id"`
	Name         string  `json:"name"`
	KeyPrefix    string  `json:"key_prefix"`
	Scope        string  `json:"scope"`
	IsActive     bool    `json:"is_active"`
	RequestCount int64   `json:"request_count"`
	LastUsedAt   *string `json:"last_used_at"`
	LastUsedIP   *string `json:"last_used_ip"`
	LastUsedUA   *string `json:"last_used_ua"`
	CreatedAt    *string `json:"created_at"`
	RevokedAt    *string `json:"revoked_at"`
}

func (h *handlers) toAdminKeyJSON(k *ent.APIKey) adminKeyJSON {
	return adminKeyJSON{
		ID: k.ID, UserID: k.UserID, Name: k.Name, KeyPrefix: k.Prefix, Scope: string(k.Scope),
		IsActive: admin.KeyActive(k, h.Admin.Now()), RequestCount: k.RequestCount,
		LastUsedAt: formatTime(k.LastUsedAt), LastUsedIP: k.LastUsedIP, LastUsedUA: k.LastUsedUserAgent,
		CreatedAt: formatTime(&k.CreatedAt), RevokedAt: formatTime(k.RevokedAt),
	}
}

// requestLogJSON is a request log entry.
type requestLogJSON struct {
	ID             int     `json:"id"`
	UserID         *int    `json:"user_id"`
	APIKeyID       *int    `json:"api_key_id"`
	Method         string  `json:"method"`
	Endpoint       string  `json:"endpoint"`
	StatusCode     int     `json:"status_code"`
	ResponseTimeMs int     `json:"response_time_ms"`
	IP             string  `json:"ip"`
	UserAgent      string  `json:"user_agent"`
	CreatedAt      *string `json:"created_at"`
}

// adminStatsJSON is GET /admin/stats's data.
type adminStatsJSON struct {
	TotalRequests int                 `json:"total_requests"`
	TopEndpoints  []endpointCountJSON `json:"top_endpoints"`
	TopUsers      []userCountJSON     `json:"top_users"`
}

type endpointCountJSON struct {
	Endpoint string `json:"endpoint"`
	Method   string `json:"method"`
	Count    int    `json:"count"`
}

type userCountJSON struct {
	UserID   int    `json:"user_id"`
	Username string `json:"username"`
	Count    int    `json:"count"`
}

// readID reads an optional positive integer query parameter (0 when
// absent), naming it in bad when it is not one.
func readID(r *http.Request, name string, bad map[string]string) int {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		bad[name] = "must be a positive integer"
		return 0
	}
	return n
}

// readActive reads ?is_active=0|1: nil when absent.
func readActive(r *http.Request, bad map[string]string) *bool {
	set, on := readBit(r, "is_active", bad)
	if !set {
		return nil
	}
	return &on
}

// adminUsers is "GET /admin/users?search=&is_active=&page=&per_page=",
// every workspace's users, oldest first.
func (h *handlers) adminUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	bad := map[string]string{}
	active := readActive(r, bad)
	if len(bad) > 0 {
		return invalid(bad)
	}
	rows, total, err := h.Admin.ListUsers(r.Context(), admin.UserFilter{
		Search: r.URL.Query().Get("search"), Active: active, Page: admin.Page(p),
	})
	if err != nil {
		return err
	}
	out := make([]adminUserJSON, len(rows))
	for i, row := range rows {
		u := toUserJSON(row.User, nil)
		out[i] = adminUserJSON{
			ID: u.ID, Email: u.Email, Username: u.Username, Firstname: u.Firstname, Lastname: u.Lastname,
			AccountType: u.AccountType, IsActive: u.IsActive, DateJoined: u.DateJoined, APIKeyCount: row.APIKeys,
		}
	}
	writeList(w, "Users retrieved.", out, newMeta(p, total))
	return nil
}

// adminKeys is "GET /admin/keys?user_id=&is_active=&page=&per_page=",
// every workspace's keys, newest first.
func (h *handlers) adminKeys(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	bad := map[string]string{}
	f := admin.KeyFilter{UserID: readID(r, "user_id", bad), Active: readActive(r, bad), Page: admin.Page(p)}
	if len(bad) > 0 {
		return invalid(bad)
	}
	ks, total, err := h.Admin.ListKeys(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]adminKeyJSON, len(ks))
	for i, k := range ks {
		out[i] = h.toAdminKeyJSON(k)
	}
	writeList(w, "API keys retrieved.", out, newMeta(p, total))
	return nil
}

// adminRevokeKey is "POST /admin/keys/{id}/revoke": any user's key; an
// already revoked key is answered the same.
func (h *handlers) adminRevokeKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	k, err := h.Admin.RevokeKey(r.Context(), id)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "API key revoked.", h.toAdminKeyJSON(k))
	return nil
}

// adminLogs is "GET /admin/logs?user_id=&api_key_id=&method=&status_code=&status_class=&page=&per_page=",
// every workspace's request logs, newest first.
func (h *handlers) adminLogs(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	bad := map[string]string{}
	f := admin.LogFilter{
		UserID: readID(r, "user_id", bad), APIKeyID: readID(r, "api_key_id", bad),
		Method: q.Get("method"), StatusClass: q.Get("status_class"), Page: admin.Page(p),
	}
	if s := q.Get("status_code"); s != "" {
		// Out-of-range numbers are the service's to refuse; this only
		// refuses what is not a number at all.
		n, err := strconv.Atoi(s)
		if err != nil || n == 0 {
			bad["status_code"] = "must be an HTTP status from 100 to 599"
		}
		f.StatusCode = n
	}
	if len(bad) > 0 {
		return invalid(bad)
	}
	ls, total, err := h.Admin.ListLogs(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]requestLogJSON, len(ls))
	for i, l := range ls {
		out[i] = requestLogJSON{
			ID: l.ID, UserID: l.UserID, APIKeyID: l.APIKeyID, Method: l.Method, Endpoint: l.Endpoint,
			StatusCode: l.StatusCode, ResponseTimeMs: l.DurationMs, IP: l.IP, UserAgent: l.UserAgent,
			CreatedAt: formatTime(&l.CreatedAt),
		}
	}
	writeList(w, "Request logs retrieved.", out, newMeta(p, total))
	return nil
}

// adminStats is "GET /admin/stats": request totals of the whole server.
func (h *handlers) adminStats(w http.ResponseWriter, r *http.Request) error {
	s, err := h.Admin.Stats(r.Context())
	if err != nil {
		return err
	}
	out := adminStatsJSON{
		TotalRequests: s.TotalRequests,
		TopEndpoints:  make([]endpointCountJSON, len(s.TopEndpoints)),
		TopUsers:      make([]userCountJSON, len(s.TopUsers)),
	}
	for i, e := range s.TopEndpoints {
		out.TopEndpoints[i] = endpointCountJSON{Endpoint: e.Endpoint, Method: e.Method, Count: e.Count}
	}
	for i, u := range s.TopUsers {
		out.TopUsers[i] = userCountJSON{UserID: u.UserID, Username: u.Username, Count: u.Count}
	}
	writeOK(w, http.StatusOK, "Statistics retrieved.", out)
	return nil
}
