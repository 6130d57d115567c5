package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointer copies a SQLite database's write-ahead log into the
// database file in the background. SQLite's automatic checkpoint runs
// inside the commit that takes the log past 1,000 pages, so that one
// request in some tens paid for copying and syncing the pages all the
// others wrote: with a million tasks in the database, whose indexes spread
// each commit over more pages, a claim's p99 was 1.6–1.9× what it was with
// a thousand (BenchmarkClaimBacklog), the p50 the same. Here a commit only
// appends to the log (synchronous=NORMAL), and this goroutine checkpoints
// after writes, at most once per gap, on a connection from the pool.
//
// A checkpoint is PASSIVE: it copies what is in the log without waiting
// for the writer, so under steady writes it never quite catches up, and
// the log is only started over by a writer that begins when every frame
// has been copied. Once the log passes restartPages, the checkpointer
// therefore copies the bulk PASSIVE, then takes the write turn (see
// sqliteDriver) — transactions queue behind it — for a second PASSIVE
// checkpoint of the few frames written meanwhile; the next transaction
// starts the log over. SQLite's own checkpoint stays on at safetyNetPages
// (SQLiteDSN sets it): should this one fail or fall behind (writes outside
// transactions do not queue for the turn), the log is still bounded.
type checkpointer struct {
	db *sql.DB
	// turn takes the write turn, returning its release.
	turn func() func()
	gap  time.Duration
	kick chan struct{} // a write happened since the last checkpoint began
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	// runs counts checkpoints, failed the ones that returned an error
	// (the next write tries again); tests read them.
	runs, failed atomic.Int64
}

const (
	// checkpointGap is the least time between two checkpoints: long
	// enough that a busy database is not synced back to back.
	checkpointGap = 20 * time.Millisecond
	// restartPages is the log length (4 KiB pages) from which the
	// checkpointer has the log started over.
	restartPages = 1_000
	// safetyNetPages is where SQLite's automatic checkpoint takes over.
	safetyNetPages = 10_000
)

func startCheckpointer(db *sql.DB, turn func() func(), gap time.Duration) *checkpointer {
	c := &checkpointer{db: db, turn: turn, gap: gap, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	c.wg.Add(1)
	go c.run()
	return c
}

// wrote tells the checkpointer that something was written.
func (c *checkpointer) wrote() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer c.wg.Done()
	timer := time.NewTimer(c.gap)
	defer timer.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		// Copying all of the log is not enough: the writer busy meanwhile
		// began before the copy ended, and commits more (see above).
		if frames, ok := c.checkpoint(); ok && frames >= restartPages {
			release := c.turn()
			c.checkpoint()
			release()
		}
		timer.Reset(c.gap)
		select {
		case <-c.stop:
			return
		case <-timer.C:
		}
	}
}

// checkpoint runs one PASSIVE checkpoint and returns the log's length.
func (c *checkpointer) checkpoint() (frames int, ok bool) {
	var busy, copied int
	err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	c.runs.Add(1)
	if err != nil {
		c.failed.Add(1)
		return 0, false
	}
	return frames, true
}

// close stops the checkpointer and waits for a running checkpoint.
func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	c.wg.Wait()
}
