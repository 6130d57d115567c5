package queues_test

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/queues"
)

func TestScheduleKeepsLocalTimeAcrossDSTAndShowsSkippedSlots(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	sunday9 := []queues.TimeSlot{{DayOfWeek: 0, Time: "09:00"}}
	for _, tc := range []struct {
		name    string
		from    time.Time
		skipped []time.Time
		n       int
		want    []queues.Slot // At in Berlin
	}{
		{name: "spring forward", from: time.Date(2027, 3, 20, 0, 0, 0, 0, berlin), n: 2, want: []queues.Slot{
			{At: time.Date(2027, 3, 21, 9, 0, 0, 0, berlin), Item: 0},
			{At: time.Date(2027, 3, 28, 9, 0, 0, 0, berlin), Item: 1},
			{At: time.Date(2027, 4, 4, 9, 0, 0, 0, berlin), Item: 0},
		}},
		{name: "fall back", from: time.Date(2027, 10, 30, 0, 0, 0, 0, berlin), n: 1, want: []queues.Slot{
			{At: time.Date(2027, 10, 31, 9, 0, 0, 0, berlin), Item: 0},
			{At: time.Date(2027, 11, 7, 9, 0, 0, 0, berlin), Item: 0},
		}},
		{name: "skipped slot keeps its item waiting", from: time.Date(2027, 3, 20, 0, 0, 0, 0, berlin), n: 2,
			skipped: []time.Time{time.Date(2027, 3, 28, 7, 0, 0, 0, time.UTC)}, want: []queues.Slot{
				{At: time.Date(2027, 3, 21, 9, 0, 0, 0, berlin), Item: 0},
				{At: time.Date(2027, 3, 28, 9, 0, 0, 0, berlin), Item: 1, Skipped: true},
				{At: time.Date(2027, 4, 4, 9, 0, 0, 0, berlin), Item: 1},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := queues.Schedule(sunday9, berlin, tc.skipped, tc.from, tc.n, 0, len(tc.want))
			if len(got) != len(tc.want) {
				t.Fatalf("%d slots, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if !g.At.Equal(w.At) || g.Item != w.Item || g.Skipped != w.Skipped {
					t.Errorf("slot %d = %s item %d skipped %v, want %s item %d skipped %v",
						i, g.At.In(berlin), g.Item, g.Skipped, w.At, w.Item, w.Skipped)
				}
				if local := g.At.In(berlin); local.Hour() != 9 {
					t.Errorf("slot %d at %s local, want 09:00", i, local)
				}
			}
		})
	}
}
