//go:build unix

package wstransport

import (
	"sync"
	"syscall"
)

// directLimit is the largest message written directly (tryWrite); larger
// ones go to the socket's writer rather than be copied.
const directLimit = 16 << 10

var directBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// tryWrite writes f to the socket's file descriptor without waiting: a
// socket whose kernel buffer has room takes it at once, in the caller's
// goroutine, so delivering to 10,000 sockets that keep up costs 10,000
// system calls and no goroutine each (a goroutine per write also queued
// the server's other work — a mutation, the next load — behind thousands
// of them). It returns what the socket did not take (nil: everything; f:
// nothing) and false when the connection failed.
func tryWrite(rc syscall.RawConn, f frame) (rest *frame, ok bool) {
	if len(f.data) > directLimit {
		return &f, true
	}
	bp := directBufs.Get().(*[]byte)
	defer directBufs.Put(bp)
	b := (*bp)[:0]
	if f.op == opRaw {
		b = append(b, f.data...)
	} else {
		b = append(appendHeader(b, f.op, len(f.data)), f.data...)
	}
	*bp = b[:0]
	var n int
	var err error
	if cerr := rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			var m int
			m, err = syscall.Write(int(fd), b[n:])
			if err == syscall.EINTR {
				continue
			}
			if err != nil || m <= 0 {
				break
			}
			n += m
		}
		return true // never wait for the poller: the writer does that
	}); cerr != nil {
		return nil, false
	}
	switch {
	case n == len(b):
		return nil, true
	case err != nil && err != syscall.EAGAIN:
		return nil, false
	case n == 0:
		return &f, true
	}
	return &frame{op: opRaw, data: append([]byte(nil), b[n:]...)}, true
}
