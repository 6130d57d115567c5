package tasks

import (
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
)

// On SQLite the claim must read the claim-order index and stop at its
// limit, not sort every due task: without statistics SQLite's planner
// prefers the (status, not_before) range for a query of whole rows, which
// made a claim take 0.5 s with a million pending tasks.
func TestSQLiteClaimReadsTheClaimOrderIndex(t *testing.T) {
	// testkit would import this package back; a bare store does.
	st, err := store.Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	sel := sql.Dialect(st.Driver.Dialect()).Select("*").From(sql.Table(task.Table))
	for _, p := range claimable(newClaimStore(st.Driver), 1, []task.Kind{task.KindLIKE}, time.Now()) {
		p(sel)
	}
	for _, o := range claimOrder {
		o(sel)
	}
	query, args := sel.Limit(10).Query()
	rows, err := st.DB.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	if !strings.Contains(got, "task_workspace_id_status_priority_not_before_id") || strings.Contains(got, "TEMP B-TREE") {
		t.Fatalf("claim plan %q, want the claim-order index without a sort", got)
	}
}
