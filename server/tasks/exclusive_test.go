package tasks_test

import (
	"context"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/tasks/taskstest"
	"github.com/switchboardhq/switchboard/server/testkit"
)

const (
	exclusiveTasks   = 500
	exclusiveWorkers = 8
)

// claimAll runs exclusiveWorkers workers, spread round-robin over svcs
// (server replicas), each claiming small batches and completing what it got
// until the queue is empty. It returns how often each task was claimed.
func claimAll(t *testing.T, ctx context.Context, svcs []*tasks.Service) map[int]int {
	t.Helper()
	var (
		mu      sync.Mutex
		claimed = make(map[int]int)
		wg      sync.WaitGroup
		errc    = make(chan error, exclusiveWorkers)
	)
	for w := range exclusiveWorkers {
		svc := svcs[w%len(svcs)]
		wg.Go(func() {
			worker := "w" + string(rune('a'+w))
			for {
				ls, err := svc.Claim(ctx, worker, []task.Kind{task.KindLIKE}, 3)
				if err != nil {
					errc <- err
					return
				}
				if len(ls) == 0 {
					return
				}
				mu.Lock()
				for _, l := range ls {
					claimed[l.Task.ID]++
				}
				mu.Unlock()
				for _, l := range ls {
					if _, err := svc.Complete(ctx, tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token), map[string]any{"worker": worker}); err != nil {
						errc <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("worker: %v", err)
	}
	return claimed
}

func checkExclusive(t *testing.T, b *bundle, claimed map[int]int) {
	t.Helper()
	if len(claimed) != exclusiveTasks {
		t.Errorf("%d distinct tasks claimed, want %d", len(claimed), exclusiveTasks)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("task %d claimed %d times", id, n)
		}
	}
	if n := b.st.Client.Task.Query().Where(task.StatusNEQ(task.StatusCOMPLETED)).CountX(b.sys); n != 0 {
		t.Errorf("%d tasks not completed", n)
	}
	if n := b.st.Client.Task.Query().Where(task.AttemptsNEQ(1)).CountX(b.sys); n != 0 {
		t.Errorf("%d tasks with attempts != 1", n)
	}
}

func TestClaimIsExclusiveUnderConcurrentWorkers(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st)
		b.seed(t, b.wsA, exclusiveTasks)
		checkExclusive(t, b, claimAll(t, b.ctxA, []*tasks.Service{b.svc}))
	})
}

// Two server processes on one PostgreSQL database: SKIP LOCKED, not a
// process-local lock, keeps their claims apart.
func TestClaimIsExclusiveAcrossReplicas(t *testing.T) {
	t.Parallel()
	sts := testkit.OpenShared(t, 2)
	b := setup(t, sts[0])
	svc2 := taskstest.Register(tasks.NewService(sts[1], b.bus, tasks.Options{Now: b.clock.Now}))
	b.seed(t, b.wsA, exclusiveTasks)
	checkExclusive(t, b, claimAll(t, b.ctxA, []*tasks.Service{b.svc, svc2}))
}
