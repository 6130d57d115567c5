// Package docs holds Switchboard's documentation. It has no code: its test
// runs every shell block of README.md, in order, against a real server, so
// the README cannot drift from what the server does.
package docs
