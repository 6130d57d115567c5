package testkit

import (
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/ent"
)

// CooldownLimits are what one cooldown rule and an account's energy budget
// allow.
type CooldownLimits struct {
	MinDelay      time.Duration
	Hourly, Daily int
	Budget        int
}

// CooldownViolations replays the actions charged to one account (in time
// order) and describes every breach of l: two actions closer than the
// minimum delay, more than Hourly in a rolling hour or Daily in a rolling
// day, more energy than Budget in a rolling day. None means the account
// stayed within its limits.
func CooldownViolations(rs []*ent.ActionRecord, l CooldownLimits) []string {
	var out []string
	for i, r := range rs {
		if i > 0 && r.At.Sub(rs[i-1].At) < l.MinDelay {
			out = append(out, fmt.Sprintf("actions at %s and %s are %s apart (min delay %s)",
				rs[i-1].At.Format(time.RFC3339Nano), r.At.Format(time.RFC3339Nano), r.At.Sub(rs[i-1].At), l.MinDelay))
		}
		inHour, inDay, energy := 0, 0, 0
		for _, p := range rs[:i+1] {
			if p.At.After(r.At.Add(-time.Hour)) {
				inHour++
			}
			if p.At.After(r.At.Add(-24 * time.Hour)) {
				inDay++
				energy += p.Energy
			}
		}
		if inHour > l.Hourly || inDay > l.Daily || energy > l.Budget {
			out = append(out, fmt.Sprintf("at %s: %d in an hour, %d in a day, %d energy (limits %d, %d, %d)",
				r.At.Format(time.RFC3339Nano), inHour, inDay, energy, l.Hourly, l.Daily, l.Budget))
		}
	}
	return out
}
