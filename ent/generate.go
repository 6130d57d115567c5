// Package ent is the generated ent client of Switchboard's data model; the
// schemas it is generated from live in ent/schema.
package ent

// entc writes schema/ent.graphql, which gqlgen reads, so ent goes first.
// gqlgen resolves gqlgen.yml's paths from the working directory, hence the cd;
// graph/gqlgen runs gqlgen and then adjusts how the generated code marshals
// lists (see its comment).
//go:generate go run -mod=mod entc.go
//go:generate sh -c "cd .. && go run -mod=mod ./graph/gqlgen"
