// Package captions owns saved captions: the texts users keep to reuse in
// posts (spintax allowed; it is expanded when a post is published).
package captions

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/caption"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/spintax"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Limits of a caption.
const (
	MaxTitleLen = 255
	// MaxCaptionLen is Instagram's caption limit, in characters.
	MaxCaptionLen = 2200
	maxSearchLen  = 200
)

// Service reads and writes the captions of the viewer's workspace.
type Service struct{ client *ent.Client }

// NewService returns a caption service.
func NewService(client *ent.Client) *Service { return &Service{client: client} }

// Input is a caption's fields; nil leaves a field as it is on update and is
// refused on create.
type Input struct {
	Title   *string
	Caption *string
}

func (in Input) check(create bool) error {
	if in.Title != nil || create {
		switch t := deref(in.Title); {
		case strings.TrimSpace(t) == "":
			return errs.Invalid("title", "is required")
		case utf8.RuneCountInString(t) > MaxTitleLen:
			return errs.Invalid("title", "must be at most %d characters", MaxTitleLen)
		}
	}
	if in.Caption != nil || create {
		switch c := deref(in.Caption); {
		case strings.TrimSpace(c) == "":
			return errs.Invalid("caption", "is required")
		case utf8.RuneCountInString(c) > MaxCaptionLen:
			return errs.Invalid("caption", "must be at most %d characters", MaxCaptionLen)
		default:
			if err := spintax.Validate(c); err != nil {
				return errs.Invalid("caption", "has invalid spintax: %v", err)
			}
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ListOptions select a page of captions, newest first.
type ListOptions struct {
	Search  string
	Page    int
	PerPage int
}

// List returns one page of the workspace's captions whose title or text
// contains Search, and how many match in all.
func (s *Service) List(ctx context.Context, o ListOptions) ([]*ent.Caption, int, error) {
	if len(o.Search) > maxSearchLen {
		return nil, 0, errs.Invalid("search", "must be at most %d characters", maxSearchLen)
	}
	q := s.client.Caption.Query()
	if t := strings.TrimSpace(o.Search); t != "" {
		q = q.Where(caption.Or(caption.TitleContainsFold(t), caption.CaptionContainsFold(t)))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count captions: %w", err)
	}
	cs, err := q.Order(ent.Desc(caption.FieldID)).Offset((o.Page - 1) * o.PerPage).Limit(o.PerPage).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list captions: %w", err)
	}
	return cs, total, nil
}

// Get returns one caption of the workspace.
func (s *Service) Get(ctx context.Context, id int) (*ent.Caption, error) {
	c, err := s.client.Caption.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get caption %d: %w", id, errs.FromEnt(err, "caption"))
	}
	return c, nil
}

// Create saves a caption for the viewer.
func (s *Service) Create(ctx context.Context, in Input) (*ent.Caption, error) {
	if err := in.check(true); err != nil {
		return nil, err
	}
	cr := s.client.Caption.Create().SetTitle(*in.Title).SetCaption(*in.Caption)
	if v := viewer.FromContext(ctx); v != nil && v.UserID != 0 {
		cr.SetUserID(v.UserID)
	}
	c, err := cr.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create caption: %w", errs.FromEnt(err, "caption"))
	}
	return c, nil
}

// Update changes the given fields of a caption.
func (s *Service) Update(ctx context.Context, id int, in Input) (*ent.Caption, error) {
	if err := in.check(false); err != nil {
		return nil, err
	}
	var out *ent.Caption
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := tx.Caption.Get(ctx, id)
		if err != nil {
			return errs.FromEnt(err, "caption")
		}
		u := tx.Caption.UpdateOne(c)
		if in.Title != nil {
			u.SetTitle(*in.Title)
		}
		if in.Caption != nil {
			u.SetCaption(*in.Caption)
		}
		out, err = u.Save(ctx)
		return errs.FromEnt(err, "caption")
	})
	if err != nil {
		return nil, fmt.Errorf("update caption %d: %w", id, err)
	}
	return out.Unwrap(), nil
}

// Delete removes a caption.
func (s *Service) Delete(ctx context.Context, id int) error {
	if err := s.client.Caption.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("delete caption %d: %w", id, errs.FromEnt(err, "caption"))
	}
	return nil
}
