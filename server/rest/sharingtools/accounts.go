package sharingtools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Keys of Account.ExternalIds that hold the document's fields Switchboard
// has no column for.
const (
	extInstagramID = accounts.ExternalInstagramID
	extMobileProxy = "mobile_proxy"
)

const (
	msgAccountExists = "Account already exists."
	// maxMobileProxy matches the proxy column's limit.
	maxMobileProxy = 500
)

// accountJSON is the document's account object, fields in its order. The
// credentials are deliberately absent: they are write-only.
type accountJSON struct {
	ID            int     `json:"id"`
	UserID        int     `json:"user_id"`
	InstagramID   string  `json:"instagram_id"`
	Username      string  `json:"username"`
	Proxy         string  `json:"proxy"`
	MobileProxy   string  `json:"mobile_proxy"`
	LoginRequired bool    `json:"login_required"`
	Slave         bool    `json:"slave"`
	Child         bool    `json:"child"`
	RPA           bool    `json:"rpa"`
	EngagementMod bool    `json:"engagement_mod"`
	Counter       int     `json:"counter"`
	LastLogin     *string `json:"last_login"`
	Date          *string `json:"date"`
}

// toAccountJSON renders a. Accounts belong to a workspace, not a user; a
// Sharingtools user's workspace is their own, so user_id is the caller.
// Switchboard has no slave/child/RPA/engagement accounts nor a usage
// counter yet, hence the constant false and 0.
func toAccountJSON(ctx context.Context, a *ent.Account) accountJSON {
	return accountJSON{
		ID: a.ID, UserID: viewer.FromContext(ctx).UserID,
		InstagramID: a.ExternalIds[extInstagramID], Username: a.Username,
		Proxy: a.Proxy, MobileProxy: a.ExternalIds[extMobileProxy],
		LoginRequired: a.Status == account.StatusLOGIN_REQUIRED,
		LastLogin:     formatTime(a.LastLoginAt), Date: formatTime(&a.CreatedAt),
	}
}

// readBit reads an optional 0|1 query parameter.
func readBit(r *http.Request, name string, bad map[string]string) (set, on bool) {
	switch r.URL.Query().Get(name) {
	case "":
		return false, false
	case "0":
		return true, false
	case "1":
		return true, true
	}
	bad[name] = "must be 0 or 1"
	return false, false
}

// listAccounts is "GET /accounts?page=&per_page=&login_required=&slave=&search=",
// newest first.
func (h *handlers) listAccounts(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	bad := map[string]string{}
	lrSet, lr := readBit(r, "login_required", bad)
	_, slave := readBit(r, "slave", bad)
	if len(bad) > 0 {
		return invalid(bad)
	}
	o := accounts.ListOptions{
		Search: r.URL.Query().Get("search"), Page: p.Page, PerPage: p.PerPage,
		// Only the columns toAccountJSON reads.
		Fields: []string{account.FieldUsername, account.FieldProxy, account.FieldStatus, account.FieldExternalIds,
			account.FieldLastLoginAt, account.FieldCreatedAt},
	}
	if slave { // no account is a slave (see toAccountJSON)
		if err := o.Check(); err != nil {
			return err
		}
		writeList(w, "Accounts retrieved.", []accountJSON{}, newMeta(p, 0))
		return nil
	}
	if lrSet {
		o.LoginRequired = &lr
	}
	ctx := r.Context()
	as, total, err := h.Accounts.List(ctx, o)
	if err != nil {
		return err
	}
	out := make([]accountJSON, 0, len(as))
	for _, a := range as {
		out = append(out, toAccountJSON(ctx, a))
	}
	writeList(w, "Accounts retrieved.", out, newMeta(p, total))
	return nil
}

// getAccount is "GET /accounts/{id}".
func (h *handlers) getAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.Accounts.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Account retrieved.", toAccountJSON(r.Context(), a))
	return nil
}

// createAccountBody is POST /accounts's body.
type createAccountBody struct {
	Username string  `json:"username"`
	Password string  `json:"password"`
	Proxy    *string `json:"proxy"`
}

