package wstransport

import (
	"encoding/binary"
	"net"
	"sync"
)

// The socket's writer frames messages itself and writes everything queued
// in one writev: gorilla/websocket flushes each message with a write call
// of its own, and at 10,000 subscribers those calls are most of the
// server's work. When the server falls behind, a socket's queue holds
// several results and they cost one system call instead of one each, so
// the server catches up instead of falling further behind.
//
// gorilla still does the handshake and all the reading. It writes on its
// own only to answer a protocol violation by the client (a malformed frame,
// a message over the read limit) with a close frame, which may then
// interleave with ours on a connection that is being torn down anyway.

// WebSocket opcodes (RFC 6455, section 5.2), and opRaw for the bytes a
// direct write left unwritten, already framed.
const (
	opText  = 0x1
	opClose = 0x8
	opPong  = 0xA
	opRaw   = 0xFF
)

// frame is one message waiting for the socket's writer.
type frame struct {
	op   byte
	data []byte // shared with other sockets: never written to
}

// maxHeader is the longest frame header a server sends (no mask).
const maxHeader = 10

// appendHeader appends the header of an unmasked, final frame.
func appendHeader(b []byte, op byte, n int) []byte {
	b = append(b, 0x80|op)
	switch {
	case n < 126:
		return append(b, byte(n))
	case n <= 0xFFFF:
		return binary.BigEndian.AppendUint16(append(b, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 127), uint64(n))
	}
}

// batch is the scratch space of one writev, pooled across sockets.
type batch struct {
	headers []byte
	bufs    net.Buffers
}

var batches = sync.Pool{New: func() any { return new(batch) }}

// writeFrames writes fs to c in one writev (or as few writes as the
// connection allows).
func writeFrames(c net.Conn, fs []frame) error {
	b := batches.Get().(*batch)
	defer batches.Put(b)
	if need := len(fs) * maxHeader; cap(b.headers) < need {
		b.headers = make([]byte, 0, need) // never reallocated below: the slices taken stay valid
	}
	hdr, bufs := b.headers[:0], b.bufs[:0]
	for _, f := range fs {
		if f.op == opRaw {
			bufs = append(bufs, f.data)
			continue
		}
		start := len(hdr)
		hdr = appendHeader(hdr, f.op, len(f.data))
		bufs = append(bufs, hdr[start:len(hdr):len(hdr)])
		if len(f.data) > 0 {
			bufs = append(bufs, f.data)
		}
	}
	all := bufs
	_, err := bufs.WriteTo(c) // consumes bufs, not all
	clear(all)                // the pool must not keep results alive
	b.headers, b.bufs = hdr[:0], all[:0]
	return err
}
