package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/entql"

	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/store/tenant"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Policy of the TenantMixin: deny by default; a viewer sees and changes only
// rows of its own workspace. Code that must cross workspaces (sign-in, the
// CLI, background loops, admin fields) says so explicitly with
// privacy.DecisionContext(ctx, privacy.Allow).
func (TenantMixin) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			filterByWorkspace(),
			privacy.AlwaysAllowRule(),
		},
		Mutation: privacy.MutationPolicy{
			filterByWorkspace(),
			privacy.AlwaysAllowRule(),
		},
	}
}

// Policy of the Workspace: a viewer sees its own workspace only and changes
// none; workspaces are created and renamed by system code.
func (Workspace) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
				v := viewer.FromContext(ctx)
				if v == nil {
					return privacy.Denyf("workspace: no viewer")
				}
				type idFilter interface{ WhereID(entql.IntP) }
				wf, ok := f.(idFilter)
				if !ok {
					return privacy.Denyf("workspace: unexpected filter %T", f)
				}
				wf.WhereID(entql.IntEQ(v.WorkspaceID))
				return privacy.Skip
			}),
			privacy.AlwaysAllowRule(),
		},
		Mutation: privacy.MutationPolicy{
			privacy.AlwaysDenyRule(),
		},
	}
}

// filterByWorkspace narrows queries, updates and deletes to the viewer's
// workspace. Creates are stamped by the mixin's hook instead.
func filterByWorkspace() privacy.QueryMutationRule {
	type workspaceFilter interface {
		WhereWorkspaceID(entql.IntP)
	}
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v := viewer.FromContext(ctx)
		if v == nil || v.WorkspaceID == 0 {
			return privacy.Denyf("no viewer workspace")
		}
		// The assertion checks that the entity has the column; the
		// condition's form is tenant.Is's.
		if _, ok := f.(workspaceFilter); !ok {
			return privacy.Denyf("unexpected filter type %T", f)
		}
		f.Where(tenant.Is(ctx, "workspace_id", v.WorkspaceID))
		return privacy.Skip
	})
}

// catalogPolicy is the policy of server-wide catalogs (shared proxies):
// any signed-in viewer reads them, only admins change them (plans add a
// filter, see Plan.Policy).
// System code acts with privacy.DecisionContext(ctx, privacy.Allow).
func catalogPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
				if viewer.FromContext(ctx) == nil {
					return privacy.Denyf("catalog: no viewer")
				}
				return privacy.Allow
			}),
		},
		Mutation: adminsChangeIt(),
	}
}

// adminsChangeIt is the mutation policy of catalogs: only admins change them.
func adminsChangeIt() privacy.MutationPolicy {
	return privacy.MutationPolicy{
		privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
			if viewer.FromContext(ctx).IsAdmin() {
				return privacy.Allow
			}
			return privacy.Denyf("catalog: only admins change it")
		}),
	}
}
