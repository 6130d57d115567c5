package highlevel

// The document's shapes: entities as the official SDK types them, and the
// query and body conventions (numbers sent as strings, ObjectIds, times).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/accounts"
)

// jsTime renders like JavaScript's Date.toISOString, which HighLevel's
// clients parse: UTC with milliseconds ("2025-01-02T03:04:05.678Z").
type jsTime time.Time

func (t jsTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

// isObjectID reports whether s is a 24-hex ObjectId, the form of every
// HighLevel id but locationId.
func isObjectID(s string) bool { return schema.IsObjectID(s) }

// pathObjectID reads the ObjectId in path segment name, lower-cased; any
// other form is a 422.
func pathObjectID(r *http.Request, name string) (string, error) {
	id := chi.URLParam(r, name)
	if !isObjectID(id) {
		return "", unprocessable(name + " must be a mongodb id")
	}
	return strings.ToLower(id), nil
}

// locationAndID is the request's location and the ObjectId in path
// segment name: how every route that reads or writes one object starts.
func locationAndID(r *http.Request, name string) (Location, string, error) {
	loc, err := locationFrom(r.Context())
	if err != nil {
		return Location{}, "", err
	}
	id, err := pathObjectID(r, name)
	return loc, id, err
}

// paging is a list's skip and limit.
type paging struct{ Skip, Limit int }

// numberString reads a count the document sends as a string ("10"): empty
// is def; anything but a non-negative integer is a 422 naming the field,
// as class-validator words it.
func numberString(name, raw string, def int) (int, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, unprocessable(name + " must be a number string")
	}
	return n, nil
}

// queryPaging reads skip and limit from a query (defaults 0 and def).
func queryPaging(q url.Values, def int) (paging, error) {
	skip, err := numberString("skip", q.Get("skip"), 0)
	if err != nil {
		return paging{}, err
	}
	limit, err := numberString("limit", q.Get("limit"), def)
	if err != nil {
		return paging{}, err
	}
	return paging{Skip: skip, Limit: limit}, nil
}

// boundedPaging is queryPaging with the limit brought within 1..most.
func boundedPaging(q url.Values, def, most int) (paging, error) {
	p, err := queryPaging(q, def)
	p.Limit = min(max(p.Limit, 1), most)
	return p, err
}

