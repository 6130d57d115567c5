// Package labels owns post tags and reads the names a workspace files its
// content under (categories, which server/campaigns writes, and tags):
// pages by name and lookups by ObjectId. Each name is unique in its
// workspace.
package labels

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/category"
	"github.com/switchboardhq/switchboard/ent/predicate"
	"github.com/switchboardhq/switchboard/ent/tag"
	"github.com/switchboardhq/switchboard/server/errs"
)

// Limits of a label and of a search.
const (
	MaxNameLen   = 255
	MaxSearchLen = 200
	DefaultLimit = 10
	MaxLimit     = 100
	MaxObjectIDs = 100
)

// Service reads and writes the labels of the viewer's workspace.
type Service struct{ client *ent.Client }

// NewService returns a label service.
func NewService(client *ent.Client) *Service { return &Service{client: client} }

// CheckName trims a label's name and checks it is present and at most
// MaxNameLen characters: the one rule for every named label (post tags,
// account groups, customer groups and tags).
func CheckName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errs.Invalid("name", "is required")
	case utf8.RuneCountInString(name) > MaxNameLen:
		return "", errs.Invalid("name", "must be at most %d characters", MaxNameLen)
	}
	return name, nil
}

// CreateTag stores a new post tag called name; a name the workspace
// already uses is a conflict.
func (s *Service) CreateTag(ctx context.Context, name string) (*ent.Tag, error) {
	name, err := CheckName(name)
	if err != nil {
		return nil, err
	}
	t, err := s.client.Tag.Create().SetName(name).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, errs.Conflict("a tag called %q exists", name)
	}
	if err != nil {
		return nil, fmt.Errorf("create tag: %w", err)
	}
	return t, nil
}

// DeleteTag removes a tag; posts lose it.
func (s *Service) DeleteTag(ctx context.Context, id int) error {
	return errs.FromEnt(s.client.Tag.DeleteOneID(id).Exec(ctx), "tag")
}

// Search is a page of labels whose names contain Text (ignoring case).
type Search struct {
	Text        string
	Skip, Limit int
}

func (q *Search) check() error {
	q.Text = strings.TrimSpace(q.Text)
	switch {
	case utf8.RuneCountInString(q.Text) > MaxSearchLen:
		return errs.Invalid("searchText", "must be at most %d characters", MaxSearchLen)
	case q.Skip < 0:
		return errs.Invalid("skip", "must not be negative")
	case q.Limit < 0:
		return errs.Invalid("limit", "must not be negative")
	case q.Limit == 0:
		q.Limit = DefaultLimit
	}
	q.Limit = min(q.Limit, MaxLimit)
	return nil
}

// Categories returns a page of the workspace's categories, oldest first,
// and how many match in all.
func (s *Service) Categories(ctx context.Context, q Search) ([]*ent.Category, int, error) {
	if err := q.check(); err != nil {
		return nil, 0, err
	}
	var where []predicate.Category
	if q.Text != "" {
		where = append(where, category.NameContainsFold(q.Text))
	}
	base := s.client.Category.Query().Where(where...)
	total, err := base.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count categories: %w", err)
	}
	page, err := base.Order(ent.Asc(category.FieldID)).Offset(q.Skip).Limit(q.Limit).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list categories: %w", err)
	}
	return page, total, nil
}

// Tags returns a page of the workspace's tags, oldest first, and how many
// match in all.
func (s *Service) Tags(ctx context.Context, q Search) ([]*ent.Tag, int, error) {
	if err := q.check(); err != nil {
		return nil, 0, err
	}
	var where []predicate.Tag
	if q.Text != "" {
		where = append(where, tag.NameContainsFold(q.Text))
	}
	base := s.client.Tag.Query().Where(where...)
	total, err := base.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count tags: %w", err)
	}
	page, err := base.Order(ent.Asc(tag.FieldID)).Offset(q.Skip).Limit(q.Limit).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list tags: %w", err)
	}
	return page, total, nil
}

// CategoryByObjectID returns the workspace's category with that ObjectId;
// another workspace's is not found.
func (s *Service) CategoryByObjectID(ctx context.Context, oid string) (*ent.Category, error) {
	c, err := s.client.Category.Query().Where(category.ObjectID(strings.ToLower(oid))).Only(ctx)
	return c, errs.FromEnt(err, "category")
}

// TagsByObjectIDs returns the workspace's tags among oids, in the order
// asked; ids of no tag of the workspace are left out.
func (s *Service) TagsByObjectIDs(ctx context.Context, oids []string) ([]*ent.Tag, error) {
	if len(oids) > MaxObjectIDs {
		return nil, errs.Invalid("tagIds", "at most %d ids", MaxObjectIDs)
	}
	lower := make([]string, len(oids))
	for i, o := range oids {
		lower[i] = strings.ToLower(o)
	}
	found, err := s.client.Tag.Query().Where(tag.ObjectIDIn(lower...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read tags: %w", err)
	}
	byID := make(map[string]*ent.Tag, len(found))
	for _, t := range found {
		byID[t.ObjectID] = t
	}
	out := make([]*ent.Tag, 0, len(found))
	for _, o := range lower {
		if t, ok := byID[o]; ok {
			out = append(out, t)
			delete(byID, o) // an id asked twice is answered once
		}
	}
	return out, nil
}