// createAccount is "POST /accounts" → 201: an Instagram account stored as
// given, without a live login.
func (h *handlers) createAccount(w http.ResponseWriter, r *http.Request) error {
	var b createAccountBody
	if err := readBody(w, r, &b); err != nil {
		return err
	}
	username := strings.TrimSpace(b.Username)
	bad := map[string]string{}
	if username == "" {
		bad["username"] = "is required"
	}
	if b.Password == "" {
		bad["password"] = "is required"
	}
	if len(bad) > 0 {
		return invalid(bad)
	}
	if b.Proxy != nil {
		p := strings.TrimSpace(*b.Proxy)
		b.Proxy = &p
	}
	ctx := r.Context()
	// The service refuses a name that differs only in case from an
	// account's, even when both are created at once.
	a, err := h.Accounts.Create(ctx, accounts.CreateInput{
		Platform: account.PlatformInstagram, Username: username,
		Profile:     accounts.Profile{Proxy: b.Proxy},
		Credentials: accounts.Credentials{Password: &b.Password},
	})
	if errors.Is(err, errs.ErrConflict) {
		return apiErr(http.StatusConflict, msgAccountExists)
	}
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "Account added successfully.", toAccountJSON(ctx, a))
	return nil
}

// updateAccountBody is PUT|PATCH /accounts/{id}'s body. LoginRequired is
// decoded by hand: the document's 0|1 and a JSON boolean are both accepted.
type updateAccountBody struct {
	Proxy         *string         `json:"proxy"`
	MobileProxy   *string         `json:"mobile_proxy"`
	LoginRequired json.RawMessage `json:"login_required"`
	Password      *string         `json:"password"`
}

// parseLoginRequired reads login_required as the document's 0|1, or as a
// JSON boolean; set is false when the field is absent or null.
func parseLoginRequired(raw json.RawMessage) (set, on bool, err error) {
	switch string(bytes.TrimSpace(raw)) {
	case "", "null":
		return false, false, nil
	case "0", "false":
		return true, false, nil
	case "1", "true":
		return true, true, nil
	}
	return false, false, invalid(map[string]string{"login_required": "must be 0 or 1"})
}

// updateAccount is "PUT|PATCH /accounts/{id}": the given fields.
func (h *handlers) updateAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b updateAccountBody
	if err := readBody(w, r, &b); err != nil {
		return err
	}
	lrSet, lr, err := parseLoginRequired(b.LoginRequired)
	if err != nil {
		return err
	}
	if b.Proxy == nil && b.MobileProxy == nil && !lrSet && b.Password == nil {
		return invalid(map[string]string{"body": "give at least one of proxy, mobile_proxy, login_required, password"})
	}
	bad := map[string]string{}
	// An empty password would erase the stored one; that is not an update
	// the document offers.
	if b.Password != nil && *b.Password == "" {
		bad["password"] = "must not be empty"
	}
	if b.Proxy != nil {
		p := strings.TrimSpace(*b.Proxy)
		b.Proxy = &p
	}
	if b.MobileProxy != nil {
		p := strings.TrimSpace(*b.MobileProxy)
		b.MobileProxy = &p
		if utf8.RuneCountInString(p) > maxMobileProxy {
			bad["mobile_proxy"] = "must be at most " + strconv.Itoa(maxMobileProxy) + " characters"
		}
	}
	if len(bad) > 0 {
		return invalid(bad)
	}
	in := accounts.UpdateInput{ID: id, Profile: accounts.Profile{Proxy: b.Proxy}, Credentials: accounts.Credentials{Password: b.Password}}
	if lrSet {
		st := account.StatusACTIVE
		if lr {
			st = account.StatusLOGIN_REQUIRED
		}
		in.Status = &st
	}
	ctx := r.Context()
	// The service runs first: it answers 404 for another workspace's
	// account and refuses bad fields before anything is written.
	a, err := h.Accounts.Update(ctx, in)
	if err != nil {
		return err
	}
	if b.MobileProxy != nil {
		ids := make(map[string]string, len(a.ExternalIds)+1)
		for k, v := range a.ExternalIds {
			ids[k] = v
		}
		if *b.MobileProxy == "" {
			delete(ids, extMobileProxy)
		} else {
			ids[extMobileProxy] = *b.MobileProxy
		}
		if a, err = h.Client.Account.UpdateOneID(id).SetExternalIds(ids).Save(ctx); err != nil {
			return errs.FromEnt(err, "account")
		}
	}
	writeOK(w, http.StatusOK, "Account updated.", toAccountJSON(ctx, a))
	return nil
}

// deleteAccount is "DELETE /accounts/{id}".
func (h *handlers) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.Accounts.Delete(r.Context(), id); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Account deleted.", map[string]any{"id": id})
	return nil
}
