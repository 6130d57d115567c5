package customers

import (
	"context"
	"fmt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/labels"
)

// Renaming and removing groups and tags (GraphQL; Shillbot's REST API only
// creates groups). Another workspace's group or tag is not found.

// RenameGroup gives group id a new name.
func (s *Service) RenameGroup(ctx context.Context, id int, name string) (*ent.CustomerGroup, error) {
	name, err := labels.CheckName(name)
	if err != nil {
		return nil, err
	}
	g, err := s.client.CustomerGroup.UpdateOneID(id).SetName(name).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("rename customer group: %w", errs.FromEnt(err, "customer group"))
	}
	return g, nil
}

// DeleteGroup removes group id; its customers stay, out of it, and the
// campaigns aiming at it no longer do.
func (s *Service) DeleteGroup(ctx context.Context, id int) error {
	if err := s.client.CustomerGroup.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("delete customer group: %w", errs.FromEnt(err, "customer group"))
	}
	return nil
}

// RenameTag gives tag id a new name.
func (s *Service) RenameTag(ctx context.Context, id int, name string) (*ent.CustomerTag, error) {
	name, err := labels.CheckName(name)
	if err != nil {
		return nil, err
	}
	t, err := s.client.CustomerTag.UpdateOneID(id).SetName(name).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("rename customer tag: %w", errs.FromEnt(err, "customer tag"))
	}
	return t, nil
}

// DeleteTag removes tag id from its customers and from the workspace.
func (s *Service) DeleteTag(ctx context.Context, id int) error {
	if err := s.client.CustomerTag.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("delete customer tag: %w", errs.FromEnt(err, "customer tag"))
	}
	return nil
}
