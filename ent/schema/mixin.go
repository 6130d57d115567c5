// Package schema holds Switchboard's ent schemas: one file per entity, plus
// the mixins every entity shares (identity, timestamps, tenancy).
package schema

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	entprivacy "entgo.io/ent/privacy"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/server/viewer"
)

// newUUID returns a time-ordered UUID (v7) so new rows cluster at the end of
// the uuid index.
func newUUID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// BaseMixin gives every entity an immutable UUID beside its integer primary
// key: the REST products disagree on which identity they show, and each
// router picks the one its document uses.
type BaseMixin struct{ mixin.Schema }

// Fields of the BaseMixin.
func (BaseMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("uuid", uuid.UUID{}).
			Default(newUUID).
			Immutable().
			Unique().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// TimeMixin records creation and last update times.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Default(time.Now).
			Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Time("updated_at").
			Default(time.Now).
			UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// TenantMixin binds an entity to a workspace. Its privacy policy (see
// policy.go) filters every query and update by the viewer's workspace, and its
// hook stamps creations with it, so tenancy does not depend on each caller
// remembering a WHERE clause.
type TenantMixin struct{ mixin.Schema }

// Fields of the TenantMixin.
func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int("workspace_id").
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the TenantMixin.
func (TenantMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("workspace", Workspace.Type).
			Field("workspace_id").
			Unique().
			Required().
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the TenantMixin: (workspace_id, id) finds a workspace's rows
// and also serves the default order of its connection (see pageIndexes).
func (TenantMixin) Indexes() []ent.Index {
	return []ent.Index{index.Fields("workspace_id", "id")}
}

// Hooks of the TenantMixin.
func (TenantMixin) Hooks() []ent.Hook {
	return []ent.Hook{stampWorkspace}
}

// stampWorkspace sets the workspace of a new row from the viewer, and refuses
// a row aimed at another workspace. System contexts (CLI, background loops)
// carry no viewer and must set the workspace themselves.
func stampWorkspace(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if !m.Op().Is(ent.OpCreate) {
			return next.Mutate(ctx, m)
		}
		v := viewer.FromContext(ctx)
		got, set := m.Field("workspace_id")
		// DecisionFromContext reports an Allow decision as (nil, true).
		if d, ok := entprivacy.DecisionFromContext(ctx); ok && d == nil {
			v = nil // an explicit system decision: the caller chose the workspace
		}
		switch {
		case v == nil && !set:
			return nil, fmt.Errorf("create %s: workspace is required", m.Type())
		case v == nil:
		case !set:
			if err := m.SetField("workspace_id", v.WorkspaceID); err != nil {
				return nil, fmt.Errorf("create %s: set workspace: %w", m.Type(), err)
			}
		case got.(int) != v.WorkspaceID:
			return nil, fmt.Errorf("create %s in workspace %v: %w", m.Type(), got, errForeignWorkspace)
		}
		return next.Mutate(ctx, m)
	})
}

var errForeignWorkspace = errors.New("workspace does not belong to the viewer")
