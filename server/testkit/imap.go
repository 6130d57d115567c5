package testkit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"mime"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// IMAPServer is an in-process IMAP server (go-imap's memory backend) over
// TLS with a throwaway certificate. It speaks implicit TLS, like port 993,
// because that is what the mail reader dials.
type IMAPServer struct {
	Host string
	Port int

	mem  *imapmemserver.Server
	pool *x509.CertPool

	mu    sync.Mutex
	users map[string]*imapmemserver.User
}

// StartIMAP starts one on 127.0.0.1:random port; it stops with t.Cleanup.
func StartIMAP(t testing.TB) *IMAPServer {
	t.Helper()
	cert, pool := imapCertificate(t)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}

	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: imap listen: %v", err)
	}
	// imapserver only tracks a connection once its goroutine has started,
	// so a Close racing an Accept can miss one and leave it blocked on a
	// read for minutes. Tracking the raw connections here lets cleanup
	// close every one of them; the TLS listener sits on top so imapserver
	// still sees *tls.Conn and allows LOGIN.
	tracked := &trackingListener{Listener: raw, conns: map[net.Conn]struct{}{}}
	ln := tls.NewListener(tracked, tlsConfig)

	mem := imapmemserver.New()
	logger := &testLogger{t: t}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Logger:       logger,
		TLSConfig:    tlsConfig,
		InsecureAuth: false,
	})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = ln.Close() // in case Close ran before Serve registered it
		<-served
		tracked.closeAll()
		logger.stop()
	})

	addr := raw.Addr().(*net.TCPAddr)
	return &IMAPServer{
		Host:  "127.0.0.1",
		Port:  addr.Port,
		mem:   mem,
		pool:  pool,
		users: map[string]*imapmemserver.User{},
	}
}

// AddUser creates a user with an INBOX.
func (s *IMAPServer) AddUser(t testing.TB, username, password string) {
	t.Helper()
	u := imapmemserver.NewUser(username, password)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatalf("testkit: create INBOX for %s: %v", username, err)
	}
	s.mu.Lock()
	s.users[username] = u
	s.mu.Unlock()
	s.mem.AddUser(u)
}

// Deliver appends a raw RFC 5322 message to the user's mailbox folder
// (creating the folder if needed) with the given internal date. It goes
// through the memory backend directly, not APPEND, so a test can deliver
// while a client is connected without a second login.
func (s *IMAPServer) Deliver(t testing.TB, username, folder string, date time.Time, raw string) {
	t.Helper()
	s.mu.Lock()
	u := s.users[username]
	s.mu.Unlock()
	if u == nil {
		t.Fatalf("testkit: deliver to unknown IMAP user %s", username)
	}
	if err := u.Create(folder, nil); err != nil {
		var imapErr *imap.Error
		if !errors.As(err, &imapErr) || imapErr.Code != imap.ResponseCodeAlreadyExists {
			t.Fatalf("testkit: create folder %s for %s: %v", folder, username, err)
		}
	}
	// *bytes.Reader has Size, so it is an imap.LiteralReader.
	if _, err := u.Append(folder, bytes.NewReader([]byte(raw)), &imap.AppendOptions{Time: date}); err != nil {
		t.Fatalf("testkit: deliver to %s/%s: %v", username, folder, err)
	}
}

// Unseen counts the messages in the user's folder without the \Seen flag,
// so a test can check that a reader only peeked.
func (s *IMAPServer) Unseen(t testing.TB, username, folder string) int {
	t.Helper()
	s.mu.Lock()
	u := s.users[username]
	s.mu.Unlock()
	if u == nil {
		t.Fatalf("testkit: unknown IMAP user %s", username)
	}
	st, err := u.Status(folder, &imap.StatusOptions{NumUnseen: true})
	if err != nil {
		t.Fatalf("testkit: status of %s/%s: %v", username, folder, err)
	}
	return int(*st.NumUnseen)
}

// ClientTLS returns a tls.Config trusting the server's certificate.
func (s *IMAPServer) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12}
}

// InstagramCodeMail builds a simple single-part text/plain message with CRLF
// line endings, the shape of Instagram's verification mail.
func InstagramCodeMail(from, subject, body string, date time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", from)
	b.WriteString("To: owner@example.com\r\n")
	// QEncoding leaves ASCII subjects untouched.
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%d.%s@switchboard.test>\r\n", date.UnixNano(), rand.Text())
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("\r\n")
	body = strings.ReplaceAll(body, "\r\n", "\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\r\n")
	}
	return b.String()
}

// imapCertificate makes a self-signed ECDSA P-256 certificate for 127.0.0.1
// and localhost, valid for an hour (backdated a minute for clock skew), and
// a pool trusting it.
func imapCertificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testkit: imap key: %v", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatalf("testkit: imap serial: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "switchboard test IMAP"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(time.Hour),
		// Self-signed and trusted directly, like httptest's certificate.
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testkit: imap certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testkit: parse imap certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// trackingListener remembers every connection it accepted so cleanup can
// close them all.
type trackingListener struct {
	net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	return c, nil
}

func (l *trackingListener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		_ = c.Close()
	}
	clear(l.conns)
}

// testLogger sends imapserver's complaints to the test log until the test
// ends; a connection goroutine still winding down after that must not call
// t.Logf, which panics once the test is over.
type testLogger struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (l *testLogger) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Logf("imapserver: "+format, args...)
	}
}

func (l *testLogger) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}
