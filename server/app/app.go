// Package app assembles a running Switchboard server from its parts: the
// store, the secrets box, the domain services, the event bus, the HTTP
// router with GraphQL, health and metrics endpoints, and their lifecycle.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/graph"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/bots"
	"github.com/switchboardhq/switchboard/server/campaigns"
	"github.com/switchboardhq/switchboard/server/captions"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/comments"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/cooldown"
	"github.com/switchboardhq/switchboard/server/csvimport"
	"github.com/switchboardhq/switchboard/server/customers"
	"github.com/switchboardhq/switchboard/server/engagement"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/jobs"
	"github.com/switchboardhq/switchboard/server/keycheck"
	"github.com/switchboardhq/switchboard/server/labels"
	"github.com/switchboardhq/switchboard/server/live"
	"github.com/switchboardhq/switchboard/server/loop"
	"github.com/switchboardhq/switchboard/server/media"
	"github.com/switchboardhq/switchboard/server/metrics"
	"github.com/switchboardhq/switchboard/server/plans"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/proxies"
	"github.com/switchboardhq/switchboard/server/queues"
	"github.com/switchboardhq/switchboard/server/requestlog"
	"github.com/switchboardhq/switchboard/server/scheduler"
	"github.com/switchboardhq/switchboard/server/schedules"
	"github.com/switchboardhq/switchboard/server/secrets"
	"github.com/switchboardhq/switchboard/server/statistics"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/wallet"
)

// App is one Switchboard server process.
type App struct {
	Config config.Config
	Log    zerolog.Logger
	Store  *store.Store
	Box    *secrets.Box
	Bus    events.Bus
	Hub    *events.Hub
	// Live fans committed changes out to GraphQL subscribers, one load per
	// change per workspace.
	Live     *live.Fanout
	Auth     *auth.Service
	Accounts *accounts.Service
	// Challenges runs live account logins and their verification codes.
	Challenges *challenges.Service
	Posts      *posts.Service
	// Media is the workspaces' media libraries, which posts name by id.
	Media     *media.Service
	Schedules *schedules.Service
	Jobs      *jobs.Service
	Tasks     *tasks.Service
	Cooldown  *cooldown.Service
	Captions  *captions.Service
	// Labels owns categories and post tags.
	Labels   *labels.Service
	Requests *requestlog.Service
	// Statistics counts a workspace's accounts, posts and captions.
	Statistics *statistics.Service
	// Wallet keeps each workspace's wallet transactions and balance.
	Wallet *wallet.Service
	// Plans is the subscription plan catalog and what a user's plan allows.
	Plans *plans.Service
	// Proxies is the server's shared proxy pool.
	Proxies *proxies.Service
	Reaper  *tasks.Reaper
	Due     *tasks.DueAnnouncer
	// Expiry ends login challenges past their lifetime.
	Expiry    *loop.Sweeper
	Scheduler *scheduler.Scheduler
	// Customers owns Shillbot's customers, groups and tags.
	Customers *customers.Service
	// Campaigns owns bot campaigns and their posts (spams); Campaigner
	// turns due campaigns into posts; SpamMetrics asks workers for posted
	// spams' counters again.
	Campaigns   *campaigns.Service
	Campaigner  *loop.Sweeper
	SpamMetrics *loop.Sweeper
	// Queues owns category queues; Queuer schedules their posts.
	Queues *queues.Service
	Queuer *loop.Sweeper
	// Imports owns CSV imports of posts.
	Imports *csvimport.Service
	// Bots owns bot fleets (X accounts of Shillbot apps), their logins
	// and notifications; Fetcher asks workers for the notifications.
	Bots    *bots.Service
	Fetcher *loop.Sweeper
	Metrics *metrics.Metrics
	// Admin serves administrators' views of every workspace's users, API
	// keys and API requests.
	Admin *admin.Service
	// Comments owns comments on published posts, their likes and the
	// comments workers fetch.
	Comments *comments.Service

	handler  http.Handler
	started  bool
	ownStore bool
}

