package challenges

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// Mailbox is the IMAP account a verification code is read from.
type Mailbox struct {
	Host     string
	Port     int // 993 when 0
	Username string
	Password string
}

// ErrNoCode: no matching mail (yet).
var ErrNoCode = errors.New("no verification code mail found")

// MailReader reads verification codes from mailboxes over IMAP with implicit TLS.
type MailReader struct {
	// TLS, when set, is the client TLS config (tests pass one trusting their CA); ServerName is filled from Host when empty.
	TLS *tls.Config
	// Timeout bounds one whole Check or FindCode (dial, login, search); default 15 s.
	Timeout time.Duration
	// AllowPrivate lets connections reach loopback, private, link-local
	// and other non-public addresses. Off, a user's imap_server cannot
	// make the server probe its own network (the address is checked as
	// the connection is made, so a DNS answer cannot switch it after the
	// check). Tests and on-premises mail servers turn it on.
	AllowPrivate bool
}

// errPrivateAddress is a mailbox address the server refuses to reach.
var errPrivateAddress = errors.New("the address is not a public one (loopback, private or link-local); this server does not connect to those")

// publicOnly is a net.Dialer Control refusing non-public destinations.
func publicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return errPrivateAddress
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() || !ip.IsGlobalUnicast() ||
		cgnat.Contains(ip) {
		return errPrivateAddress
	}
	return nil
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598),
// private in practice but not in netip's IsPrivate.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

const (
	defaultIMAPPort    = 993
	defaultMailTimeout = 15 * time.Second
	// maxMailBytes caps what is downloaded of one message. Anyone can send
	// the mailbox a huge mail with a forged instagram.com From; a code mail
	// is a few tens of kilobytes.
	maxMailBytes = 1 << 20
)

// codePattern is a standalone 6-digit number. RE2's \d and \b are ASCII-only,
// so "abc123456" and "1234567" do not match.
var codePattern = regexp.MustCompile(`\b\d{6}\b`)

// Check connects, logs in and logs out: it proves the credentials work. The error text is safe to show to the user (no password) and says what failed (connect vs login).
func (r MailReader) Check(ctx context.Context, m Mailbox) error {
	ctx, cancel := r.bound(ctx)
	defer cancel()
	s, err := r.open(ctx, m)
	if err != nil {
		return err
	}
	// A failed LOGOUT does not unprove the login, so its error is dropped.
	s.close()
	return nil
}

// FindCode looks in every selectable folder (LIST "" "*", skipping
// \Noselect) for mail from Instagram (the envelope From's domain is
// instagram.com or a subdomain, case-insensitively) whose INTERNALDATE is
// after since, and returns the 6-digit code of the newest such message: the
// first standalone 6-digit number in its subject, else in its decoded body
// text (quoted-printable, base64 and multipart are handled; an HTML-only
// mail has its markup stripped). A server-side SEARCH (SINCE, FROM
// "instagram.com") narrows the candidates, which are then filtered exactly
// here. Folders are opened with EXAMINE and bodies fetched with BODY.PEEK,
// so nothing is marked seen. ErrNoCode means no such mail (yet).
//
// INTERNALDATE has one-second resolution, so a mail counts when its date is
// not before since truncated to the second. An Instagram mail without a
// code (a login alert, say) is passed over for the newest one that has one.
// The mail server's clock is trusted; callers wanting slack pass an earlier
// since.
func (r MailReader) FindCode(ctx context.Context, m Mailbox, since time.Time) (string, error) {
	ctx, cancel := r.bound(ctx)
	defer cancel()
	s, err := r.open(ctx, m)
	if err != nil {
		return "", err
	}
	defer s.close()

	folders, err := s.c.List("", "*", nil).Collect()
	if err != nil {
		return "", s.fail(ctx, "list folders", err)
	}
	var best found
	for _, f := range folders {
		if !selectable(f) {
			continue
		}
		got, err := s.findInFolder(ctx, f.Mailbox, since, best.date)
		if err != nil {
			var imapErr *imap.Error
			if errors.As(err, &imapErr) && ctx.Err() == nil {
				// The server refused this one folder (no rights, gone
				// since LIST): the code may well be in another.
				continue
			}
			return "", s.fail(ctx, fmt.Sprintf("search folder %q", f.Mailbox), err)
		}
		if got.code != "" && (best.code == "" || got.date.After(best.date)) {
			best = got
		}
	}
	if best.code == "" {
		return "", ErrNoCode
	}
	return best.code, nil
}

