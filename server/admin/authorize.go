package admin

import (
	"context"

	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

type operatorKey struct{}

// AsOperator returns ctx acting as the server's operator: the CLI, run by
// whoever holds the data dir (or the database URL) and the master key, who
// could change any row anyway. It is the one caller without a viewer that
// Authorize lets administer; a bare privacy decision (background loops,
// sign-in) is not, so system code cannot reach an admin operation by
// accident.
func AsOperator(ctx context.Context) context.Context {
	return context.WithValue(ctx, operatorKey{}, true)
}

// IsOperator reports whether ctx was made by AsOperator.
func IsOperator(ctx context.Context) bool {
	ok, _ := ctx.Value(operatorKey{}).(bool)
	return ok
}

// Authorize is the gate of every admin operation that other packages own
// (the plan catalog, subscriptions, wallet adjustments): it returns ctx
// lifted above the workspace privacy rules when its caller may administer
// the server — the operator, or a viewer who IsAdmin — and
// otherwise an unauthenticated error (no viewer) or ErrNotAdmin.
func Authorize(ctx context.Context) (context.Context, error) {
	if !IsOperator(ctx) {
		v := viewer.FromContext(ctx)
		if v == nil {
			return nil, errs.Unauthenticated("sign in as an admin")
		}
		if !v.IsAdmin() {
			return nil, ErrNotAdmin
		}
	}
	return privacy.DecisionContext(ctx, privacy.Allow), nil
}
