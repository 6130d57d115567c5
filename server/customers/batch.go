package customers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/customer"
	"github.com/switchboardhq/switchboard/ent/customergroup"
	"github.com/switchboardhq/switchboard/ent/customertag"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Limits of one batch.
const (
	MaxBatchNames = 1000
	MaxBatchLinks = 100
	MaxBatchIDs   = 1000
	maxSearchLen  = 200
)

// BatchType is what a batch does.
type BatchType string

// The batch types (Shillbot's CUSTOMER_BATCH_TYPE, whose values the
// document lost; decision (b) in docs/compat.md).
const (
	// BatchCreate imports Names as customers (upserted case-insensitively)
	// and attaches TagIDs and GroupIDs to all of them.
	BatchCreate BatchType = "CREATE"
	// BatchUpdate attaches TagIDs and GroupIDs to the existing customers
	// that IDs or Filter select.
	BatchUpdate BatchType = "UPDATE"
)

// Filter selects existing customers: all of the workspace's, narrowed by
// each field that is set.
type Filter struct {
	// Search matches part of the username, case-insensitively.
	Search   string
	TagIDs   []uuid.UUID
	GroupIDs []uuid.UUID
}

// BatchInput is one batch. UPDATE needs IDs or a Filter (an empty Filter
// selects every customer of the workspace).
type BatchInput struct {
	Type     BatchType
	Names    []string
	TagIDs   []uuid.UUID
	GroupIDs []uuid.UUID
	IDs      []uuid.UUID
	Filter   *Filter
}

// BatchResult says what a batch did.
type BatchResult struct {
	// Created counts customers the batch added (CREATE).
	Created int
	// Selected counts the customers the tags and groups were attached to.
	Selected int
}

// username is an X username, optionally written with its "@".
var username = regexp.MustCompile(`^[A-Za-z0-9_]{1,50}$`)

// check validates in and returns its names trimmed, without "@" and
// without case-insensitive repeats (the first spelling wins).
func (in BatchInput) check() ([]string, error) {
	switch in.Type {
	case BatchCreate, BatchUpdate:
	case "":
		return nil, errs.Invalid("type", "is required")
	default:
		return nil, errs.Invalid("type", "must be CREATE or UPDATE")
	}
	switch {
	case len(in.Names) > MaxBatchNames:
		return nil, errs.Invalid("names", "must have at most %d items", MaxBatchNames)
	case len(in.TagIDs) > MaxBatchLinks:
		return nil, errs.Invalid("tagIds", "must have at most %d items", MaxBatchLinks)
	case len(in.GroupIDs) > MaxBatchLinks:
		return nil, errs.Invalid("groupIds", "must have at most %d items", MaxBatchLinks)
	case len(in.IDs) > MaxBatchIDs:
		return nil, errs.Invalid("ids", "must have at most %d items", MaxBatchIDs)
	}
	if in.Filter != nil {
		switch f := in.Filter; {
		case len(f.Search) > maxSearchLen:
			return nil, errs.Invalid("filter.search", "must be at most %d characters", maxSearchLen)
		case len(f.TagIDs) > MaxBatchLinks:
			return nil, errs.Invalid("filter.tagIds", "must have at most %d items", MaxBatchLinks)
		case len(f.GroupIDs) > MaxBatchLinks:
			return nil, errs.Invalid("filter.groupIds", "must have at most %d items", MaxBatchLinks)
		}
	}
	if in.Type == BatchUpdate {
		if len(in.IDs) == 0 && in.Filter == nil {
			return nil, errs.Invalid("ids", "or filter is required to UPDATE")
		}
		return nil, nil
	}
	if len(in.Names) == 0 {
		return nil, errs.Invalid("names", "is required to CREATE")
	}
	seen := make(map[string]bool, len(in.Names))
	names := make([]string, 0, len(in.Names))
	for _, n := range in.Names {
		n = strings.TrimPrefix(strings.TrimSpace(n), "@")
		if !username.MatchString(n) {
			return nil, errs.Invalid("names", "%q is not an X username", n)
		}
		if k := strings.ToLower(n); !seen[k] {
			seen[k] = true
			names = append(names, n)
		}
	}
	return names, nil
}