// found is the newest code seen so far and its mail's INTERNALDATE.
type found struct {
	code string
	date time.Time
}

// bound applies the reader's timeout to ctx. The cause says which limit
// ended the call, because a caller's cancellation and our timeout read the
// same otherwise.
func (r MailReader) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	d := r.Timeout
	if d <= 0 {
		d = defaultMailTimeout
	}
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("no answer within %s: %w", d, context.DeadlineExceeded))
}

// session is one logged-in connection.
type session struct {
	c        *imapclient.Client
	password string
	stop     func() bool
}

// open dials m with implicit TLS and logs in. The connection is closed as
// soon as ctx ends: imapclient sets its own socket deadlines on every
// command, so closing is the only way to interrupt it.
func (r MailReader) open(ctx context.Context, m Mailbox) (*session, error) {
	port := m.Port
	if port == 0 {
		port = defaultIMAPPort
	}
	addr := net.JoinHostPort(m.Host, strconv.Itoa(port))
	if m.Host == "" {
		return nil, errors.New("connect to IMAP server: no host given")
	}
	connectErr := func(err error) error {
		if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		return &mailError{msg: redact(fmt.Sprintf("connect to IMAP server %s: %s", addr, publicReason(err)), m.Password), err: err}
	}

	var d net.Dialer
	if !r.AllowPrivate {
		d.Control = publicOnly
	}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, connectErr(err)
	}
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })

	cfg := &tls.Config{}
	if r.TLS != nil {
		cfg = r.TLS.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = m.Host
	}
	if cfg.NextProtos == nil {
		cfg.NextProtos = []string{"imap"}
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		stop()
		_ = raw.Close()
		return nil, connectErr(err)
	}

	c := imapclient.New(conn, nil)
	s := &session{c: c, password: m.Password, stop: stop}
	if err := c.WaitGreeting(); err != nil {
		s.abort()
		return nil, connectErr(err)
	}
	if err := c.Login(m.Username, m.Password).Wait(); err != nil {
		s.abort()
		if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		return nil, &mailError{msg: redact(fmt.Sprintf("IMAP login as %s at %s failed: %s", m.Username, addr, publicReason(err)), m.Password), err: err}
	}
	return s, nil
}

// fail wraps err from step, preferring the reason ctx ended when it did:
// that is what actually broke the connection.
func (s *session) fail(ctx context.Context, step string, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		err = cause
	}
	return &mailError{msg: redact(fmt.Sprintf("IMAP %s: %s", step, publicReason(err)), s.password), err: err}
}

// close logs out politely and closes the connection.
func (s *session) close() {
	_ = s.c.Logout().Wait()
	s.abort()
}

// abort closes the connection without a LOGOUT.
func (s *session) abort() {
	s.stop()
	_ = s.c.Close()
}

