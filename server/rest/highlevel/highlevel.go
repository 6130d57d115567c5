// Package highlevel serves HighLevel's Social Planner API
// (docs: ../shared/apis/highlevel-social-planner.txt) at
// /social-media-posting, so the official SDK (@gohighlevel/api-client) and
// existing integrations work against Switchboard unchanged.
//
// HighLevel's locationId is a Workspace's UUID, and every entity HighLevel
// names by a 24-hex ObjectId (posts, accounts, users, categories, tags)
// shows its object_id (schema.ObjectIDMixin). The package is a translation
// table (decisions in docs/compat.md): routes.go lists every route with its
// scope and its OpenAPI description, conventions.go holds what all routes
// share (authentication, the Version header, scopes, the location),
// wire.go the document's shapes, errors.go its envelope and status codes,
// and one file per area holds handlers that parse, call one domain service
// and render.
package highlevel

import (
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/comments"
	"github.com/switchboardhq/switchboard/server/csvimport"
	"github.com/switchboardhq/switchboard/server/labels"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/queues"
	"github.com/switchboardhq/switchboard/server/statistics"
	"github.com/switchboardhq/switchboard/server/store"
)

// Mount is where the router is mounted: the document's paths all start
// with it.
const Mount = "/social-media-posting"

// Deps are the services the routes call.
type Deps struct {
	// Client reads through the privacy layer (the caller's workspace only).
	Client   *ent.Client
	Labels   *labels.Service
	Accounts *accounts.Service
	Posts    *posts.Service
	// Driver builds the few expressions that differ between databases
	// (posts/list's postType reads the post's details).
	Driver store.Driver
	// Challenges runs OAuth connections; Comments and Statistics serve
	// the comment and statistics routes.
	Challenges *challenges.Service
	Comments   *comments.Service
	Statistics *statistics.Service
	// Queues serves the category queue routes.
	Queues *queues.Service
	// Imports serves the CSV import routes.
	Imports *csvimport.Service
	// PublicURL is the server's address as browsers reach it, for the
	// OAuth redirect_uri; empty: the request's.
	PublicURL string
	// Log receives internal errors (never request bodies or credentials).
	Log zerolog.Logger
}
