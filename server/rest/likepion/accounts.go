package likepion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
)

// accountIDRequired answers /accounts/ with no id.
func accountIDRequired(http.ResponseWriter, *http.Request) error { return errAccountIDRequired }

// getAccount is "6. Lấy chi tiết tài khoản".
func (h *handlers) getAccount(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := h.findAccount(ctx, r)
	if err != nil {
		return err
	}
	v, err := h.accountView(ctx, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: v})
	return nil
}

// findAccount loads the account named by the {id} path parameter (its
// UUID) in the caller's workspace.
func (h *handlers) findAccount(ctx context.Context, r *http.Request) (*ent.Account, error) {
	raw := chi.URLParam(r, "id")
	if strings.TrimSpace(raw) == "" {
		return nil, errAccountIDRequired
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, errAccountNotFound
	}
	a, err := h.Client.Account.Query().Where(account.UUID(id)).Only(ctx)
	if err != nil {
		if err = errs.FromEnt(err, "account"); errors.Is(err, errs.ErrNotFound) {
			return nil, errAccountNotFound
		}
		return nil, fmt.Errorf("find account: %w", err)
	}
	return a, nil
}

// activeTaskStatuses are the post task states in which an account is
// "posting": queued for a worker, leased, or running. "idle" is left for
// an account with no post task or whose newest one ended without a link.
var activeTaskStatuses = []task.Status{task.StatusPENDING, task.StatusASSIGNED, task.StatusRUNNING}

// accountView builds the document's account object.
func (h *handlers) accountView(ctx context.Context, a *ent.Account) (*accountView, error) {
	v := &accountView{
		ID:            a.UUID.String(),
		RegisterID:    a.ExternalIds["register_id"],
		GroupID:       a.ExternalIds["group_id"],
		SiteID:        a.ExternalIds["site_id"],
		SiteName:      siteName(a),
		Status:        likepionStatus(a),
		PostingStatus: "idle",
		Email:         a.Email,
		Username:      a.Username,
		LinkProfile:   a.LinkProfile,
		CreatedAt:     formatTime(a.CreatedAt),
		UpdatedAt:     formatTime(a.UpdatedAt),
	}
	lastUsed := a.UpdatedAt
	if a.LastActionAt != nil {
		lastUsed = *a.LastActionAt
	}
	// A worker uses the account when it is leased a task of it and when it
	// reports on one: the newest claimed task's last change tells when.
	used, err := h.Client.Task.Query().
		Where(task.AccountIDEQ(a.ID), task.AttemptsGT(0)).
		Order(ent.Desc(task.FieldUpdatedAt)).
		First(ctx)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("last used task: %w", err)
	case used.UpdatedAt.After(lastUsed):
		lastUsed = used.UpdatedAt
	}
	v.LastUsedAt = formatTime(lastUsed)
	posts := h.Client.Task.Query().Where(task.AccountIDEQ(a.ID), task.KindIn(postKinds...))

	newest, err := posts.Clone().Order(ent.Desc(task.FieldID)).First(ctx)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("newest post task: %w", err)
	default:
		v.PostTaskID = newest.UUID.String()
		switch link, _ := newest.Result["link_post"].(string); {
		case slices.Contains(activeTaskStatuses, newest.Status):
			v.PostingStatus = "posting"
		case newest.Status == task.StatusCOMPLETED && link != "":
			v.PostingStatus, v.PostLink = "done", link
		}
	}

	running, err := posts.Clone().
		Where(task.StatusIn(activeTaskStatuses...), task.PostIDNotNil()).
		Order(ent.Desc(task.FieldPostID)).
		WithPost().
		First(ctx)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("running post: %w", err)
	case running.Edges.Post != nil:
		v.PostID = running.Edges.Post.UUID.String()
	}

	// Credentials only for a worker that holds a task of this account.
	creds, err := h.Accounts.RevealFor(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if c, ok := creds[a.ID]; ok {
		v.Password, v.PassMail, v.Twofa = str(c.Password), str(c.MailPassword), str(c.TotpSecret)
		v.AppPassword, v.Cookie = str(c.AppPassword), str(c.Cookie)
	}
	return v, nil
}

// likepionStatus is the account's status in Likepion's vocabulary: the
// one a worker last wrote, while AccountStatus still agrees with it (a
// change made elsewhere, e.g. in the dashboard, wins), else a mapping of
// AccountStatus.
func likepionStatus(a *ent.Account) string {
	if a.ExternalStatus != "" && statusFromLikepion(a.ExternalStatus) == a.Status {
		return a.ExternalStatus
	}
	switch a.Status {
	case account.StatusACTIVE:
		return "active"
	case account.StatusINACTIVE:
		return "inactive"
	case account.StatusBANNED:
		return "banned"
	case account.StatusDEAD:
		return "dead"
	case account.StatusPENDING:
		return "pending"
	default:
		return "failed"
	}
}

// likepionStatuses are the values PUT accepts for status, as documented.
var likepionStatuses = []string{
	"pending", "queued", "running", "completed", "failed", "cancel", "final_failed",
	"register", "registering", "registered", "register_failed",
	"profile", "profiling", "profiled", "profile_failed",
	"connect", "connecting", "connect_failed",
	"active", "inactive", "banned", "dead",
}

// statusFromLikepion maps a Likepion status onto AccountStatus: the live
// states map to their own, every failure to ERROR, cancel to DISABLED, and
// the registration pipeline's steps to PENDING.
func statusFromLikepion(s string) account.Status {
	switch s {
	case "active":
		return account.StatusACTIVE
	case "inactive":
		return account.StatusINACTIVE
	case "banned":
		return account.StatusBANNED
	case "dead":
		return account.StatusDEAD
	case "failed", "final_failed", "register_failed", "profile_failed", "connect_failed":
		return account.StatusERROR
	case "cancel":
		return account.StatusDISABLED
	default:
		return account.StatusPENDING
	}
}

