package challenges

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
)

// mailError keeps the cause for errors.Is while its text is built (and
// redacted) once. The text is shown to the user; the cause goes to logs.
type mailError struct {
	msg string
	err error
}

func (e *mailError) Error() string { return e.msg }
func (e *mailError) Unwrap() error { return e.err }

// publicReason says why talking to a user's mail server failed, in words
// that name nothing of this server's own network. Go's own texts do: a
// failed lookup quotes the DNS resolver ("lookup x on 10.0.0.2:53"), and a
// socket error the local address. What the mail server itself answered
// (an IMAP NO or BAD) is the user's to see.
func publicReason(err error) string {
	var (
		imapErr  *imap.Error
		dnsErr   *net.DNSError
		certErr  *tls.CertificateVerificationError
		alertErr tls.AlertError
		recErr   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &imapErr):
		return "the server answered: " + imapErr.Error()
	case errors.Is(err, errPrivateAddress):
		return errPrivateAddress.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		// The reader's own cause ("no answer within 15s") or the caller's.
		return err.Error()
	case errors.As(err, &dnsErr):
		switch {
		case dnsErr.IsNotFound:
			return fmt.Sprintf("the host name %q does not exist", dnsErr.Name)
		case dnsErr.IsTimeout:
			return fmt.Sprintf("looking up the host name %q timed out", dnsErr.Name)
		}
		return fmt.Sprintf("the host name %q could not be looked up", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "the server reset the connection"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "the server cannot be reached"
	case errors.As(err, &certErr):
		return "the server's TLS certificate is not trusted: " + certErr.Err.Error()
	case errors.As(err, &alertErr), errors.As(err, &recErr):
		return "the TLS handshake failed (is the port one of IMAP over TLS, usually 993?)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return "the server closed the connection"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "the server did not answer in time"
	}
	return "the connection failed"
}

// redact removes the password from text that quotes a server or library:
// a careless server may echo the LOGIN line back in its error. A short
// password is removed only where it stands alone, so that "in" does not
// turn "login" into "log[redacted]" (and, by where the marks fall, give the
// password away); a long one wherever it appears.
func redact(s, password string) string {
	if password == "" {
		return s
	}
	const anywhere = 8 // no word of an error text holds such a password by chance
	if utf8.RuneCountInString(password) >= anywhere {
		return strings.ReplaceAll(s, password, "[redacted]")
	}
	// A password that starts (ends) with a mark is not part of a word on
	// that side, whatever stands next to it.
	first, _ := utf8.DecodeRuneInString(password)
	last, _ := utf8.DecodeLastRuneInString(password)
	var b strings.Builder
	for {
		i := strings.Index(s, password)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(password)
		if (isWordRune(first) && wordRuneBefore(s[:i])) || (isWordRune(last) && wordRuneAfter(s[end:])) {
			// Inside a word: move on by one rune, since a standalone
			// occurrence may overlap this one.
			_, n := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[:i+n])
			s = s[i+n:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString("[redacted]")
		s = s[end:]
	}
}

func wordRuneBefore(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	return n > 0 && isWordRune(r)
}

func wordRuneAfter(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && isWordRune(r)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