// insertChunk is how many customers one INSERT writes: 6 parameters each,
// well under SQLite's 32,766.
const insertChunk = 500

// customerCols are the columns a batch writes, in the order of its
// parameters.
var customerCols = []string{
	customer.FieldUUID, customer.FieldCreatedAt, customer.FieldUpdatedAt,
	customer.FieldWorkspaceID, customer.FieldUsername, customer.FieldUsernameKey,
}

// Batch runs in as one transaction: every customer is written and every tag
// and group attached, or nothing is. Names already in the workspace (in any
// case) are kept as they are, and links already there are not repeated. A
// tag or group that is not the workspace's is invalid input.
func (s *Service) Batch(ctx context.Context, in BatchInput) (BatchResult, error) {
	names, err := in.check()
	if err != nil {
		return BatchResult{}, err
	}
	v := viewer.FromContext(ctx)
	if v == nil || v.WorkspaceID == 0 {
		return BatchResult{}, errs.Unauthenticated("no workspace")
	}
	var res BatchResult
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		groups, err := groupIDs(ctx, tx, "groupIds", in.GroupIDs)
		if err != nil {
			return err
		}
		tags, err := tagIDs(ctx, tx, "tagIds", in.TagIDs)
		if err != nil {
			return err
		}
		sel := &selection{d: s.driver}
		sel.where(customer.FieldWorkspaceID+" = %s", v.WorkspaceID)
		if in.Type == BatchCreate {
			if res.Created, err = s.insert(ctx, tx, v.WorkspaceID, names); err != nil {
				return err
			}
			keys := make([]any, len(names))
			for i, n := range names {
				keys[i] = strings.ToLower(n)
			}
			sel.in(customer.FieldUsernameKey, keys)
		} else if err := s.selectExisting(ctx, tx, sel, in); err != nil {
			return err
		}
		if res.Selected, err = sel.count(ctx, tx); err != nil {
			return err
		}
		if err := sel.link(ctx, tx, customergroup.CustomersTable, customergroup.CustomersPrimaryKey, groups); err != nil {
			return fmt.Errorf("attach customer groups: %w", err)
		}
		if err := sel.link(ctx, tx, customertag.CustomersTable, customertag.CustomersPrimaryKey, tags); err != nil {
			return fmt.Errorf("attach customer tags: %w", err)
		}
		return nil
	})
	if err != nil {
		return BatchResult{}, err
	}
	return res, nil
}

// insert upserts names into workspace ws, keeping rows whose username_key is
// there already, and returns how many rows it added.
func (s *Service) insert(ctx context.Context, tx *ent.Tx, ws int, names []string) (int, error) {
	created := 0
	now := time.Now()
	for start := 0; start < len(names); start += insertChunk {
		chunk := names[start:min(start+insertChunk, len(names))]
		q := store.UpsertRows(s.driver, customer.Table, customerCols,
			[]string{customer.FieldWorkspaceID, customer.FieldUsernameKey}, nil, len(chunk))
		args := make([]any, 0, len(chunk)*len(customerCols))
		for _, n := range chunk {
			id, err := uuid.NewV7()
			if err != nil {
				return 0, fmt.Errorf("new customer id: %w", err)
			}
			args = append(args, id, now, now, ws, n, strings.ToLower(n))
		}
		r, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, fmt.Errorf("insert customers: %w", err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("insert customers: %w", err)
		}
		created += int(n)
	}
	return created, nil
}

