package tasks_test

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/tasks/taskstest"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// The due announcer speaks only of tasks that were waiting: one enqueued
// for later is announced once when it becomes due; one claimable at once
// was announced by its own creation and is not announced again.
func TestDueAnnouncerAnnouncesOnlyTasksThatWaited(t *testing.T) {
	b := setup(t, testkit.Open(t, testkit.SQLite))
	svc := taskstest.Register(tasks.NewService(b.st, b.bus, tasks.Options{})) // the real clock: due is about time passing
	hub := events.NewHub(16)
	sub := hub.Subscribe(events.TopicTaskDue, b.wsA)
	defer sub.Close()
	d := tasks.NewDueAnnouncer(svc, hub, 20*time.Millisecond, zerolog.Nop())
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer d.Stop()

	if _, err := svc.Enqueue(b.ctxA, tasks.EnqueueInput{Kind: "LIKE"}); err != nil {
		t.Fatal(err)
	}
	later, err := svc.Enqueue(b.ctxA, tasks.EnqueueInput{Kind: "LIKE", NotBefore: time.Now().Add(300 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for deadline := time.After(1500 * time.Millisecond); ; {
		select {
		case ev := <-sub.C():
			got = append(got, ev.ID)
			continue
		case <-deadline:
		}
		break
	}
	if len(got) != 1 || got[0] != later.ID {
		t.Fatalf("announced %v, want only the deferred task %d", got, later.ID)
	}
}
