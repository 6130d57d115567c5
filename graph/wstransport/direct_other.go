//go:build !unix

package wstransport

import "syscall"

// tryWrite leaves every frame to the socket's writer where descriptors
// cannot be written without the runtime's poller.
func tryWrite(_ syscall.RawConn, f frame) (*frame, bool) { return &f, true }
