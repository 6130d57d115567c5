package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboardhq/switchboard/graph/generated"
	"github.com/switchboardhq/switchboard/graph/wstransport"
	"github.com/switchboardhq/switchboard/server/accesslog"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/live"
	"github.com/switchboardhq/switchboard/server/origins"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// Options tune the GraphQL handler.
type Options struct {
	// Introspection enables __schema and __type (off in production).
	Introspection bool
	// ComplexityLimit caps the cost of one operation; see complexity.go.
	ComplexityLimit int
	// MaxDepth caps the nesting of selections.
	MaxDepth int
	// IntrospectionMaxDepth caps the nesting of operations that select only
	// __schema, __type and __typename; it is never below MaxDepth.
	IntrospectionMaxDepth int
	// MaxBodyBytes caps a request body.
	MaxBodyBytes int64
	// MaxUploadBytes caps the files of a multipart request (uploadMedia);
	// the request may carry MaxBodyBytes more of operations and framing.
	// Zero refuses multipart requests.
	MaxUploadBytes int64
	// InitTimeout closes a WebSocket that sends no connection_init in time.
	InitTimeout time.Duration
	// PingInterval is how often graphql-transport-ws sockets are pinged.
	PingInterval time.Duration
	// SessionCheckInterval is how often an open WebSocket checks that the
	// credential it was opened with is still valid; a socket whose session
	// ended (logout, password change, expiry) or whose key was revoked is
	// closed within it.
	SessionCheckInterval time.Duration
	// OriginPatterns lists extra origins allowed to open WebSockets; the
	// server's own origin is always allowed.
	OriginPatterns []string
	// Logger receives internal errors (with the request ID) and panics.
	Logger zerolog.Logger
	// Observe, if set, is told about every operation (for metrics):
	// authenticated is whether the caller had valid credentials.
	Observe func(operation, opType string, authenticated, failed bool, d time.Duration)
}

func (o *Options) defaults() {
	if o.ComplexityLimit == 0 {
		o.ComplexityLimit = 5000
	}
	if o.MaxDepth == 0 {
		o.MaxDepth = 12
	}
	if o.IntrospectionMaxDepth == 0 {
		// graphql-js's getIntrospectionQuery() is 15 deep; leave room for
		// tools that ask a few more levels of ofType.
		o.IntrospectionMaxDepth = 20
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.InitTimeout == 0 {
		o.InitTimeout = 10 * time.Second
	}
	if o.PingInterval == 0 {
		o.PingInterval = 15 * time.Second
	}
	if o.SessionCheckInterval == 0 {
		o.SessionCheckInterval = 30 * time.Second
	}
}

// NewHandler builds the GraphQL endpoint: transports, auth, limits, error
// presentation. It expects auth.Service.Middleware to have run before it.
func NewHandler(r *Resolver, opts Options) http.Handler {
	opts.defaults()
	if r.Live == nil {
		r.Live = live.New(r.Hub, 0, opts.Logger)
	}
	r.feeds = newFeeds(r.Live, r.Client)
	cfg := generated.Config{Resolvers: r}
	setComplexity(&cfg.Complexity)
	srv := handler.New(generated.NewExecutableSchema(cfg))

	// Order matters: ours takes graphql-transport-ws sockets before gqlgen's
	// WebSocket transport, which keeps the legacy graphql-ws; SSE must come
	// before POST, which ignores Accept.
	policy, _ := origins.New(opts.OriginPatterns) // checked by the config
	initFn := wsInit(r.Auth)
	srv.AddTransport(wstransport.New(wstransport.Options{
		Init: func(ctx context.Context, p map[string]any) (context.Context, error) {
			ctx, _, err := initFn(ctx, p)
			return ctx, err
		},
		ShareKey:        shareKey,
		CheckOrigin:     policy.Allowed,
		InitTimeout:     opts.InitTimeout,
		PingInterval:    opts.PingInterval,
		Recheck:         r.Auth.StillValid,
		RecheckInterval: opts.SessionCheckInterval,
		Stall:           r.Live.Stall(),
		Subscribers:     r.Live.AddSubscribers,
		Deliveries:      r.Live.AddDeliveries,
		Drops:           r.Live.AddDrops,
		SlowError:       slowError(),
	}))
	srv.AddTransport(transport.Websocket{
		Implementation: initTimeoutCode{transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{
			Subprotocols:   []string{"graphql-transport-ws", "graphql-ws"},
			OriginPatterns: opts.OriginPatterns,
		}}},
		InitFunc:              legacyRecheck(initFn, r.Auth.StillValid, opts.SessionCheckInterval),
		CloseFunc:             stopLegacyRecheck,
		InitTimeout:           opts.InitTimeout,
		KeepAlivePingInterval: 15 * time.Second, // graphql-ws "ka" messages
		// graphql-transport-ws has no "ka"; ping so that proxies do not cut
		// quiet subscriptions, without closing on clients that never pong.
		PingPongInterval: 25 * time.Second,
		MissingPongOk:    true,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.SSE{})
	if opts.MaxUploadBytes > 0 {
		// Files up to a megabyte are read into memory, larger ones go to
		// temporary files: a few concurrent uploads cannot exhaust memory
		// (limitBody has bounded the request's length).
		srv.AddTransport(transport.MultipartForm{MaxUploadSize: multipartMax(opts), MaxMemory: 1 << 20})
	}
	srv.AddTransport(postJSON{})

	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	// Parsed and validated documents are kept: without a cache every request
	// paid gqlparser's parse and all its validation rules again.
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(extension.FixedComplexityLimit(opts.ComplexityLimit))
	srv.Use(depthLimit{max: opts.MaxDepth, introspectionMax: opts.IntrospectionMaxDepth})
	// No field interceptor (AroundFields, a FieldInterceptor extension):
	// plain field reads take a fast path that skips field middleware
	// (graph/lists.Object).
	srv.AroundOperations(authorize)
	if opts.Observe != nil {
		srv.AroundResponses(observe(opts.Observe))
	}
	srv.SetErrorPresenter(presenter(opts.Logger))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		opts.Logger.Error().Str("request_id", requestID(ctx)).Interface("panic", v).Msg("graphql resolver panicked")
		return errInternal
	})
	return limitBody(opts.MaxBodyBytes, multipartMax(opts), srv)
}