// Open connects to the database, migrates it, and builds every service. It
// starts nothing in the background; call Start.
func Open(ctx context.Context, cfg config.Config, log zerolog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	open := store.Open
	if !cfg.Create {
		open = store.OpenExisting
	}
	st, err := open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		if errors.Is(err, store.ErrNoDatabase) {
			return nil, fmt.Errorf("%w (check --data-dir/DATA_DIR or --database-url/DATABASE_URL; to create a new database, pass --create)", err)
		}
		return nil, err
	}
	a, err := New(ctx, cfg, log, st)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	a.ownStore = true
	return a, nil
}

// New builds an app on an open store, migrating it. The caller keeps
// ownership of st: Close leaves it open.
func New(ctx context.Context, cfg config.Config, log zerolog.Logger, st *store.Store) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	box, err := openBox(ctx, cfg, st)
	if err != nil {
		return nil, err
	}
	// A commit can publish one event per task it touched; the buffer
	// absorbs such bursts while each live group (server/live) drains it.
	hub := events.NewHub(4096)
	fan := live.New(hub, cfg.LiveStall, log)
	var bus events.Bus = events.NewLocalBus(hub)
	if st.URL != "" {
		bus = events.NewPostgresBus(hub, st.DB, st.URL, log)
	}
	cd := cooldown.NewService(st.Client, cooldown.Options{Driver: st.Driver})
	// Each domain package registers the task kinds it owns on ts from its
	// constructor, with the handlers that keep its state in step.
	ts := tasks.NewService(st, bus, tasks.Options{
		LeaseDuration: cfg.LeaseDuration,
		Backoff:       tasks.DoublingBackoff(cfg.RetryBackoff),
		Eligibility:   cd,
	})
	engagement.Register(ts)
	ps := posts.NewService(st.Client, bus, ts, st.Driver)
	md := media.NewService(st.Client, media.Options{
		Dir: cfg.MediaDirectory(), MaxBytes: cfg.MediaMaxBytes, PublicURL: cfg.PublicURL,
	})
	ps.UseMedia(md)
	cs := campaigns.NewService(st.Client, st.Driver, ts, bus)
	pl := plans.NewService(st.Client, st.Driver)
	as := accounts.NewService(st.Client, box, bus, ts, accounts.WithSlots(pl))
	ch := challenges.NewService(st.Client, box, bus, hub, ts, as, pl, challenges.Options{
		Wait:      cfg.LoginWait,
		Driver:    st.Driver,
		MailDelay: cmp.Or(cfg.IMAPMailDelay, -1), // 0 in the config is no delay
		Mail:      challenges.MailReader{TLS: cfg.IMAPTLS, AllowPrivate: cfg.IMAPAllowPrivate},
		// OAuth connections open for the challenges' TTL (10 minutes).
		OAuthAuthorize: cfg.OAuthAuthorize,
	})
	px := proxies.NewService(st.Client)
	bs := bots.NewService(st.Client, ts, as, ch, px, bus)
	requests := requestlog.NewService(st.Client)
	a := &App{
		Config:     cfg,
		Log:        log,
		Store:      st,
		Box:        box,
		Bus:        bus,
		Hub:        hub,
		Auth:       auth.NewService(st.Client, auth.Options{JWTSecret: box.Derive("jwt"), SessionTTL: cfg.SessionTTL, Driver: st.Driver}),
		Live:       fan,
		Accounts:   as,
		Challenges: ch,
		Posts:      ps,
		Media:      md,
		Schedules:  schedules.NewService(st.Client),
		Customers:  customers.NewService(st.Client, st.Driver),
		Campaigns:  cs,
		Bots:       bs,
		Jobs:       jobs.NewService(st.Client, bus, ts),
		Tasks:      ts,
		Cooldown:   cd,
		Captions:   captions.NewService(st.Client),
		Labels:     labels.NewService(st.Client),
		Statistics: statistics.NewService(st.Client, ts),
		Wallet:     wallet.NewService(st.Client, st.Driver),
		Plans:      pl,
		Proxies:    px,
		Requests:   requests,
		Admin:      admin.NewService(st.Client, requests),
		Comments:   comments.NewService(st.Client, st.Driver, ts),
		Metrics: metrics.New(st.DB, metrics.Live{
			Subscribers: fan.Subscribers, Stats: fan.Stats, HubQueueDepth: hub.QueueDepth,
		}),
	}
	a.Scheduler = scheduler.New(st, a.Posts, scheduler.Options{Log: log})
	a.Campaigner = campaigns.NewSweeper(cs, 0, log)
	// A published post's follow-up comment is a comment of the comments
	// service, enqueued as the publish task completes.
	a.Posts.OnFollowUp(a.Comments.FollowUpTx)
	a.SpamMetrics = campaigns.NewMetricsSweeper(cs, cfg.SpamMetricsInterval, log)
	a.Queues = queues.NewService(st.Client, st.Driver, a.Posts, nil)
	// A queue that enables future posts takes in its category's posts as
	// their publication completes.
	a.Posts.OnPublished(a.Queues.TakeInTx)
	a.Queuer = queues.NewSweeper(a.Queues, 0, log)
	a.Imports = csvimport.NewService(st.Client, st.Driver, a.Posts, bus, nil)
	a.Fetcher = bots.NewFetcher(bs, st.Driver, cfg.BotNotificationInterval, log)
	// A lost lease waits at most a quarter of a lease past its expiry
	// (and never more than the reaper's 30 s) before its task is retried.
	a.Reaper = tasks.NewReaper(a.Tasks, min(30*time.Second, cfg.LeaseDuration/4), log)
	a.Due = tasks.NewDueAnnouncer(a.Tasks, hub, 0, log)
	a.Expiry = challenges.NewSweeper(ch, 0, log)
	h, err := a.router(ctx)
	if err != nil {
		return nil, err
	}
	a.handler = h
	return a, nil
}

