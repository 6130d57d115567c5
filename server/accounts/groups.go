package accounts

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
)

// Limits of an account group.
const (
	MaxGroupNameLen  = 255
	MaxGroupAccounts = 1000
)

// CreateGroup stores a named group of the workspace's accounts; a name the
// workspace already uses is a conflict, and an account of another
// workspace (or none) is not found.
func (s *Service) CreateGroup(ctx context.Context, name string, accountIDs []int) (*ent.AccountGroup, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, errs.Invalid("name", "is required")
	case utf8.RuneCountInString(name) > MaxGroupNameLen:
		return nil, errs.Invalid("name", "must be at most %d characters", MaxGroupNameLen)
	case len(accountIDs) > MaxGroupAccounts:
		return nil, errs.Invalid("accountIDs", "at most %d accounts", MaxGroupAccounts)
	}
	var g *ent.AccountGroup
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		n, err := tx.Account.Query().Where(account.IDIn(accountIDs...)).Count(ctx)
		if err != nil {
			return fmt.Errorf("check accounts: %w", err)
		}
		if n != len(unique(accountIDs)) {
			return errs.NotFound("account")
		}
		g, err = tx.AccountGroup.Create().SetName(name).AddAccountIDs(unique(accountIDs)...).Save(ctx)
		if ent.IsConstraintError(err) {
			return errs.Conflict("an account group called %q exists", name)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create account group: %w", err)
	}
	return g, nil
}

func unique(ids []int) []int {
	seen := make(map[int]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