// multipartMax is the longest multipart request: the files and the
// operations beside them.
func multipartMax(o Options) int64 {
	if o.MaxUploadBytes <= 0 {
		return 0
	}
	return o.MaxUploadBytes + o.MaxBodyBytes
}

// limitBody caps request bodies and refuses batched (array) requests, which
// would multiply the per-operation limits. A multipart request (an upload)
// may be up to multipart bytes long and is streamed, not buffered: it must
// declare its length, since gqlgen's transport reads a request of unknown
// length into memory whatever its size.
func limitBody(max, multipart int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" && multipart > 0 {
			switch {
			case r.ContentLength < 0:
				writeError(w, http.StatusLengthRequired, "a multipart request must declare its Content-Length")
			case r.ContentLength > multipart:
				writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
			default:
				r.Body = http.MaxBytesReader(w, r.Body, multipart)
				next.ServeHTTP(w, r)
			}
			return
		}
		if r.ContentLength > max {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
				return
			}
			writeError(w, http.StatusBadRequest, "could not read request body")
			return
		}
		if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] == '[' {
			writeError(w, http.StatusBadRequest, "batched requests are not supported")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"errors":[{"message":%q,"extensions":{"code":"BAD_REQUEST"}}],"data":null}`, msg)
}

// wsInit authenticates a socket from its connection_init payload, or from
// the upgrade request's headers (already checked by auth.Middleware). A
// socket without valid credentials is closed with 4403.
func wsInit(svc *auth.Service) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		if cred := initCredential(p); cred != "" {
			v, err := svc.Authenticate(ctx, cred)
			if err != nil {
				return refuse(ctx, "invalid credentials")
			}
			return auth.WithCredential(viewer.NewContext(ctx, v), cred), nil, nil
		}
		if v := viewer.FromContext(ctx); v != nil {
			return ctx, nil, nil
		}
		return refuse(ctx, "authentication required")
	}
}

// legacyRecheck wraps init for gqlgen's graphql-ws transport, which has no
// timer of its own: the socket's context is cancelled when check says its
// credential is no longer valid, and gqlgen then closes the socket (1000,
// "terminated": the legacy protocol has no code for it, and a close reason
// put in the context would be sent on every close, not only this one).
func legacyRecheck(init transport.WebsocketInitFunc, check func(context.Context) error, every time.Duration) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		ctx, ack, err := init(ctx, p)
		if err != nil {
			return ctx, ack, err
		}
		ctx, cancel := context.WithCancel(ctx)
		var t *time.Timer
		var mu sync.Mutex // t is set after AfterFunc returns
		tick := func() {
			if ctx.Err() != nil {
				return
			}
			if check(ctx) != nil {
				cancel()
				return
			}
			mu.Lock()
			t.Reset(every)
			mu.Unlock()
		}
		mu.Lock()
		t = time.AfterFunc(time.Duration(rand.Int64N(int64(every)))+1, tick)
		mu.Unlock()
		return context.WithValue(ctx, legacyStopKey{}, func() { t.Stop(); cancel() }), ack, nil
	}
}

type legacyStopKey struct{}

// stopLegacyRecheck stops legacyRecheck's timer when gqlgen closes the
// socket.
func stopLegacyRecheck(ctx context.Context, _ int) {
	if stop, ok := ctx.Value(legacyStopKey{}).(func()); ok {
		stop()
	}
}

func refuse(ctx context.Context, msg string) (context.Context, *transport.InitPayload, error) {
	ctx = transport.WithWebsocketCloseCode(ctx, 4403)
	ctx = transport.AppendCloseReason(ctx, "Forbidden")
	return ctx, nil, errors.New(msg)
}

// initCredential finds a token in a connection_init payload. Clients put it
// under "Authorization" (as in HTTP), some lower-case it, and worker
// libraries send the API key header name.
func initCredential(p transport.InitPayload) string {
	for k, v := range p {
		s, ok := v.(string)
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "authorization":
			if len(s) > 7 && strings.EqualFold(s[:7], "bearer ") {
				return strings.TrimSpace(s[7:])
			}
			return strings.TrimSpace(s)
		case "x-api-key", "apikey", "token", "authtoken":
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// shareKey is who may share a subscription's results with the caller: the
// same user through the same credential kind, in the same workspace, with
// the same role and scope, so no result computed under one viewer's rights
// reaches another viewer.
func shareKey(ctx context.Context) string {
	v := viewer.FromContext(ctx)
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%d/%d/%s/%d/%s/%s", v.WorkspaceID, v.UserID, v.Role, v.APIKeyID, v.Scope, v.Username)
}

// publicFields may be used without credentials.
var publicFields = map[string]bool{"login": true, "__schema": true, "__type": true, "__typename": true}

// workerMutations are the only mutations a worker-scoped key may run: the
// worker protocol.
var workerMutations = map[string]bool{
	"claimTasks": true, "startTask": true, "heartbeatTask": true, "completeTask": true, "failTask": true,
	"reportTasks": true,
}

// authorize refuses operations from unauthenticated callers (except login
// and introspection) and mutations other than the worker protocol from
// worker-scoped keys.
func authorize(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	v := viewer.FromContext(ctx)
	if v == nil && !onlyPublic(oc) {
		err := auth.ErrorFromContext(ctx)
		if err == nil {
			err = errUnauthenticated
		}
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{present(ctx, err, zerolog.Nop())}})
	}
	if v != nil && v.IsWorker() && oc.Operation != nil && oc.Operation.Operation == ast.Mutation && !onlyFields(oc, workerMutations) {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    "worker keys may only use the worker protocol",
			Extensions: map[string]any{"code": "FORBIDDEN"},
		}}})
	}
	return next(ctx)
}

func onlyPublic(oc *graphql.OperationContext) bool { return onlyFields(oc, publicFields) }

// onlyFields reports whether every top-level field of the operation is in
// allowed.
func onlyFields(oc *graphql.OperationContext, allowed map[string]bool) bool {
	if oc == nil || oc.Operation == nil {
		return false
	}
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, nil) {
		if !allowed[f.Name] {
			return false
		}
	}
	return true
}

// observe tells fn about each operation and names it in the request's
// access log line.
func observe(fn func(string, string, bool, bool, time.Duration)) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		start := time.Now()
		resp := next(ctx)
		if !graphql.HasOperationContext(ctx) {
			return resp
		}
		oc := graphql.GetOperationContext(ctx)
		name, typ := oc.OperationName, "unknown"
		if oc.Operation != nil {
			typ = string(oc.Operation.Operation)
			if name == "" {
				name = oc.Operation.Name
			}
		}
		accesslog.SetOperation(ctx, name)
		fn(name, typ, viewer.FromContext(ctx) != nil, resp != nil && len(resp.Errors) > 0, time.Since(start))
		return resp
	}
}

// initTimeoutCode closes a socket whose connection_init did not come in time
// with 4408, as graphql-transport-ws specifies; gqlgen's transport closes
// with 1002 (protocol error) whatever the subprotocol, so the close is
// translated where it is written.
type initTimeoutCode struct {
	transport.WebsocketImplementation
}

func (i initTimeoutCode) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := i.WebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	return initTimeoutConn{c}, nil
}

type initTimeoutConn struct {
	transport.WebsocketConn
}

// gqlgen's message for an init timeout (transport/websocket.go).
const gqlgenInitTimeout = "connection initialisation timeout"

func (c initTimeoutConn) WriteClose(code int, msg string) error {
	if code == transport.WebsocketCloseProtocolError && msg == gqlgenInitTimeout {
		code, msg = 4408, "Connection initialisation timeout"
	}
	return c.WebsocketConn.WriteClose(code, msg)
}

// The optional interfaces of the wrapped connection, which the transport
// finds by type assertion: without them the read limit and pong deadline
// would silently stop applying.
func (c initTimeoutConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c initTimeoutConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
