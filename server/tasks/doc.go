// Package tasks owns the units of work external workers execute and the
// leases under which they execute them.
//
// A task's life:
//
//	PENDING ──Claim──▶ ASSIGNED ──Start──▶ RUNNING ──Complete──▶ COMPLETED
//	   ▲                  │                   │
//	   │                  └──────Fail─────────┴──────────────────▶ FAILED
//	   └── Fail(retryable) or ReapExpired, while attempts < max_attempts
//
// plus CANCELLED (CancelWaiting) from any waiting state.
//
// Claim is one transaction: it locks the eligible PENDING rows of the
// viewer's workspace (FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite every
// transaction already holds the single write lock, see store.SQLiteDSN),
// asks the Eligibility hook about them, and assigns the admitted ones in one
// UPDATE, each with its own random lease token. Only the holder of a live
// lease (token compared in constant time, expiry in the future) may Start,
// Heartbeat, Complete or Fail the task; everyone else gets errs.ErrConflict
// and the task is left as it was. ReapExpired returns tasks whose lease ran
// out to PENDING (with backoff) or FAILED when their attempts are used up.
//
// Every change publishes a task event once its transaction commits and
// appends a LogEntry in that same transaction.
package tasks
