package sharingtools

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// tokenBody is POST /auth/token's body.
type tokenBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// token is "POST /auth/token": the user's API key for a username and
// password. An existing key is only named (its raw value was shown once);
// otherwise one is created and shown, with 201.
func (h *handlers) token(w http.ResponseWriter, r *http.Request) error {
	var b tokenBody
	if err := readBody(w, r, &b); err != nil {
		return err
	}
	bad := map[string]string{}
	if strings.TrimSpace(b.Username) == "" {
		bad["username"] = "is required"
	}
	if b.Password == "" {
		bad["password"] = "is required"
	}
	if len(bad) > 0 {
		return invalid(bad)
	}
	raw, k, err := h.Auth.KeyForPassword(r.Context(), b.Username, b.Password, "sharingtools")
	if err != nil {
		return err
	}
	if raw == "" {
		writeOK(w, http.StatusOK, "An API key already exists; its value was shown when it was created.",
			map[string]any{"key_id": k.ID, "key_prefix": k.Prefix})
		return nil
	}
	writeOK(w, http.StatusCreated, "API key created. Store it now: it is not shown again.",
		map[string]any{"api_key": raw, "key_id": k.ID, "key_prefix": k.Prefix})
	return nil
}

// userJSON is the document's user object.
type userJSON struct {
	ID               int     `json:"id"`
	Email            string  `json:"email"`
	Username         string  `json:"username"`
	Firstname        string  `json:"firstname"`
	Lastname         string  `json:"lastname"`
	AccountType      string  `json:"account_type"`
	IsActive         bool    `json:"is_active"`
	IsExpired        bool    `json:"is_expired"`
	PackageID        *int    `json:"package_id"`
	ExpireDate       *string `json:"expire_date"`
	IsOnline         bool    `json:"is_online"`
	LastActivityTime *string `json:"last_activity_time"`
	DateJoined       *string `json:"date_joined"`
}

func toUserJSON(u *ent.User, lastActivity *string) userJSON {
	accountType := "member"
	if u.Role == "admin" {
		accountType = "admin"
	}
	return userJSON{
		ID: u.ID, Email: u.Email, Username: u.Username, Firstname: u.Firstname, Lastname: u.Lastname,
		AccountType: accountType, IsActive: !u.Disabled, IsOnline: true,
		LastActivityTime: lastActivity, DateJoined: formatTime(&u.CreatedAt),
	}
}

// getUser is "GET /user": the key's owner, with their subscription.
func (h *handlers) getUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := h.Client.User.Get(ctx, viewer.FromContext(ctx).UserID)
	if err != nil {
		return err
	}
	return h.renderUser(w, r, "Profile retrieved.", u)
}

// renderUser answers with u and the viewer's subscription.
func (h *handlers) renderUser(w http.ResponseWriter, r *http.Request, msg string, u *ent.User) error {
	out, err := h.userWithSubscription(r.Context(), u)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, msg, out)
	return nil
}

// userWithSubscription is u's object with the viewer's package and expiry.
func (h *handlers) userWithSubscription(ctx context.Context, u *ent.User) (userJSON, error) {
	sub, err := h.Plans.Subscription(ctx)
	if err != nil {
		return userJSON{}, err
	}
	out := toUserJSON(u, activeNow())
	out.IsExpired, out.ExpireDate = sub.Expired, formatTime(sub.ExpireAt)
	if sub.Plan != nil {
		out.PackageID = &sub.Plan.ID
	}
	return out, nil
}

// activeNow is the user's last activity: this very request.
func activeNow() *string {
	now := time.Now()
	return formatTime(&now)
}

// userBody is PUT|PATCH /user's body: the updatable fields.
type userBody struct {
	Firstname *string `json:"firstname"`
	Lastname  *string `json:"lastname"`
	Email     *string `json:"email"`
}

// updateUser is "PUT|PATCH /user".
func (h *handlers) updateUser(w http.ResponseWriter, r *http.Request) error {
	var b userBody
	if err := readBody(w, r, &b); err != nil {
		return err
	}
	if b.Firstname == nil && b.Lastname == nil && b.Email == nil {
		return invalid(map[string]string{"body": "give at least one of firstname, lastname, email"})
	}
	if b.Email != nil {
		e := strings.TrimSpace(*b.Email)
		b.Email = &e
	}
	u, err := h.Auth.UpdateProfile(r.Context(), auth.ProfileUpdate{Firstname: b.Firstname, Lastname: b.Lastname, Email: b.Email})
	if err != nil {
		return err
	}
	return h.renderUser(w, r, "Profile updated.", u)
}

// keyJSON is the document's key info.
type keyJSON struct {
	ID           int     `json:"id"`
	Name         string  `json:"name"`
	KeyPrefix    string  `json:"key_prefix"`
	IsActive     bool    `json:"is_active"`
	RequestCount int64   `json:"request_count"`
	LastUsedAt   *string `json:"last_used_at"`
	LastUsedIP   string  `json:"last_used_ip"`
	CreatedAt    *string `json:"created_at"`
}

// getKey is "GET /keys": the key this request was made with.
func (h *handlers) getKey(w http.ResponseWriter, r *http.Request) error {
	out, err := h.currentKey(r.Context())
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "API key retrieved.", out)
	return nil
}

// currentKey describes the key of the request; its last IP comes from the
// request log.
func (h *handlers) currentKey(ctx context.Context) (keyJSON, error) {
	k, err := h.Auth.CurrentKey(ctx)
	if err != nil {
		return keyJSON{}, err
	}
	out := keyJSON{
		ID: k.ID, Name: k.Name, KeyPrefix: k.Prefix, IsActive: auth.KeyUsable(k, h.Auth.Now()),
		RequestCount: k.RequestCount, LastUsedAt: formatTime(k.LastUsedAt), CreatedAt: formatTime(&k.CreatedAt),
	}
	last, err := h.Requests.LastUse(ctx, k.ID)
	if err != nil {
		return keyJSON{}, err
	}
	if last != nil {
		out.LastUsedIP = last.IP
		if k.LastUsedAt == nil || last.CreatedAt.After(*k.LastUsedAt) {
			out.LastUsedAt = formatTime(&last.CreatedAt)
		}
	}
	return out, nil
}

// generateBody is POST /keys/generate's body.
type generateBody struct {
	Name *string `json:"name"`
}

// generateKey is "POST /keys/generate": every key of the user is revoked
// and a new one shown once.
func (h *handlers) generateKey(w http.ResponseWriter, r *http.Request) error {
	var b generateBody
	if err := readBody(w, r, &b); err != nil {
		return err
	}
	name := "sharingtools"
	if b.Name != nil {
		name = strings.TrimSpace(*b.Name)
	}
	raw, k, err := h.Auth.RegenerateKey(r.Context(), name)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "API key generated. Store it now: it is not shown again; the previous keys no longer work.",
		map[string]any{"api_key": raw, "key_id": k.ID, "key_prefix": k.Prefix, "name": k.Name})
	return nil
}

// revokeKey is "POST /keys/revoke": the key this request was made with.
func (h *handlers) revokeKey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	k, err := h.Auth.RevokeAPIKey(ctx, viewer.FromContext(ctx).APIKeyID)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "API key revoked.", map[string]any{"key_id": k.ID, "is_active": false})
	return nil
}
