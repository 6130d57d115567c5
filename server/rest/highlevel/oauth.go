package highlevel

// OAuth connect (steps 1 to 3 of the document) and the callback the
// platforms send the browser back to, which the document leaves to
// HighLevel's own servers: connections are server/challenges' OAuth
// LoginChallenges, the code exchange a worker's OAUTH_EXCHANGE task.

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/rest/openapi"
)

// callbackPath is where the platforms send the browser back to (the
// redirect_uri operators register with each platform's app), relative to
// Mount. One address serves every platform: the state names the
// connection.
const callbackPath = "/oauth/callback"

// oauthPlatformNames lists the {platform} values of step 1, for messages.
const oauthPlatformNames = "google, facebook, instagram, linkedin, tiktok, tiktok-business, youtube, pinterest, threads, bluesky"

// GET /oauth/{platform}/start?locationId&userId&page&reconnect: a 302 to
// the platform's consent screen.
func (h *handlers) startOAuth(w http.ResponseWriter, r *http.Request) error {
	platform := strings.ToLower(chi.URLParam(r, "platform"))
	q := r.URL.Query()
	if platform != "bluesky" && !challenges.OAuthPlatform(platform) {
		return fail(http.StatusBadRequest, "platform must be one of the following values: "+oauthPlatformNames)
	}
	userID := strings.TrimSpace(q.Get("userId"))
	if userID == "" {
		return unprocessable("userId should not be empty")
	}
	reconnect, _ := strconv.ParseBool(q.Get("reconnect"))
	to, err := h.Challenges.StartOAuth(r.Context(), challenges.OAuthStartInput{
		Platform: platform, UserID: userID, Placement: q.Get("page"), Reconnect: reconnect,
		RedirectURI: h.publicURL(r) + Mount + callbackPath,
	})
	var inv *errs.InvalidError
	switch {
	case errors.As(err, &inv) && inv.Field == "platform":
		return fail(http.StatusBadRequest, inv.Message)
	case err != nil:
		return orNotFound(err, "User")
	}
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

// publicURL is the server's address as clients reach it: the configured
// one, or the request's.
func (h *handlers) publicURL(r *http.Request) string {
	if h.PublicURL != "" {
		return strings.TrimRight(h.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// closingMessage is what the closing page posts to the window that opened
// the flow (the document's "Event Data Response").
type closingMessage struct {
	ActionType        string   `json:"actionType"`
	Page              string   `json:"page"`
	Platform          string   `json:"platform"`
	Placement         string   `json:"placement"`
	AccountID         string   `json:"accountId"`
	ReconnectAccounts []string `json:"reconnectAccounts"`
	// Error is the platform's refusal or why the link no longer works
	// (not HighLevel's; absent on success).
	Error string `json:"error,omitempty"`
}

var closingPage = template.Must(template.New("closing").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Switchboard</title></head>
<body><p>{{.Text}}</p>
<script>
(function () {
  var data = {{.Message}};
  if (window.opener) { window.opener.postMessage(data, "*"); }
  window.close();
})();
</script></body></html>
`))

// GET /oauth/callback?state&code (or &error): the platform's answer. No
// credential: the state is the capability. Answered with a page that
// posts the closing message to its opener and closes.
func (h *handlers) finishOAuth(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	closing, err := h.Challenges.FinishOAuth(r.Context(), challenges.OAuthReturn{
		State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"),
	}, h.publicURL(r)+Mount+callbackPath)
	msg := closingMessage{ActionType: "close", Page: "social_media_posting", Platform: closing.Platform,
		Placement: closing.Placement, AccountID: closing.OAuthID, ReconnectAccounts: closing.Reconnect, Error: closing.Error}
	if msg.ReconnectAccounts == nil {
		msg.ReconnectAccounts = []string{}
	}
	status, text := http.StatusOK, "Connected. You can close this window."
	switch {
	case errors.Is(err, errs.ErrGone), errors.Is(err, errs.ErrInvalid):
		pub, _ := errs.PublicMessage(err)
		status, text, msg.Error = http.StatusBadRequest, pub, pub
	case err != nil:
		return err
	case closing.Error != "":
		text = "The connection was not allowed: " + closing.Error
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'")
	w.WriteHeader(status)
	return closingPage.Execute(w, struct {
		Text    string
		Message closingMessage
	}{text, msg})
}

// oauthPageJSON is a page, profile, channel or business account a
// connection reaches, in the fields the SDK types for its platform
// (FacebookPageSchema, InstagramAccountSchema, LinkedInPageSchema,
// TiktokProfileSchema); fields a platform does not have are left out.
type oauthPageJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Avatar      string `json:"avatar,omitempty"`
	Username    string `json:"username,omitempty"`
	URN         string `json:"urn,omitempty"`
	PageID      string `json:"pageId,omitempty"`
	Type        string `json:"type,omitempty"`
	Verified    *bool  `json:"verified,omitempty"`
	IsOwned     *bool  `json:"isOwned,omitempty"`
	IsConnected bool   `json:"isConnected"`
}

// googleLocationJSON is a Google Business Profile location with the
// account holding it (the SDK's GetGoogleLocationSchema).
type googleLocationJSON struct {
	Location json.RawMessage `json:"location"`
	Account  json.RawMessage `json:"account"`
}

// GET /oauth/{locationId}/{platform}/accounts/{accountId}?search (and the
// SDK's /oauth/{locationId}/google/locations/{accountId}): what the
// connection can attach, under the key the SDK reads for the platform.
func (h *handlers) oauthAccounts(w http.ResponseWriter, r *http.Request) error {
	platform := oauthPlatformOf(r)
	pages, err := h.Challenges.OAuthPages(r.Context(), platform, chi.URLParam(r, "accountId"), r.URL.Query().Get("search"))
	if err != nil {
		return oauthError(err)
	}
	return ok(w, http.StatusOK, "Accounts fetched successfully", pagesResults(platform, pages))
}

// oauthPlatformOf is the route's platform: the path's, or google on the
// SDK's Google path.
func oauthPlatformOf(r *http.Request) string {
	if p := chi.URLParam(r, "platform"); p != "" {
		return strings.ToLower(p)
	}
	return "google"
}

// pagesResults arranges pages as the SDK reads them for platform.
func pagesResults(platform string, pages []challenges.OAuthPage) map[string]any {
	if platform == "google" {
		out := make([]googleLocationJSON, 0, len(pages))
		for _, p := range pages {
			loc := map[string]any{}
			for k, v := range p.Location {
				loc[k] = v
			}
			loc["name"] = p.OriginID
			if _, ok := loc["title"]; !ok {
				loc["title"] = p.Name
			}
			loc["isConnected"] = p.Connected
			acc := p.Account
			if acc == nil {
				acc = map[string]any{}
			}
			out = append(out, googleLocationJSON{Location: rawJSON(loc), Account: rawJSON(acc)})
		}
		return map[string]any{"locations": out}
	}
	list := func(keep func(challenges.OAuthPage) bool) []oauthPageJSON {
		out := []oauthPageJSON{}
		for _, p := range pages {
			if keep != nil && !keep(p) {
				continue
			}
			j := oauthPageJSON{ID: p.OriginID, Name: p.Name, Avatar: p.Avatar, IsConnected: p.Connected}
			switch platform {
			case "facebook":
				j.IsOwned = &p.Owned
			case "instagram":
				j.PageID = p.PageID
			case "linkedin":
				j.URN = p.URN
			case "tiktok", "tiktok-business", "threads", "pinterest":
				j.Username, j.Type, j.Verified = p.Username, p.Type, &p.Verified
			}
			out = append(out, j)
		}
		return out
	}
	switch platform {
	case "facebook":
		return map[string]any{"pages": list(nil)}
	case "instagram":
		return map[string]any{"accounts": list(nil)}
	case "linkedin":
		return map[string]any{
			"pages":   list(func(p challenges.OAuthPage) bool { return p.Type != "profile" }),
			"profile": list(func(p challenges.OAuthPage) bool { return p.Type == "profile" }),
		}
	case "youtube":
		return map[string]any{"channels": list(nil)}
	}
	return map[string]any{"profile": list(nil)} // tiktok, tiktok-business, pinterest, threads
}

// attachInput is step 3's body: FB/IG/LinkedIn {type, originId, name,
// avatar}, TikTok/YouTube/Pinterest {originId, name, avatar}, Google
// {location{name,...}, account{...}} (the SDK's Attach*DTO).
type attachInput struct {
	Type      *string         `json:"type,omitempty"`
	OriginID  *string         `json:"originId,omitempty"`
	Name      *string         `json:"name,omitempty"`
	Avatar    *string         `json:"avatar,omitempty"`
	URN       *string         `json:"urn,omitempty"`
	PageID    *string         `json:"pageId,omitempty"`
	Username  *string         `json:"username,omitempty"`
	Verified  *bool           `json:"verified,omitempty"`
	CompanyID *string         `json:"companyId,omitempty"`
	Location  json.RawMessage `json:"location,omitempty"`
	Account   json.RawMessage `json:"account,omitempty"`
}

// connectedAccountJSON is the account attached (the SDK's
// SocialMedia*AccountSchema).
type connectedAccountJSON struct {
	ID         string          `json:"_id"`
	OAuthID    string          `json:"oAuthId"`
	LocationID string          `json:"locationId"`
	OriginID   string          `json:"originId"`
	Platform   string          `json:"platform"`
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Avatar     string          `json:"avatar"`
	Meta       json.RawMessage `json:"meta"`
	Active     bool            `json:"active"`
	Deleted    bool            `json:"deleted"`
	CreatedAt  jsTime          `json:"createdAt"`
	UpdatedAt  jsTime          `json:"updatedAt"`
}

// POST /oauth/{locationId}/{platform}/accounts/{accountId} (and the SDK's
// Google path): 201 with the account made or renewed.
func (h *handlers) attachOAuth(w http.ResponseWriter, r *http.Request) error {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return err
	}
	platform := oauthPlatformOf(r)
	var in attachInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a := challenges.AttachInput{Platform: platform, OAuthID: chi.URLParam(r, "accountId")}
	if platform == "google" {
		var loc struct {
			Name  string `json:"name"`
			Title string `json:"title"`
		}
		if len(in.Location) > 0 && json.Unmarshal(in.Location, &loc) != nil {
			return unprocessable("location must be an object")
		}
		a.OriginID, a.Name, a.Type = loc.Name, loc.Title, "location"
	} else {
		a.OriginID, a.Name, a.Type, a.Avatar = valueOf(in.OriginID), valueOf(in.Name), valueOf(in.Type), valueOf(in.Avatar)
	}
	if a.OriginID == "" {
		field := "originId"
		if platform == "google" {
			field = "location.name"
		}
		return unprocessable(field + " should not be empty")
	}
	acc, err := h.Challenges.AttachOAuth(r.Context(), a)
	if err != nil {
		return oauthError(err)
	}
	meta := json.RawMessage(`{}`)
	if platform == "google" {
		meta = rawJSON(map[string]json.RawMessage{"location": orEmpty(in.Location), "account": orEmpty(in.Account)})
	}
	return ok(w, http.StatusCreated, "Account connected successfully", connectedAccountJSON{
		ID: acc.ObjectID, OAuthID: acc.ExternalIds[accounts.ExternalOAuthID], LocationID: loc.ID,
		OriginID: acc.ExternalIds[accounts.ExternalOriginID], Platform: platform,
		Type: acc.ExternalIds[accounts.ExternalAccountType], Name: acc.DisplayName,
		Avatar: acc.ExternalIds[accounts.ExternalAvatar], Meta: meta, Active: true,
		CreatedAt: jsTime(acc.CreatedAt), UpdatedAt: jsTime(acc.UpdatedAt),
	})
}

// oauthError words a connection's domain errors: an unknown connection
// 404, an expired one 400, one whose worker has not answered yet 400
// (the same request, sent again, waits again), a page it does not reach
// 400.
func oauthError(err error) error {
	var inv *errs.InvalidError
	switch {
	case errors.Is(err, errs.ErrNotFound):
		return notFound("OAuth account")
	case errors.As(err, &inv):
		return fail(http.StatusBadRequest, inv.Field+" "+inv.Message)
	case errors.Is(err, errs.ErrGone), errors.Is(err, errs.ErrUnavailable):
		msg, _ := errs.PublicMessage(err)
		return fail(http.StatusBadRequest, msg)
	}
	return err
}

// rawJSON is v encoded; v is always encodable (maps of JSON values).
func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}

func orEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage(`{}`)
	}
	return m
}

func valueOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// oauthPagesDoc describes step 2's results: one key per platform family.
var oauthPagesDoc = openapi.OneOf{
	openapi.Obj{"pages": []oauthPageJSON{}},
	openapi.Obj{"accounts": []oauthPageJSON{}},
	openapi.Obj{"pages": []oauthPageJSON{}, "profile": []oauthPageJSON{}},
	openapi.Obj{"profile": []oauthPageJSON{}},
	openapi.Obj{"channels": []oauthPageJSON{}},
	openapi.Obj{"locations": []googleLocationJSON{}},
}
