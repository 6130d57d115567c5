package queues

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/server/errs"
)

// TimeSlot is a weekly publication time: a day (0 = Sunday) and a
// wall-clock time in the queue's time zone.
type TimeSlot struct {
	DayOfWeek int    `json:"dayOfWeek"`
	Time      string `json:"time"`
}

// minutes is the slot's time of day in minutes; ok is false unless Time is
// HH:mm with 00 ≤ HH ≤ 23 and 00 ≤ mm ≤ 59.
func (s TimeSlot) minutes() (int, bool) {
	hh, mm, found := strings.Cut(s.Time, ":")
	if !found || len(hh) != 2 || len(mm) != 2 {
		return 0, false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// checkSlots validates slots and returns them sorted by day and time,
// without duplicates.
func checkSlots(slots []TimeSlot) ([]TimeSlot, error) {
	if len(slots) == 0 {
		return nil, errs.Invalid("timeSlots", "should not be empty")
	}
	if len(slots) > maxSlots {
		return nil, errs.Invalid("timeSlots", "must contain no more than %d elements", maxSlots)
	}
	for i, s := range slots {
		if s.DayOfWeek < 0 || s.DayOfWeek > 6 {
			return nil, errs.Invalid(fmt.Sprintf("timeSlots.%d.dayOfWeek", i), "must not be greater than 6 or less than 0")
		}
		if _, ok := s.minutes(); !ok {
			return nil, errs.Invalid(fmt.Sprintf("timeSlots.%d.time", i), "must be in HH:mm format")
		}
	}
	out := slices.Clone(slots)
	slices.SortFunc(out, func(a, b TimeSlot) int {
		if a.DayOfWeek != b.DayOfWeek {
			return a.DayOfWeek - b.DayOfWeek
		}
		return strings.Compare(a.Time, b.Time)
	})
	return slices.Compact(out), nil
}

// maxSlots bounds a queue's weekly slots (every hour of a week would be
// 168; HighLevel's editor offers far fewer).
const maxSlots = 168

// Slot is one publication time of a queue: the item that publishes there,
// and whether the time is one of the queue's skipped ones (the item then
// waits for the next slot).
type Slot struct {
	At      time.Time
	Skipped bool
	// Item is the index, in queue order, of the item due at the slot; -1
	// at the slot of the post the queue has already scheduled, whose item
	// has moved to the bottom.
	Item int
}

// slotTimes calls yield with every slot strictly after from, in order,
// until yield returns false. Each slot is built from the local date and
// wall-clock time, so 09:00 stays 09:00 across a DST change (a time that
// does not exist that day is moved forward by Go's time.Date, as clocks
// are).
func slotTimes(slots []TimeSlot, loc *time.Location, from time.Time, yield func(time.Time) bool) {
	if len(slots) == 0 {
		return
	}
	local := from.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	for {
		wd := int(day.Weekday())
		for _, s := range slots {
			if s.DayOfWeek != wd {
				continue
			}
			m, _ := s.minutes()
			t := time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, loc)
			// In UTC: SQLite compares stored times as text, so every time
			// written has one offset.
			if t.After(from) && !yield(t.UTC()) {
				return
			}
		}
		day = day.AddDate(0, 0, 1)
	}
}

// Schedule returns slots skip…skip+limit after from of a queue of n items
// whose top item is first: items take the slots in cyclic order, a
// skipped slot shows the item that waits over it.
func Schedule(slots []TimeSlot, loc *time.Location, skipped []time.Time, from time.Time, n, skip, limit int) []Slot {
	if n == 0 || limit <= 0 {
		return nil
	}
	skip = max(skip, 0)
	out := make([]Slot, 0, limit)
	i, item := 0, 0
	slotTimes(slots, loc, from, func(t time.Time) bool {
		isSkipped := slices.ContainsFunc(skipped, t.Equal)
		if i >= skip {
			out = append(out, Slot{At: t, Skipped: isSkipped, Item: item % n})
		}
		i++
		if !isSkipped {
			item++
		}
		return len(out) < limit
	})
	return out
}

// nextSlot is the first slot strictly after from that is not skipped, or
// nil when the queue has no slots.
func nextSlot(slots []TimeSlot, loc *time.Location, skipped []time.Time, from time.Time) *time.Time {
	var next *time.Time
	slotTimes(slots, loc, from, func(t time.Time) bool {
		if slices.ContainsFunc(skipped, t.Equal) {
			return true
		}
		next = &t
		return false
	})
	return next
}
