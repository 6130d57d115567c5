package tasks_test

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// bareSQLRate is the bare-SQL baseline's tasks/s, measured first in the same
// run so the service's PostgreSQL figure can be reported against it.
var bareSQLRate float64

// BenchmarkClaimComplete measures one worker claiming a task at a time and
// completing it, through the service (transactions, privacy, log entries,
// events) and, as a floor, through the two bare statements that do the
// same on PostgreSQL.
//
//	go test ./server/tasks/ -bench . -run XXX -benchtime 2000x
func BenchmarkClaimComplete(b *testing.B) {
	b.Run("postgres-bare-sql", benchBareSQL)
	b.Run("postgres", func(b *testing.B) { benchService(b, testkit.Postgres) })
	b.Run("sqlite", func(b *testing.B) { benchService(b, testkit.SQLite) })
}

func benchService(b *testing.B, backend testkit.Backend) {
	bd := setup(b, testkit.Open(b, backend))
	bd.seed(b, bd.wsA, b.N)
	result := map[string]any{"ok": true}
	b.ResetTimer()
	for range b.N {
		l := bd.claimOne(b, bd.ctxA, "bench")
		if _, err := bd.svc.Complete(bd.ctxA, tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token), result); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "tasks/s")
	if backend == testkit.Postgres && bareSQLRate > 0 {
		b.ReportMetric(rate/bareSQLRate, "x-bare-sql")
	}
}

// benchBareSQL is the floor: river-style single-statement claim (CTE with
// FOR UPDATE SKIP LOCKED feeding UPDATE … RETURNING) and a guarded
// single-statement complete, in autocommit, with no log or event.
func benchBareSQL(b *testing.B) {
	bd := setup(b, testkit.Open(b, testkit.Postgres))
	bd.seed(b, bd.wsA, b.N)
	const claim = `WITH picked AS (
		SELECT id FROM tasks
		WHERE workspace_id = $1 AND status = 'PENDING' AND not_before <= $2
		ORDER BY priority DESC, not_before, id
		LIMIT 1 FOR UPDATE SKIP LOCKED)
	UPDATE tasks t SET status = 'ASSIGNED', lease_owner = $3, lease_token = $4,
		lease_expires_at = $5, attempts = t.attempts + 1, updated_at = $2
	FROM picked WHERE t.id = picked.id
	RETURNING t.id`
	const complete = `UPDATE tasks SET status = 'COMPLETED', result = $1, finished_at = $2,
		lease_expires_at = NULL, updated_at = $2
	WHERE id = $3 AND lease_token = $4 AND status IN ('ASSIGNED', 'RUNNING')`
	ctx := b.Context()
	b.ResetTimer()
	for range b.N {
		now := bd.clock.Now()
		var tok [32]byte
		_, _ = rand.Read(tok[:])
		token := hex.EncodeToString(tok[:])
		var id int
		if err := bd.st.DB.QueryRowContext(ctx, claim, bd.wsA, now, "bench", token, now.Add(10*time.Minute)).Scan(&id); err != nil {
			b.Fatalf("claim: %v", err)
		}
		res, err := bd.st.DB.ExecContext(ctx, complete, `{"ok":true}`, now, id, token)
		if err != nil {
			b.Fatalf("complete: %v", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			b.Fatalf("complete task %d: %d rows", id, n)
		}
	}
	b.StopTimer()
	bareSQLRate = float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(bareSQLRate, "tasks/s")
}
