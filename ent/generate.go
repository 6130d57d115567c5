// Package ent is the generated ent client of Switchboard's data model; the
// schemas it is generated from live in ent/schema.
package ent

//go:generate go run -mod=mod entc.go
//go:generate go run -mod=mod github.com/99designs/gqlgen --config ../gqlgen.yml