// usersByObjectID reads the location's users whose ObjectIds are ids, as
// a post or an import shows its creator (includeUsers).
// Empty ids (no creator) are left out.
func (h *handlers) usersByObjectID(ctx context.Context, ids []string) (map[string]*userJSON, error) {
	out := map[string]*userJSON{}
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" })
	if len(ids) == 0 {
		return out, nil
	}
	us, err := h.Client.User.Query().Where(user.ObjectIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	for _, u := range us {
		out[u.ObjectID] = &userJSON{ID: u.ObjectID, FirstName: u.Firstname, LastName: u.Lastname, Email: u.Email}
	}
	return out, nil
}

// categoryJSON is a category (the SDK's CategorySchema). HighLevel's
// colours and creator are not kept, so they are left out.
type categoryJSON struct {
	ID         string `json:"_id"`
	Name       string `json:"name"`
	LocationID string `json:"locationId"`
	Deleted    bool   `json:"deleted"`
	CreatedAt  jsTime `json:"createdAt"`
	UpdatedAt  jsTime `json:"updatedAt"`
}

func toCategoryJSON(loc Location, c *ent.Category) categoryJSON {
	return categoryJSON{
		ID: c.ObjectID, Name: c.Name, LocationID: loc.ID,
		CreatedAt: jsTime(c.CreatedAt), UpdatedAt: jsTime(c.UpdatedAt),
	}
}

// tagJSON is a post tag (the SDK's SocialMediaTagSchema): its name is
// "tag".
type tagJSON struct {
	ID         string `json:"_id"`
	Tag        string `json:"tag"`
	LocationID string `json:"locationId"`
	Deleted    bool   `json:"deleted"`
	CreatedAt  jsTime `json:"createdAt"`
	UpdatedAt  jsTime `json:"updatedAt"`
}

func toTagJSON(loc Location, t *ent.Tag) tagJSON {
	return tagJSON{
		ID: t.ObjectID, Tag: t.Name, LocationID: loc.ID,
		CreatedAt: jsTime(t.CreatedAt), UpdatedAt: jsTime(t.UpdatedAt),
	}
}

func toTagsJSON(loc Location, ts []*ent.Tag) []tagJSON {
	out := make([]tagJSON, len(ts))
	for i, t := range ts {
		out[i] = toTagJSON(loc, t)
	}
	return out
}

// Results of the label routes.
type (
	categoriesResults struct {
		Count      int            `json:"count"`
		Categories []categoryJSON `json:"categories"`
	}
	categoryResults struct {
		Category categoryJSON `json:"category"`
	}
	tagsResults struct {
		Tags  []tagJSON `json:"tags"`
		Count int       `json:"count"`
	}
	// tagDetailsInput is tags/details' body (the SDK's UpdateTagDTO).
	tagDetailsInput struct {
		TagIDs []string `json:"tagIds"`
	}
)

// platformNames are HighLevel's names of the platforms whose name differs
// from ours.
var platformNames = map[account.Platform]string{account.PlatformX: "twitter"}

func platformName(p account.Platform) string {
	if n, ok := platformNames[p]; ok {
		return n
	}
	return string(p)
}

// accountJSON is a connected account (the SDK's GetAccountSchema).
type accountJSON struct {
	ID        string `json:"id"`
	OAuthID   string `json:"oauthId"`
	ProfileID string `json:"profileId"`
	Name      string `json:"name"`
	Platform  string `json:"platform"`
	Type      string `json:"type"`
	// Expire is when the platform's token expires, when known.
	Expire    *string `json:"expire,omitempty"`
	IsExpired bool    `json:"isExpired"`
}

// expiredStatuses are the account statuses that need the user to connect
// the account again.
var expiredStatuses = map[account.Status]bool{
	account.StatusLOGIN_REQUIRED: true, account.StatusLOGIN_CODE_REQUEST: true,
	account.StatusCHECKPOINT: true, account.StatusLOCKED: true,
}

// toAccountJSON reads oauthId, profileId, type and expire from the
// external ids the OAuth connect flow writes when it attaches an account
// (server/challenges); accounts connected otherwise fall back on the
// username and "profile".
func toAccountJSON(a *ent.Account) accountJSON {
	out := accountJSON{
		ID: a.ObjectID, OAuthID: a.ExternalIds[accounts.ExternalOAuthID], ProfileID: a.ExternalIds[accounts.ExternalOriginID],
		Name: a.DisplayName, Platform: platformName(a.Platform), Type: a.ExternalIds[accounts.ExternalAccountType],
		IsExpired: expiredStatuses[a.Status],
	}
	if out.ProfileID == "" {
		out.ProfileID = a.Username
	}
	if out.Name == "" {
		out.Name = a.Username
	}
	if out.Type == "" {
		out.Type = "profile"
	}
	if exp, ok := a.ExternalIds[accounts.ExternalTokenExpiry]; ok && exp != "" {
		out.Expire = &exp
		if t, err := time.Parse(time.RFC3339, exp); err == nil && !t.After(time.Now()) {
			out.IsExpired = true
		}
	}
	return out
}

// groupJSON is an account group (the SDK's GetGroupSchema).
type groupJSON struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	AccountIDs []string `json:"accountIds"`
}

// Results of the account routes.
type (
	accountsResults struct {
		Accounts []accountJSON `json:"accounts"`
		Groups   []groupJSON   `json:"groups"`
	}
	deleteAccountResults struct {
		LocationID string `json:"locationId"`
		ID         string `json:"id"`
	}
)