// updatable are PUT's fields in the document's order, which is also the
// order of the answer's "updated".
var updatable = []string{
	"cookie", "email", "password", "pass_mail", "twofa", "app_password",
	"link_profile", "status", "note", "error_message",
}

// placeholders are the example values of the document. A worker that sends
// one has been configured from the docs, not from a real account, so PUT
// refuses them rather than overwrite real credentials.
var placeholders = []string{
	"sid=newvalue; csrf=...", "auto-refreshed after 401", "xxxx xxxx xxxx xxxx",
	"JBSWY3DPEHPK3PXP", "pwReal!", "sid=abc", "sid=abc123; csrf=xyz", "...",
	"socactive@seed.com", "https://sutori.com/u/socactive",
	"<api_key>", "<account_id>", "<task_id>", "ACCOUNT_ID", "TASK_ID",
}

func isPlaceholder(s string) bool {
	s = strings.TrimSpace(s)
	for _, p := range placeholders {
		if strings.EqualFold(s, p) {
			return true
		}
	}
	return false
}

// updateAccount is "7. Cập nhật tài khoản": a partial update in which a
// missing (or null) field is left alone and "" clears. Everything is
// validated before anything is written; the write is one transaction.
func (h *handlers) updateAccount(w http.ResponseWriter, r *http.Request) error {
	if strings.TrimSpace(chi.URLParam(r, "id")) == "" {
		return errAccountIDRequired
	}
	var body map[string]json.RawMessage
	switch err := readJSON(w, r, &body); {
	case errors.Is(err, errEmptyBody):
		return errNoFields
	case err != nil:
		return err
	}
	given := make(map[string]string)
	for _, f := range updatable {
		raw, ok := body[f]
		if !ok || string(raw) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return apiErr(http.StatusBadRequest, fmt.Sprintf(msgFieldInvalid, f))
		}
		given[f] = s
	}
	if len(given) == 0 { // username and unknown fields do not count
		return errNoFields
	}
	for _, f := range updatable {
		s, ok := given[f]
		if !ok {
			continue
		}
		if f == "status" {
			if !slices.Contains(likepionStatuses, s) {
				return errBadStatus
			}
			continue
		}
		if isPlaceholder(s) {
			return apiErr(http.StatusBadRequest, fmt.Sprintf(msgPlaceholder, f))
		}
		if f == "link_profile" && s != "" && !isHTTPURL(strings.TrimSpace(s)) {
			return apiErr(http.StatusBadRequest, fmt.Sprintf(msgFieldInvalid, f))
		}
	}

	ctx := r.Context()
	a, err := h.findAccount(ctx, r)
	if err != nil {
		return err
	}
	in := accounts.UpdateInput{ID: a.ID}
	opt := func(f string) *string {
		if s, ok := given[f]; ok {
			return &s
		}
		return nil
	}
	in.Credentials = accounts.Credentials{
		Cookie: opt("cookie"), Password: opt("password"), MailPassword: opt("pass_mail"),
		TotpSecret: opt("twofa"), AppPassword: opt("app_password"),
	}
	in.Email = trimmed(opt("email"))
	in.LinkProfile = trimmed(opt("link_profile"))
	in.Note = opt("note")
	in.ErrorMessage = opt("error_message")
	if s := opt("status"); s != nil {
		st := statusFromLikepion(*s)
		in.ExternalStatus, in.Status = s, &st
	}
	_, ch, err := h.Accounts.UpdateChanged(ctx, in)
	if err != nil {
		return accountErr(err)
	}
	writeJSON(w, http.StatusOK, updatedResponse{Success: true, Updated: updatedFields(ch)})
	return nil
}

// updatedFields names, in the document's order, the fields whose stored
// value changed. status counts when either its Likepion value or the
// AccountStatus it maps to changed.
func updatedFields(ch accounts.Changes) []string {
	changed := map[string]bool{
		"cookie":        ch.Credential(accounts.KindCookie),
		"email":         ch.Field(account.FieldEmail),
		"password":      ch.Credential(accounts.KindPassword),
		"pass_mail":     ch.Credential(accounts.KindMailPassword),
		"twofa":         ch.Credential(accounts.KindTotpSecret),
		"app_password":  ch.Credential(accounts.KindAppPassword),
		"link_profile":  ch.Field(account.FieldLinkProfile),
		"status":        ch.Field(account.FieldStatus) || ch.Field(account.FieldExternalStatus),
		"note":          ch.Field(account.FieldNote),
		"error_message": ch.Field(account.FieldErrorMessage),
	}
	out := make([]string, 0, len(updatable))
	for _, f := range updatable {
		if changed[f] {
			out = append(out, f)
		}
	}
	return out
}

// accountErr gives an account service error Likepion's messages: not
// found as documented, invalid input as "<field> không hợp lệ" under the
// document's field name.
func accountErr(err error) error {
	if errors.Is(err, errs.ErrNotFound) {
		return errAccountNotFound
	}
	if errors.Is(err, errs.ErrInvalid) {
		f := errs.Field(err)
		switch f {
		case "linkProfile":
			f = "link_profile"
		case "errorMessage":
			f = "error_message"
		case "":
			f = "body"
		}
		return apiErr(http.StatusBadRequest, fmt.Sprintf(msgFieldInvalid, f))
	}
	return err
}

func trimmed(p *string) *string {
	if p == nil {
		return nil
	}
	s := strings.TrimSpace(*p)
	return &s
}
