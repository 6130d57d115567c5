// Package customers owns a workspace's customers (the X users its bots post
// at), the groups and tags they are sorted into, and the batch operations
// that import them and sort them: upserted by username case-insensitively,
// all or nothing.
package customers

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/customergroup"
	"github.com/switchboardhq/switchboard/ent/customertag"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/labels"
	"github.com/switchboardhq/switchboard/server/store"
)

// Limits of names and lists.
const (
	MaxNameLen = labels.MaxNameLen
	// MaxListLimit bounds one page of groups or tags.
	MaxListLimit = 1000
)

// Service reads and writes the customers, groups and tags of the viewer's
// workspace.
type Service struct {
	client *ent.Client
	driver store.Driver
}

// NewService returns a customer service.
func NewService(client *ent.Client, d store.Driver) *Service {
	return &Service{client: client, driver: d}
}

// CreateGroup stores a new customer group called name.
func (s *Service) CreateGroup(ctx context.Context, name string) (*ent.CustomerGroup, error) {
	name, err := labels.CheckName(name)
	if err != nil {
		return nil, err
	}
	g, err := s.client.CustomerGroup.Create().SetName(name).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create customer group: %w", errs.FromEnt(err, "customer group"))
	}
	return g, nil
}

// CreateTag stores a new customer tag called name.
func (s *Service) CreateTag(ctx context.Context, name string) (*ent.CustomerTag, error) {
	name, err := labels.CheckName(name)
	if err != nil {
		return nil, err
	}
	t, err := s.client.CustomerTag.Create().SetName(name).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create customer tag: %w", errs.FromEnt(err, "customer tag"))
	}
	return t, nil
}

// ListOptions select a page of groups or tags created within [Start, End],
// newest first.
type ListOptions struct {
	Start, End    time.Time
	Limit, Offset int
}

func (o ListOptions) check() error {
	switch {
	case o.Start.After(o.End):
		return errs.Invalid("startDate", "must not be after endDate")
	case o.Limit < 0 || o.Offset < 0:
		return errs.Invalid("limit", "must not be negative")
	case o.Limit > MaxListLimit:
		return errs.Invalid("limit", "must be at most %d", MaxListLimit)
	}
	return nil
}

// ListGroups returns a page of the workspace's groups created in the range,
// and how many there are in the range.
func (s *Service) ListGroups(ctx context.Context, o ListOptions) ([]*ent.CustomerGroup, int, error) {
	if err := o.check(); err != nil {
		return nil, 0, err
	}
	q := s.client.CustomerGroup.Query().
		Where(customergroup.CreatedAtGTE(o.Start), customergroup.CreatedAtLTE(o.End))
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count customer groups: %w", err)
	}
	items, err := q.Order(ent.Desc(customergroup.FieldCreatedAt), ent.Desc(customergroup.FieldID)).
		Limit(o.Limit).Offset(o.Offset).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list customer groups: %w", err)
	}
	return items, total, nil
}

// ListTags returns a page of the workspace's tags created in the range, and
// how many there are in the range.
func (s *Service) ListTags(ctx context.Context, o ListOptions) ([]*ent.CustomerTag, int, error) {
	if err := o.check(); err != nil {
		return nil, 0, err
	}
	q := s.client.CustomerTag.Query().
		Where(customertag.CreatedAtGTE(o.Start), customertag.CreatedAtLTE(o.End))
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count customer tags: %w", err)
	}
	items, err := q.Order(ent.Desc(customertag.FieldCreatedAt), ent.Desc(customertag.FieldID)).
		Limit(o.Limit).Offset(o.Offset).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list customer tags: %w", err)
	}
	return items, total, nil
}

// groupIDs returns the row ids of the workspace's groups with the given
// UUIDs; one that is not the workspace's is invalid input naming field.
func groupIDs(ctx context.Context, tx *ent.Tx, field string, ids []uuid.UUID) ([]int, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ids = dedupe(ids)
	found, err := tx.CustomerGroup.Query().Where(customergroup.UUIDIn(ids...)).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up customer groups: %w", err)
	}
	if len(found) != len(ids) {
		return nil, errs.Invalid(field, "names a customer group that does not exist")
	}
	return found, nil
}

// tagIDs is groupIDs for tags.
func tagIDs(ctx context.Context, tx *ent.Tx, field string, ids []uuid.UUID) ([]int, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ids = dedupe(ids)
	found, err := tx.CustomerTag.Query().Where(customertag.UUIDIn(ids...)).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up customer tags: %w", err)
	}
	if len(found) != len(ids) {
		return nil, errs.Invalid(field, "names a customer tag that does not exist")
	}
	return found, nil
}

// GroupIDs returns the row ids of the viewer's groups with the given UUIDs,
// for other domains (campaigns) that link to groups; a foreign or unknown
// one is invalid input naming field.
func GroupIDs(ctx context.Context, tx *ent.Tx, field string, ids []uuid.UUID) ([]int, error) {
	return groupIDs(ctx, tx, field, ids)
}

// TagIDs is GroupIDs for tags.
func TagIDs(ctx context.Context, tx *ent.Tx, field string, ids []uuid.UUID) ([]int, error) {
	return tagIDs(ctx, tx, field, ids)
}

func dedupe[T comparable](in []T) []T {
	seen := make(map[T]bool, len(in))
	out := in[:0:0]
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
