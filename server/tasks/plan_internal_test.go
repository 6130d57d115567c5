package tasks

import (
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/store/storetest"
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
	got := strings.Join(storetest.SQLitePlan(t, st.DB, query, args...), "; ")
	if !strings.Contains(got, "task_workspace_id_status_priority_not_before_id") || strings.Contains(got, "TEMP B-TREE") {
		t.Fatalf("claim plan %q, want the claim-order index without a sort", got)
	}
}

// A batch of reports reads its tasks by their names' keys, however many
// there are, not the workspace's every task: SQLite's planner (without
// statistics) took the (workspace_id, id) index, which serves the privacy
// layer's filter and the lock order at once, from three names on.
func TestSQLiteReportsReadTheirTasksByKey(t *testing.T) {
	st, err := store.Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	byUUID, byID := make([]Report, 5), make([]Report, 5)
	for i := range byUUID {
		byUUID[i].Ref = TaskUUID(uuid.New(), task.KindPOST_PUBLISH)
		byID[i].Ref = TaskID(i + 1)
	}
	for name, reports := range map[string][]Report{"one by uuid": byUUID[:1], "by uuid": byUUID, "by id": byID, "mixed": append(byID[:2:2], byUUID[:2]...)} {
		sel := sql.Dialect(st.Driver.Dialect()).Select("*").From(sql.Table(task.Table))
		task.WorkspaceID(1)(sel) // what the privacy layer adds
		refsWhere(reports)(sel)
		task.ByID()(sel)
		query, args := sel.Query()
		got := strings.Join(storetest.SQLitePlan(t, st.DB, query, args...), "; ")
		if strings.Contains(got, "SCAN") || strings.Contains(got, "(workspace_id=?)") {
			t.Errorf("%s: plan %q, want the tasks looked up by their keys", name, got)
		}
	}
}