// selectExisting narrows sel to the customers an UPDATE names: by IDs, and
// by each field of Filter. Unknown ids select nothing rather than fail:
// the filter may legitimately match none.
func (s *Service) selectExisting(ctx context.Context, tx *ent.Tx, sel *selection, in BatchInput) error {
	if len(in.IDs) > 0 {
		ids := make([]any, len(in.IDs))
		for i, id := range in.IDs {
			ids[i] = id
		}
		sel.in(customer.FieldUUID, ids)
	}
	f := in.Filter
	if f == nil {
		return nil
	}
	if f.Search != "" {
		sel.where(customer.FieldUsernameKey+" LIKE %s ESCAPE '\\'", "%"+escapeLike(strings.ToLower(f.Search))+"%")
	}
	if len(f.GroupIDs) > 0 {
		ids, err := groupIDs(ctx, tx, "filter.groupIds", f.GroupIDs)
		if err != nil {
			return err
		}
		sel.member(customergroup.CustomersTable, customergroup.CustomersPrimaryKey, ids)
	}
	if len(f.TagIDs) > 0 {
		ids, err := tagIDs(ctx, tx, "filter.tagIds", f.TagIDs)
		if err != nil {
			return err
		}
		sel.member(customertag.CustomersTable, customertag.CustomersPrimaryKey, ids)
	}
	return nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// selection is a WHERE clause over the customers table (alias c) with its
// numbered parameters. It is written by hand because the batch's links are
// INSERT … SELECT statements, which ent does not build; the workspace
// condition is always its first term.
type selection struct {
	d     store.Driver
	conds []string
	args  []any
}

func (s *selection) arg(v any) string {
	s.args = append(s.args, v)
	return s.d.Placeholder(len(s.args))
}

// where adds the condition format, whose %s is replaced by v's placeholder
// and whose column names are qualified with c.
func (s *selection) where(format string, v any) {
	s.conds = append(s.conds, "c."+fmt.Sprintf(format, s.arg(v)))
}

func (s *selection) in(col string, vals []any) {
	marks := make([]string, len(vals))
	for i, v := range vals {
		marks[i] = s.arg(v)
	}
	s.conds = append(s.conds, "c."+col+" IN ("+strings.Join(marks, ", ")+")")
}

// member keeps the customers linked through join table to one of ids.
func (s *selection) member(table string, pk []string, ids []int) {
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = s.arg(id)
	}
	s.conds = append(s.conds, fmt.Sprintf("c.id IN (SELECT %s FROM %s WHERE %s IN (%s))",
		pk[1], table, pk[0], strings.Join(marks, ", ")))
}

func (s *selection) clause() string { return strings.Join(s.conds, " AND ") }

func (s *selection) count(ctx context.Context, tx *ent.Tx) (int, error) {
	rows, err := tx.QueryContext(ctx, "SELECT count(*) FROM "+customer.Table+" c WHERE "+s.clause(), s.args...)
	if err != nil {
		return 0, fmt.Errorf("count selected customers: %w", err)
	}
	defer rows.Close()
	var n int
	if !rows.Next() {
		return 0, errors.Join(errors.New("count selected customers: no row"), rows.Err())
	}
	if err := rows.Scan(&n); err != nil {
		return 0, fmt.Errorf("count selected customers: %w", err)
	}
	return n, rows.Close()
}

// link attaches every selected customer to each of owners (group or tag row
// ids, already checked to be the workspace's) through the join table whose
// primary key pk is (owner, customer), in one statement.
func (s *selection) link(ctx context.Context, tx *ent.Tx, table string, pk []string, owners []int) error {
	if len(owners) == 0 {
		return nil
	}
	args := append([]any(nil), s.args...)
	marks := make([]string, len(owners))
	for i, id := range owners {
		args = append(args, id)
		marks[i] = s.d.Placeholder(len(args))
	}
	// The WHERE clause also settles SQLite's parsing ambiguity of
	// INSERT … SELECT … ON CONFLICT.
	q := fmt.Sprintf("INSERT INTO %s (%s, %s) SELECT o.id, c.id FROM %s c, (SELECT id FROM %s WHERE id IN (%s)) o WHERE %s ON CONFLICT DO NOTHING",
		table, pk[0], pk[1], customer.Table, ownerTable(table), strings.Join(marks, ", "), s.clause())
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}

func ownerTable(join string) string {
	if join == customergroup.CustomersTable {
		return customergroup.Table
	}
	return customertag.Table
}
