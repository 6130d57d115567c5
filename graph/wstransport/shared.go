package wstransport

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// parallelFrom is the audience below which one goroutine writes to
// every socket: a few hundred writes take less than starting helpers.
const parallelFrom = 512

// registry holds the running shared subscriptions by key: (share key,
// document, operation name, variables).
type registry struct {
	mu  sync.Mutex
	ops map[string]*sharedOp
}

// sharedOp is one execution of a subscription whose results go to every
// member. Its goroutine is the only one per distinct subscription; members
// cost a slot in a slice.
type sharedOp struct {
	t      *Transport
	key    string
	cancel context.CancelFunc
	ends   *endSlot

	mu      sync.Mutex
	members []*member
	done    bool
}

// join adds m to the running execution of key, or starts one with m's
// operation context. Lock order: registry, then op, then socket.
func (r *registry) join(t *Transport, key string, m *member, ctx context.Context, rc *graphql.OperationContext, exec graphql.GraphExecutor) {
	r.mu.Lock()
	if o := r.ops[key]; o != nil {
		o.mu.Lock()
		m.op, m.index = o, len(o.members)
		o.members = append(o.members, m)
		o.mu.Unlock()
		r.mu.Unlock()
		t.opts.Subscribers(1)
		return
	}
	// The execution outlives the socket that started it: it ends when
	// its last member leaves.
	octx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ends := &endSlot{}
	octx = context.WithValue(octx, endKey{}, ends)
	o := &sharedOp{t: t, key: key, cancel: cancel, ends: ends, members: []*member{m}}
	m.op, m.index = o, 0
	r.ops[key] = o
	r.mu.Unlock()
	go o.run(graphql.WithOperationContext(octx, rc), rc, exec)
}

// run executes the subscription and hands each result to the members.
func (o *sharedOp) run(ctx context.Context, rc *graphql.OperationContext, exec graphql.GraphExecutor) {
	var ended gqlerror.List
	defer func() {
		if r := recover(); r != nil {
			err := rc.Recover(ctx, r)
			var gerr *gqlerror.Error
			if !errors.As(err, &gerr) {
				gerr = &gqlerror.Error{Message: "internal error"}
			}
			ended = append(ended, gerr)
		}
		o.finish(ended)
	}()
	h, hctx := exec.DispatchOperation(ctx, rc)
	for {
		resp := h(hctx)
		if resp == nil {
			break
		}
		o.broadcast(resp)
	}
	ended = o.ends.take()
}

// broadcast encodes resp once (once per client operation ID, which is
// nearly always the same) and queues the bytes on every member's socket.
// A socket too far behind loses the subscription with SLOW_SUBSCRIBER.
func (o *sharedOp) broadcast(resp *graphql.Response) {
	payload := encodeResponse(resp)
	var lastID string
	var lastMsg []byte
	var others map[string][]byte
	frame := func(id string) []byte {
		if lastMsg != nil && id == lastID {
			return lastMsg
		}
		if msg, ok := others[id]; ok {
			return msg
		}
		msg := nextMessage(id, payload)
		if lastMsg == nil {
			lastID, lastMsg = id, msg
		} else {
			if others == nil {
				others = map[string][]byte{}
			}
			others[id] = msg
		}
		return msg
	}
	o.mu.Lock()
	msgs := make([][]byte, len(o.members)) // framed here: frame is not safe for concurrent use
	for i, m := range o.members {
		msgs[i] = frame(m.id)
	}
	// Sockets that keep up are written to directly by the sender, so a
	// large audience is split between as many goroutines as the server
	// has cores rather than handed to a goroutine per socket.
	var (
		wg   sync.WaitGroup
		smu  sync.Mutex
		slow []*member
		n    int
	)
	part := func(members []*member, msgs [][]byte) {
		var mySlow []*member
		for i, m := range members {
			if !m.s.send(msgs[i], false) {
				mySlow = append(mySlow, m)
			}
		}
		smu.Lock()
		n += len(members) - len(mySlow)
		slow = append(slow, mySlow...)
		smu.Unlock()
	}
	chunk := max(parallelFrom, (len(o.members)+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0))
	for lo := 0; lo < len(o.members); lo += chunk {
		hi := min(lo+chunk, len(o.members))
		if hi == len(o.members) {
			part(o.members[lo:hi], msgs[lo:hi]) // the last share in this goroutine
			break
		}
		wg.Go(func() { part(o.members[lo:hi], msgs[lo:hi]) })
	}
	wg.Wait()
	o.mu.Unlock()
	if n > 1 {
		o.t.opts.Deliveries(n - 1)
	}
	if len(slow) > 0 {
		o.t.opts.Drops(len(slow))
	}
	for _, m := range slow {
		o.leave(m)
		m.s.endedBy(m, errorMessage(m.id, gqlerror.List{o.t.opts.SlowError}))
	}
}

// leave removes m; the last member to leave stops the execution.
func (o *sharedOp) leave(m *member) {
	r := &o.t.shared
	r.mu.Lock()
	o.mu.Lock()
	if o.done || m.index < 0 || m.index >= len(o.members) || o.members[m.index] != m {
		o.mu.Unlock()
		r.mu.Unlock()
		return
	}
	last := o.members[len(o.members)-1]
	o.members[m.index], last.index = last, m.index
	o.members[len(o.members)-1] = nil
	o.members = o.members[:len(o.members)-1]
	m.index = -1
	empty := len(o.members) == 0
	if empty {
		o.done = true
		if r.ops[o.key] == o {
			delete(r.ops, o.key)
		}
	}
	o.mu.Unlock()
	r.mu.Unlock()
	if empty {
		o.cancel() // the resolver's subscription goes, and counts itself out
	} else {
		o.t.opts.Subscribers(-1)
	}
}

// finish ends the members still there when the execution ends by itself:
// with the errors the resolver left, else with complete.
func (o *sharedOp) finish(ended gqlerror.List) {
	r := &o.t.shared
	r.mu.Lock()
	o.mu.Lock()
	members := o.members
	o.members, o.done = nil, true
	if r.ops[o.key] == o {
		delete(r.ops, o.key)
	}
	o.mu.Unlock()
	r.mu.Unlock()
	o.cancel()
	if len(members) > 1 {
		o.t.opts.Subscribers(-(len(members) - 1))
	}
	for _, m := range members {
		m.index = -1
		if len(ended) > 0 {
			m.s.endedBy(m, errorMessage(m.id, ended))
		} else {
			m.s.endedBy(m, completeMessage(m.id))
		}
	}
}

type endKey struct{}

// endSlot collects the errors a shared subscription is ended with.
type endSlot struct {
	mu   sync.Mutex
	errs gqlerror.List
}

func (e *endSlot) take() gqlerror.List {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.errs
}

// EndWith records err as the reason the subscription running in ctx ends:
// when its stream closes, every member gets it in an error message instead
// of complete. It reports false when ctx is not a subscription of this
// transport.
func EndWith(ctx context.Context, err *gqlerror.Error) bool {
	e, ok := ctx.Value(endKey{}).(*endSlot)
	if !ok {
		return false
	}
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
	return true
}
