package graph

import (
	"context"
	"fmt"

	"github.com/switchboardhq/switchboard/graph/model"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func requireViewer(ctx context.Context) (*viewer.Viewer, error) { return auth.Require(ctx) }

// viewer loads the caller's user, workspace and key.
func (r *Resolver) viewer(ctx context.Context) (*model.Viewer, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	out := &model.Viewer{}
	if out.User, err = r.Client.User.Get(ctx, v.UserID); err != nil {
		return nil, fmt.Errorf("load viewer user: %w", err)
	}
	if out.Workspace, err = r.Client.Workspace.Get(ctx, v.WorkspaceID); err != nil {
		return nil, fmt.Errorf("load viewer workspace: %w", err)
	}
	if v.APIKeyID != 0 {
		if out.APIKey, err = r.Client.APIKey.Get(ctx, v.APIKeyID); err != nil {
			return nil, fmt.Errorf("load viewer key: %w", err)
		}
	}
	return out, nil
}

// adminContext lifts the workspace filter for the explicit admin fields,
// through the one admin gate (admin.Authorize, asking viewer.IsAdmin).
func adminContext(ctx context.Context) (context.Context, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	return admin.Authorize(ctx)
}