// GraphQL returns the GraphQL handler (also mounted at /query).
func (a *App) graphQL() http.Handler {
	return graph.NewHandler(&graph.Resolver{
		Client:            a.Store.Client,
		Auth:              a.Auth,
		Hub:               a.Hub,
		Live:              a.Live,
		Accounts:          a.Accounts,
		Challenges:        a.Challenges,
		ProxiesService:    a.Proxies,
		Captions:          a.Captions,
		Labels:            a.Labels,
		PlansService:      a.Plans,
		AdminService:      a.Admin,
		WalletService:     a.Wallet,
		StatisticsService: a.Statistics,
		Posts:             a.Posts,
		MediaService:      a.Media,
		Schedules:         a.Schedules,
		Jobs:              a.Jobs,
		Tasks:             a.Tasks,
		Cooldown:          a.Cooldown,
		BotsService:       a.Bots,
		CampaignsService:  a.Campaigns,
		CustomersService:  a.Customers,
	}, graph.Options{
		Introspection:        !a.Config.Production(),
		InitTimeout:          a.Config.WSInitTimeout,
		PingInterval:         a.Config.WSPingInterval,
		SessionCheckInterval: a.Config.WSSessionCheckInterval,
		MaxBodyBytes:         a.Config.MaxBodyBytes,
		MaxUploadBytes:       a.Config.MediaMaxBytes,
		OriginPatterns:       a.Config.AllowedOrigins,
		Logger:               a.Log,
		Observe:              a.Metrics.ObserveOperation,
	})
}

// Handler is the server's whole HTTP surface.
func (a *App) Handler() http.Handler { return a.handler }

