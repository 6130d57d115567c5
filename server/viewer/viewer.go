// Package viewer owns the identity of whoever is acting in a request: the
// user or API key, its workspace and its role. It sits below ent so the ent
// privacy rules can read it without an import cycle.
package viewer

import (
	"context"
	"strconv"
)

// Role is a user's role in Switchboard.
type Role string

// Roles a user can have.
const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// Scope is what an API key is allowed to do.
type Scope string

// Scopes an API key can carry.
const (
	ScopeAPI    Scope = "api"
	ScopeWorker Scope = "worker"
	ScopeAdmin  Scope = "admin"
)

// Viewer describes the caller of a request. A zero WorkspaceID never matches
// a tenant row, so an incomplete viewer sees nothing.
type Viewer struct {
	UserID      int
	Username    string
	WorkspaceID int
	Role        Role
	// APIKeyID is set when the request authenticated with an API key.
	APIKeyID int
	// Scope is the API key's scope; empty for session tokens, which act with
	// the user's full rights.
	Scope Scope
}

// IsAdmin is Switchboard's one admin rule, asked by every face (GraphQL's
// admin fields, the Sharingtools admin routes, the privacy rules, the plan,
// wallet, proxy and key services): the user's role is admin, and they act
// with a session or with an api- or admin-scope key. The Sharingtools
// document makes the account type the only condition of its admin routes,
// and a Sharingtools client has nothing but an api key, so an admin's api
// key must count there — and so it counts everywhere, rather than letting
// one key be an admin on one face and not on another. A worker key never
// counts: it acts for a worker, not for its owner.
func (v *Viewer) IsAdmin() bool {
	if v == nil || v.Role != RoleAdmin {
		return false
	}
	switch v.Scope {
	case "", ScopeAPI, ScopeAdmin:
		return true
	}
	return false
}

// ActsForUser reports whether the viewer acts with its user's own rights:
// a session or an api-scope key. The product APIs' client routes (the
// HighLevel Social Planner scopes among them) are open to these only;
// worker and admin keys act for something narrower.
func (v *Viewer) ActsForUser() bool {
	return v != nil && (v.Scope == "" || v.Scope == ScopeAPI)
}

// IsWorker reports whether the viewer authenticated with a worker key.
func (v *Viewer) IsWorker() bool { return v != nil && v.Scope == ScopeWorker }

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer in ctx, or nil when there is none.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}

// WorkerIdentity names the worker behind a worker key as a lease owner:
// reports that carry no lease token (Likepion) are accepted from the same
// key only. Empty for any other viewer.
func (v *Viewer) WorkerIdentity() string {
	if !v.IsWorker() || v.APIKeyID == 0 {
		return ""
	}
	return "key:" + strconv.Itoa(v.APIKeyID)
}
