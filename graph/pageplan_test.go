package graph_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/graph/generated"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// pageFunc reads the first page of one connection ordered by the named
// GraphQL order field ("" for the connection's default order).
type pageFunc func(ctx context.Context, c *ent.Client, field string) error

// orderField parses a GraphQL order field name into ent's order field.
func orderField[F any, PF interface {
	*F
	UnmarshalGQL(any) error
}](name string, def *F) (*F, error) {
	if name == "" {
		return def, nil
	}
	f := PF(new(F))
	return f, f.UnmarshalGQL(name)
}

var first = 50

// tenantPages are the connections over tenant-owned entities, keyed by the
// GraphQL node type; the test fails when a connection of the schema is
// neither here nor in globalPages, so a new connection gets its plan checked.
var tenantPages = map[string]pageFunc{
	"Tag": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultTagOrder.Field)
		if err == nil {
			_, err = c.Tag.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithTagOrder(&ent.TagOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"AccountGroup": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultAccountGroupOrder.Field)
		if err == nil {
			_, err = c.AccountGroup.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithAccountGroupOrder(&ent.AccountGroupOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Category": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultCategoryOrder.Field)
		if err == nil {
			_, err = c.Category.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithCategoryOrder(&ent.CategoryOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Comment": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultCommentOrder.Field)
		if err == nil {
			_, err = c.Comment.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithCommentOrder(&ent.CommentOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Customer": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultCustomerOrder.Field)
		if err == nil {
			_, err = c.Customer.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithCustomerOrder(&ent.CustomerOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"CustomerGroup": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultCustomerGroupOrder.Field)
		if err == nil {
			_, err = c.CustomerGroup.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithCustomerGroupOrder(&ent.CustomerGroupOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Notification": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultNotificationOrder.Field)
		if err == nil {
			_, err = c.Notification.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithNotificationOrder(&ent.NotificationOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"CustomerTag": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultCustomerTagOrder.Field)
		if err == nil {
			_, err = c.CustomerTag.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithCustomerTagOrder(&ent.CustomerTagOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Template": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultTemplateOrder.Field)
		if err == nil {
			_, err = c.Template.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithTemplateOrder(&ent.TemplateOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Account": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultAccountOrder.Field)
		if err == nil {
			_, err = c.Account.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithAccountOrder(&ent.AccountOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"APIKey": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultAPIKeyOrder.Field)
		if err == nil {
			_, err = c.APIKey.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithAPIKeyOrder(&ent.APIKeyOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Media": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultMediaOrder.Field)
		if err == nil {
			_, err = c.Media.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithMediaOrder(&ent.MediaOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Caption": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultCaptionOrder.Field)
		if err == nil {
			_, err = c.Caption.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithCaptionOrder(&ent.CaptionOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"CooldownRule": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultCooldownRuleOrder.Field)
		if err == nil {
			_, err = c.CooldownRule.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithCooldownRuleOrder(&ent.CooldownRuleOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Job": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultJobOrder.Field)
		if err == nil {
			_, err = c.Job.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithJobOrder(&ent.JobOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"LogEntry": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultLogEntryOrder.Field)
		if err == nil {
			_, err = c.LogEntry.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithLogEntryOrder(&ent.LogEntryOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"LoginChallenge": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultLoginChallengeOrder.Field)
		if err == nil {
			_, err = c.LoginChallenge.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithLoginChallengeOrder(&ent.LoginChallengeOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Post": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultPostOrder.Field)
		if err == nil {
			_, err = c.Post.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithPostOrder(&ent.PostOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Schedule": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultScheduleOrder.Field)
		if err == nil {
			_, err = c.Schedule.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithScheduleOrder(&ent.ScheduleOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"Task": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultTaskOrder.Field)
		if err == nil {
			_, err = c.Task.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithTaskOrder(&ent.TaskOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"User": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultUserOrder.Field)
		if err == nil {
			_, err = c.User.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithUserOrder(&ent.UserOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
	"WalletTransaction": func(ctx context.Context, c *ent.Client, name string) error {
		f, err := orderField(name, ent.DefaultWalletTransactionOrder.Field)
		if err == nil {
			_, err = c.WalletTransaction.Query().Paginate(ctx, nil, &first, nil, nil, ent.WithWalletTransactionOrder(&ent.WalletTransactionOrder{Direction: entgql.OrderDirectionAsc, Field: f}))
		}
		return err
	},
}

// globalPages are connections over entities no workspace owns: an
// operator's handful of plans and the admin's list of workspaces.
var globalPages = map[string]bool{"Plan": true, "Workspace": true}

// TestPagesReadTheWorkspaceIndexInOrder checks, for every connection over a
// tenant-owned entity and every order it offers, that the database reads the
// page straight off an index that leads with workspace_id, in the page's
// order: no sort of the workspace's rows, so a page costs the same whatever
// the tenant's size. Sorting and sequential scans are priced out of the
// planner's reach (the tables are empty, and on empty tables a sort looks
// free), so a plan with a sort is one no index could avoid.
func TestPagesReadTheWorkspaceIndexInOrder(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for name, def := range schema.Types {
		node, ok := strings.CutSuffix(name, "Connection")
		if !ok || def.Fields.ForName("edges") == nil || globalPages[node] {
			continue
		}
		if tenantPages[node] == nil {
			t.Errorf("connection %s has no page plan case", name)
		}
	}
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		rec := &recorder{Driver: entsql.OpenDB(st.Driver.Dialect(), st.DB)}
		client := ent.NewClient(ent.Driver(rec))
		ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: 1, Role: viewer.RoleMember})
		for node, page := range tenantPages {
			orders := []string{""}
			if e := schema.Types[node+"OrderField"]; e != nil {
				for _, v := range e.EnumValues {
					orders = append(orders, v.Name)
				}
			}
			for _, order := range orders {
				rec.reset()
				if err := page(ctx, client, order); err != nil {
					t.Fatalf("%s page by %q: %v", node, order, err)
				}
				q, ok := rec.pageQuery()
				if !ok {
					t.Fatalf("%s page by %q: no page query ran", node, order)
				}
				plan := explain(t, st, q)
				if bad := badPlan(st.Driver.Dialect(), plan); bad != "" {
					t.Errorf("%s page by %q: %s\nquery: %s\nplan:\n%s", node, orderName(order), bad, q.sql, plan)
				}
			}
		}
	})
}

func orderName(o string) string {
	if o == "" {
		return "default order"
	}
	return o
}

// badPlan says what is wrong with a page's plan, or "" when it walks an
// index that leads with workspace_id and needs no sort.
func badPlan(d, plan string) string {
	if d == dialect.Postgres {
		switch {
		case strings.Contains(plan, "Sort"):
			return "the page sorts the workspace's rows"
		case !strings.Contains(plan, "Index Cond: (workspace_id ="):
			return "the page does not seek the workspace in an index"
		case strings.Contains(plan, "Filter: (workspace_id"):
			return "the page walks an index past other workspaces' rows"
		}
		return ""
	}
	switch {
	case strings.Contains(plan, "USE TEMP B-TREE"):
		return "the page sorts the workspace's rows"
	case !strings.Contains(plan, "(workspace_id=?"):
		return "the page does not seek the workspace in an index"
	}
	return ""
}

// explain returns the plan of q, sorts and sequential scans disabled on
// PostgreSQL (see the test's comment).
func explain(t *testing.T, st *store.Store, q query) string {
	t.Helper()
	ctx := t.Context()
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	prefix := "EXPLAIN QUERY PLAN "
	if st.Driver.Dialect() == dialect.Postgres {
		prefix = "EXPLAIN "
		for _, s := range []string{"SET LOCAL enable_sort = off", "SET LOCAL enable_seqscan = off"} {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows, err := tx.QueryContext(ctx, prefix+q.sql, q.args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q.sql, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			switch v := v.(type) {
			case string:
				b.WriteString(v + " ")
			case []byte:
				b.WriteString(string(v) + " ")
			}
		}
		b.WriteString("\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

type query struct {
	sql  string
	args []any
}

// recorder is an ent driver that remembers the queries it runs.
type recorder struct {
	dialect.Driver
	mu      sync.Mutex
	queries []query
}

func (r *recorder) Query(ctx context.Context, q string, args, v any) error {
	a, _ := args.([]any)
	r.mu.Lock()
	r.queries = append(r.queries, query{q, a})
	r.mu.Unlock()
	return r.Driver.Query(ctx, q, args, v)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = nil
}

// pageQuery is the query that read the page's rows (not its count).
func (r *recorder) pageQuery() (query, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.queries {
		if strings.Contains(q.sql, "ORDER BY") {
			return q, true
		}
	}
	return query{}, false
}
