// Package graph is Switchboard's GraphQL face: gqlgen resolvers (one
// expression each where possible, calling the domain services) and the HTTP
// handler that serves them over POST, GET, SSE and WebSocket.
package graph

import (
	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/admin"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/bots"
	"github.com/switchboardhq/switchboard/server/campaigns"
	"github.com/switchboardhq/switchboard/server/captions"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/cooldown"
	"github.com/switchboardhq/switchboard/server/customers"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/jobs"
	"github.com/switchboardhq/switchboard/server/labels"
	"github.com/switchboardhq/switchboard/server/live"
	"github.com/switchboardhq/switchboard/server/media"
	"github.com/switchboardhq/switchboard/server/plans"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/proxies"
	"github.com/switchboardhq/switchboard/server/schedules"
	"github.com/switchboardhq/switchboard/server/statistics"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/wallet"
)

// Resolver holds what the resolvers call. Reads go straight to the ent
// client (the privacy layer scopes them to the viewer's workspace); writes go
// through the domain services.
type Resolver struct {
	Client *ent.Client
	Auth   *auth.Service
	Hub    *events.Hub
	// Live shares each change's load among the subscribers of its
	// workspace; NewHandler builds the feeds on it.
	Live     *live.Fanout
	feeds    *feeds
	Accounts *accounts.Service
	// ProxiesService is the shared proxy pool (named so as not to clash
	// with the proxies query's resolver method).
	ProxiesService *proxies.Service
	// Challenges runs live logins (loginAccount, submitChallenge).
	Challenges *challenges.Service
	Captions   *captions.Service
	// Labels owns categories and post tags.
	Labels *labels.Service
	// PlansService says what the viewer's package allows (named so as not
	// to clash with the plans query's resolver method).
	PlansService *plans.Service
	// AdminService serves the admin-only queries.
	AdminService *admin.Service
	// WalletService is named so as not to clash with a wallet query.
	WalletService *wallet.Service
	// StatisticsService is named so as not to clash with the statistics
	// query's resolver method.
	StatisticsService *statistics.Service
	Posts             *posts.Service
	// MediaService is the media library (named so as not to clash with
	// the media query's resolver method).
	MediaService *media.Service
	Schedules    *schedules.Service
	Jobs         *jobs.Service
	Tasks        *tasks.Service
	Cooldown     *cooldown.Service
	// BotsService, CampaignsService and CustomersService serve bot
	// fleets (Shillbot); named so as not to clash with query fields.
	BotsService      *bots.Service
	CampaignsService *campaigns.Service
	CustomersService *customers.Service
}