// Start starts the background parts: the event listener on PostgreSQL, the
// post scheduler, the API key usage flush, the request log writer, the
// reaper of expired task leases and the announcer of tasks that become due
// (taskAvailable).
func (a *App) Start(ctx context.Context) error {
	if err := a.Bus.Start(ctx); err != nil {
		return fmt.Errorf("start event bus: %w", err)
	}
	if err := a.Reaper.Start(ctx); err != nil {
		a.Bus.Stop()
		return fmt.Errorf("start lease reaper: %w", err)
	}
	if err := a.Scheduler.Start(ctx); err != nil {
		a.Reaper.Stop()
		a.Bus.Stop()
		return fmt.Errorf("start post scheduler: %w", err)
	}
	_ = a.Campaigner.Start(ctx)  // cannot fail; Start has the common signature
	_ = a.Queuer.Start(ctx)      // likewise
	_ = a.Fetcher.Start(ctx)     // likewise
	_ = a.SpamMetrics.Start(ctx) // likewise
	a.Auth.Start(ctx, a.Log)
	a.Requests.Start(a.Log)
	_ = a.Due.Start(ctx)    // cannot fail; Start has the common signature
	_ = a.Expiry.Start(ctx) // likewise
	a.started = true
	return nil
}

// Close stops the background parts and closes the database. It is safe to
// call more than once.
func (a *App) Close() error {
	if a.started {
		a.Expiry.Stop()
		a.Due.Stop()
		a.Scheduler.Stop()
		a.Campaigner.Stop()
		a.Queuer.Stop()
		a.Fetcher.Stop()
		a.SpamMetrics.Stop()
		if err := a.Auth.Stop(context.Background()); err != nil {
			a.Log.Warn().Err(err).Msg("API key usage lost at shutdown")
		}
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := a.Requests.Stop(stopCtx); err != nil {
			a.Log.Warn().Err(err).Msg("request log entries lost at shutdown")
		}
		cancel()
		a.Reaper.Stop()
		a.Bus.Stop()
		a.started = false
	}
	if a.ownStore {
		a.ownStore = false
		return a.Store.Close()
	}
	return nil
}

// Serve serves HTTP on ln until ctx is cancelled, then shuts down
// gracefully, giving requests in flight up to 15 s.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		a.Log.Warn().Err(err).Float64("drain_ms", float64(time.Since(start).Microseconds())/1000).
			Msg("switchboard stopped; requests still in flight were cut off")
		return fmt.Errorf("shutdown: %w", err)
	}
	a.Log.Info().Float64("drain_ms", float64(time.Since(start).Microseconds())/1000).Msg("switchboard stopped")
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// HasUsers reports whether any user exists, so a first start can say how to
// create the first admin.
func (a *App) HasUsers(ctx context.Context) (bool, error) {
	n, err := a.Store.Client.User.Query().Count(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	return n > 0, nil
}

// openBox loads the master key and checks it against the database. A key
// file is created only for a database that holds no check value yet, and
// only when cfg.Create allows it: a database set up with a key must be
// opened with that key, never with a fresh one made beside it.
func openBox(ctx context.Context, cfg config.Config, st *store.Store) (*secrets.Box, error) {
	source := secrets.KeySource(cfg.DataDir, cfg.SecretKey)
	stored, err := keycheck.Stored(ctx, st.Client)
	if err != nil {
		return nil, err
	}
	load := secrets.ReadKey
	if stored == "" && cfg.Create {
		load = secrets.LoadKey
	}
	key, err := load(cfg.DataDir, cfg.SecretKey)
	if errors.Is(err, fs.ErrNotExist) {
		if stored != "" {
			return nil, fmt.Errorf("load secret key: this database was set up with a master key, but there is no %s; set SWITCHBOARD_SECRET_KEY or --data-dir to where that key is", source)
		}
		return nil, fmt.Errorf("load secret key: there is no %s (pass --create to make a new key)", source)
	}
	if err != nil {
		return nil, fmt.Errorf("load secret key: %w", err)
	}
	box, err := secrets.New(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	probe := func(ctx context.Context, box *secrets.Box) error { return accounts.ProbeKey(ctx, st.Client, box) }
	if err := keycheck.Verify(ctx, st.Client, box, source, probe); err != nil {
		return nil, err
	}
	return box, nil
}
