// Package graph is Switchboard's GraphQL face: gqlgen resolvers (one
// expression each where possible, calling the domain services) and the HTTP
// handler that serves them over POST, GET, SSE and WebSocket.
package graph

import (
	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/jobs"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/schedules"
)

// Resolver holds what the resolvers call. Reads go straight to the ent
// client (the privacy layer scopes them to the viewer's workspace); writes go
// through the domain services.
type Resolver struct {
	Client    *ent.Client
	Auth      *auth.Service
	Hub       *events.Hub
	Accounts  *accounts.Service
	Posts     *posts.Service
	Schedules *schedules.Service
	Jobs      *jobs.Service
}
