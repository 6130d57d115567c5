package challenges

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/loop"
	"github.com/switchboardhq/switchboard/server/store"
)

// ExpireDue expires every open login or challenge, of any workspace, past
// its lifetime: a dashboard following challengeUpdated sees it end, and a
// login task no worker took is withdrawn. An OAuth connection whose code
// is still with a worker (SUBMITTED) expires too, and its OAUTH_EXCHANGE
// task is cancelled in the same transaction, leased or not: a code past
// its lifetime is stale, and the cancellation ends the lease, so the
// worker's later report is refused (lease not held) and settles nothing.
// It returns how many it expired. Replicas may run it at once: each
// expiry is a conditional update, and the hook ignores a challenge
// already expired.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	var n int
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) (err error) {
		n, err = s.expireWhere(ctx, tx, "expired",
			loginchallenge.Or(
				loginchallenge.StateIn(loginchallenge.StatePENDING, loginchallenge.StateCODE_REQUESTED),
				loginchallenge.And(loginchallenge.MethodEQ(loginchallenge.MethodOAUTH),
					loginchallenge.StateEQ(loginchallenge.StateSUBMITTED))),
			loginchallenge.ExpiresAtLTE(s.now()))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire challenges: %w", err)
	}
	return n, nil
}

// NewSweeper returns a sweeper running ExpireDue every interval (default
// 30 s).
func NewSweeper(svc *Service, every time.Duration, log zerolog.Logger) *loop.Sweeper {
	if every <= 0 {
		every = 30 * time.Second
	}
	return loop.NewSweeper(every, log, svc.ExpireDue, "expire login challenges", "expired login challenges", "challenges")
}
