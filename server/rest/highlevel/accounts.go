package highlevel

// Connected accounts and their groups.

import (
	"context"
	"fmt"
	"net/http"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/accountgroup"
	"github.com/switchboardhq/switchboard/ent/user"
)

// GET /{locationId}/accounts: every account of the location and every
// account group, oldest first.
func (h *handlers) listAccounts(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	as, err := h.Client.Account.Query().Order(ent.Asc(account.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	gs, err := h.Client.AccountGroup.Query().
		WithAccounts(func(q *ent.AccountQuery) { q.Select(account.FieldObjectID).Order(ent.Asc(account.FieldID)) }).
		Order(ent.Asc(accountgroup.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("list account groups: %w", err)
	}
	out := accountsResults{Accounts: make([]accountJSON, len(as)), Groups: make([]groupJSON, len(gs))}
	for i, a := range as {
		out.Accounts[i] = toAccountJSON(a)
	}
	for i, g := range gs {
		ids := make([]string, len(g.Edges.Accounts))
		for j, a := range g.Edges.Accounts {
			ids[j] = a.ObjectID
		}
		out.Groups[i] = groupJSON{ID: g.ObjectID, Name: g.Name, AccountIDs: ids}
	}
	return ok(w, http.StatusOK, "Fetched accounts", out)
}

// DELETE /{locationId}/accounts/{id}?companyId&userId: the account leaves
// the location and its groups; its waiting tasks are cancelled. companyId
// (HighLevel's agency) is accepted and ignored.
func (h *handlers) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	loc, id, err := locationAndID(r, "id")
	if err != nil {
		return err
	}
	if uid := r.URL.Query().Get("userId"); uid != "" {
		if _, err := h.member(r.Context(), "userId", uid); err != nil {
			return err
		}
	}
	a, err := h.Client.Account.Query().Where(account.ObjectID(id)).Only(r.Context())
	if ent.IsNotFound(err) {
		return notFound("Account")
	}
	if err != nil {
		return fmt.Errorf("find account: %w", err)
	}
	if err := h.Accounts.Delete(r.Context(), a.ID); err != nil {
		return orNotFound(err, "Account")
	}
	return ok(w, http.StatusOK, "Account deleted successfully", deleteAccountResults{LocationID: loc.ID, ID: id})
}

// member returns the user of the location whose ObjectId is oid (the
// document's userId and createdBy): a malformed id or one of nobody in the
// location is a 422 naming field.
func (h *handlers) member(ctx context.Context, field, oid string) (*ent.User, error) {
	if !isObjectID(oid) {
		return nil, unprocessable(field + " must be a mongodb id")
	}
	u, err := h.Client.User.Query().Where(user.ObjectID(oid)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, unprocessable(field + " must be a user of the location")
	}
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", field, err)
	}
	return u, nil
}