// findInFolder returns the newest code in folder from a mail at or after
// since that is newer than newerThan (so folders searched later do not
// download bodies that could not win).
func (s *session) findInFolder(ctx context.Context, folder string, since, newerThan time.Time) (found, error) {
	if _, err := s.c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return found{}, err
	}
	// SINCE compares dates in the server's time zone, which may be behind
	// ours: asking from the day before cannot lose a mail, and the exact
	// filter below drops the extra ones.
	criteria := &imap.SearchCriteria{
		Since:  since.AddDate(0, 0, -1),
		Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "instagram.com"}},
	}
	res, err := s.c.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return found{}, err
	}
	uids := res.AllUIDs()
	if len(uids) == 0 {
		return found{}, nil
	}
	msgs, err := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
		UID: true, Envelope: true, InternalDate: true,
	}).Collect()
	if err != nil {
		return found{}, err
	}

	cutoff := since.Truncate(time.Second)
	var candidates []*imapclient.FetchMessageBuffer
	for _, msg := range msgs {
		if msg.Envelope == nil || !fromInstagram(msg.Envelope.From) {
			continue
		}
		if msg.InternalDate.Before(cutoff) || !msg.InternalDate.After(newerThan) {
			continue
		}
		candidates = append(candidates, msg)
	}
	sort.Slice(candidates, func(i, j int) bool {
		if !candidates[i].InternalDate.Equal(candidates[j].InternalDate) {
			return candidates[i].InternalDate.After(candidates[j].InternalDate)
		}
		return candidates[i].UID > candidates[j].UID
	})

	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: maxMailBytes}}
	for _, msg := range candidates {
		if code := codePattern.FindString(msg.Envelope.Subject); code != "" {
			return found{code: code, date: msg.InternalDate}, nil
		}
		bodies, err := s.c.Fetch(imap.UIDSetNum(msg.UID), &imap.FetchOptions{
			UID: true, BodySection: []*imap.FetchItemBodySection{section},
		}).Collect()
		if err != nil {
			return found{}, err
		}
		if len(bodies) == 0 {
			continue // expunged meanwhile
		}
		if code := codePattern.FindString(mailText(bodies[0].FindBodySection(section))); code != "" {
			return found{code: code, date: msg.InternalDate}, nil
		}
		if ctx.Err() != nil {
			return found{}, context.Cause(ctx)
		}
	}
	return found{}, nil
}

// selectable reports whether a LISTed folder can be examined.
func selectable(f *imap.ListData) bool {
	for _, a := range f.Attrs {
		if strings.EqualFold(string(a), string(imap.MailboxAttrNoSelect)) ||
			strings.EqualFold(string(a), string(imap.MailboxAttrNonExistent)) {
			return false
		}
	}
	return true
}

// fromInstagram reports whether every address in From is at instagram.com
// or one of its subdomains. A lookalike such as instagram.com.evil.example
// is not; whether the From is forged is the mail provider's DMARC check,
// not ours.
func fromInstagram(from []imap.Address) bool {
	n := 0
	for _, a := range from {
		if a.IsGroupStart() || a.IsGroupEnd() {
			continue
		}
		host := strings.TrimSuffix(strings.ToLower(a.Host), ".")
		if host != "instagram.com" && !strings.HasSuffix(host, ".instagram.com") {
			return false
		}
		n++
	}
	return n > 0
}

// mailText returns the readable text of a raw message: its text/plain parts
// decoded, or, when it has none, its text/html parts with the markup
// crudely removed. Unknown charsets are read as they are: the digits of a
// code are ASCII in every charset a mail is likely to use, and importing
// go-message/charset would set a process-wide hook.
func mailText(raw []byte) string {
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		return ""
	}
	defer func() { _ = mr.Close() }()
	var plain, htm strings.Builder
	for {
		p, err := mr.NextPart()
		if err != nil && !message.IsUnknownCharset(err) {
			// io.EOF, or a truncated or malformed part: keep what was read.
			break
		}
		h, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			continue
		}
		t, _, _ := h.ContentType()
		body, _ := io.ReadAll(io.LimitReader(p.Body, maxMailBytes))
		switch {
		case t == "text/html":
			htm.Write(body)
			htm.WriteString("\n")
		case t == "text/plain" || t == "":
			plain.Write(body)
			plain.WriteString("\n")
		}
	}
	if plain.Len() > 0 {
		return plain.String()
	}
	return stripHTML(htm.String())
}

var (
	// Style and script contents go first: CSS colours such as #262626 are
	// standalone 6-digit numbers.
	htmlBlocks = regexp.MustCompile(`(?is)<(style|script|head)\b.*?</(style|script|head)\s*>|<!--.*?-->`)
	htmlTags   = regexp.MustCompile(`(?s)<[^>]*>`)
)

func stripHTML(s string) string {
	s = htmlBlocks.ReplaceAllString(s, " ")
	s = htmlTags.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}
