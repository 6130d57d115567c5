package challenges_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/challenges"
	"github.com/switchboardhq/switchboard/server/testkit"
)

const (
	mailUser     = "owner@example.com"
	mailPassword = "correct horse battery staple"
)

// mailFixture is a test IMAP server with one user, and a reader trusting it.
type mailFixture struct {
	srv    *testkit.IMAPServer
	reader challenges.MailReader
	box    challenges.Mailbox
	// challengeAt is when the login asked for the code.
	challengeAt time.Time
}

func newMailFixture(t *testing.T) *mailFixture {
	t.Helper()
	srv := testkit.StartIMAP(t)
	srv.AddUser(t, mailUser, mailPassword)
	return &mailFixture{
		srv:         srv,
		reader:      challenges.MailReader{TLS: srv.ClientTLS(), Timeout: 5 * time.Second, AllowPrivate: true},
		box:         challenges.Mailbox{Host: srv.Host, Port: srv.Port, Username: mailUser, Password: mailPassword},
		challengeAt: time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second),
	}
}

func (f *mailFixture) deliver(t *testing.T, folder string, date time.Time, raw string) {
	t.Helper()
	f.srv.Deliver(t, mailUser, folder, date, raw)
}

func (f *mailFixture) findCode(t *testing.T) (string, error) {
	t.Helper()
	return f.reader.FindCode(t.Context(), f.box, f.challengeAt)
}

func (f *mailFixture) wantCode(t *testing.T, want string) {
	t.Helper()
	got, err := f.findCode(t)
	if err != nil {
		t.Fatalf("FindCode: %v", err)
	}
	if got != want {
		t.Fatalf("FindCode = %q, want %q", got, want)
	}
}

func (f *mailFixture) wantNoCode(t *testing.T) {
	t.Helper()
	got, err := f.findCode(t)
	if !errors.Is(err, challenges.ErrNoCode) {
		t.Fatalf("FindCode = %q, %v; want ErrNoCode", got, err)
	}
}

const instagram = "Instagram <security@mail.instagram.com>"

// rawMail builds a single-part mail with the given transfer encoding and an
// already-encoded body.
func rawMail(from, subject, contentType, encoding, body string, date time.Time) string {
	lines := []string{
		"From: " + from,
		"To: " + mailUser,
		"Subject: " + subject,
		"Date: " + date.Format(time.RFC1123Z),
		"Message-ID: <" + date.Format("20060102150405") + "@mail.instagram.com>",
		"MIME-Version: 1.0",
		"Content-Type: " + contentType,
	}
	if encoding != "" {
		lines = append(lines, "Content-Transfer-Encoding: "+encoding)
	}
	return strings.Join(lines, "\r\n") + "\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n")
}

func TestCheckAcceptsTheRightCredentials(t *testing.T) {
	f := newMailFixture(t)
	if err := f.reader.Check(t.Context(), f.box); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func TestCheckReportsAWrongPasswordAsALoginFailure(t *testing.T) {
	f := newMailFixture(t)
	box := f.box
	box.Password = "wrong password 1234"
	err := f.reader.Check(t.Context(), box)
	if err == nil {
		t.Fatal("Check with a wrong password succeeded")
	}
	t.Logf("error shown to the user: %v", err)
	if !strings.Contains(err.Error(), "login") {
		t.Errorf("error %q does not say the login failed", err)
	}
	if strings.Contains(err.Error(), box.Password) {
		t.Errorf("error %q contains the password", err)
	}
}

func TestCheckReportsAClosedPortAsAConnectFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()

	f := newMailFixture(t)
	box := f.box
	box.Port = port
	err = f.reader.Check(t.Context(), box)
	if err == nil {
		t.Fatal("Check against a closed port succeeded")
	}
	t.Logf("error shown to the user: %v", err)
	if !strings.Contains(err.Error(), "connect") {
		t.Errorf("error %q does not say the connection failed", err)
	}
	if strings.Contains(err.Error(), mailPassword) {
		t.Errorf("error %q contains the password", err)
	}
}

func TestCheckRejectsAnUntrustedCertificate(t *testing.T) {
	f := newMailFixture(t)
	r := challenges.MailReader{Timeout: 5 * time.Second, AllowPrivate: true} // system roots only
	err := r.Check(t.Context(), f.box)
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("Check with an untrusted certificate = %v, want a connect error", err)
	}
}

// silentPort returns a port that accepts one connection and never says a
// word, so only a deadline can end a client's wait.
func silentPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		for c := range accepted {
			_ = c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

func TestCheckGivesUpAfterItsTimeout(t *testing.T) {
	f := newMailFixture(t)
	box := f.box
	box.Port = silentPort(t)
	r := f.reader
	r.Timeout = 200 * time.Millisecond
	start := time.Now()
	err := r.Check(t.Context(), box)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Fatalf("Check = %v, want the reader's timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Check took %s with a 200ms timeout", d)
	}
}

func TestCheckGivesUpWhenTheContextEnds(t *testing.T) {
	f := newMailFixture(t)
	box := f.box
	// Without the context the handshake would wait for the 5 s timeout.
	box.Port = silentPort(t)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := f.reader.Check(ctx, box)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Check = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Check took %s after the context ended", d)
	}
}

func TestFindCodeFindsTheCodeInANonInboxFolder(t *testing.T) {
	f := newMailFixture(t)
	at := f.challengeAt.Add(time.Minute)
	f.deliver(t, "Social", at, testkit.InstagramCodeMail(instagram,
		"Verify your account", "Hi,\nUse 482913 to verify your account.\n", at))
	f.wantCode(t, "482913")
}

func TestFindCodePrefersTheSubject(t *testing.T) {
	f := newMailFixture(t)
	at := f.challengeAt.Add(time.Minute)
	f.deliver(t, "INBOX", at, testkit.InstagramCodeMail(instagram,
		"123456 is your Instagram code", "Ref 654321.\n", at))
	f.wantCode(t, "123456")
}

func TestFindCodeSkipsMailOlderThanTheChallenge(t *testing.T) {
	f := newMailFixture(t)
	// Same day (so SEARCH SINCE lets it through) but before the challenge.
	old := f.challengeAt.Add(-time.Second)
	f.deliver(t, "INBOX", old, testkit.InstagramCodeMail(instagram,
		"Your code", "Use 111111 to verify.\n", old))
	yesterday := f.challengeAt.AddDate(0, 0, -1)
	f.deliver(t, "INBOX", yesterday, testkit.InstagramCodeMail(instagram,
		"Your code", "Use 222222 to verify.\n", yesterday))
	f.wantNoCode(t)

	at := f.challengeAt.Add(2 * time.Second)
	f.deliver(t, "INBOX", at, testkit.InstagramCodeMail(instagram,
		"Your code", "Use 333333 to verify.\n", at))
	f.wantCode(t, "333333")
}

func TestFindCodeCountsMailInTheChallengesOwnSecond(t *testing.T) {
	f := newMailFixture(t)
	// INTERNALDATE has whole seconds; the challenge time need not.
	since := f.challengeAt.Add(400 * time.Millisecond)
	f.deliver(t, "INBOX", f.challengeAt, testkit.InstagramCodeMail(instagram,
		"Your code", "Use 909090 to verify.\n", f.challengeAt))
	got, err := f.reader.FindCode(t.Context(), f.box, since)
	if err != nil || got != "909090" {
		t.Fatalf("FindCode = %q, %v; want 909090", got, err)
	}
}

func TestFindCodeIgnoresOtherSenders(t *testing.T) {
	f := newMailFixture(t)
	at := f.challengeAt.Add(time.Minute)
	f.deliver(t, "INBOX", at, testkit.InstagramCodeMail("Instagram <security@instagram.com.evil.example>",
		"Your Instagram code 555555", "Use 555555 to verify.\n", at))
	f.deliver(t, "INBOX", at, testkit.InstagramCodeMail("noreply@example.com",
		"Order 777777 shipped", "Mentions instagram.com and 777777.\n", at))
	f.deliver(t, "INBOX", at, testkit.InstagramCodeMail("phish@notinstagram.com",
		"Code 888888", "Use 888888.\n", at))
	f.wantNoCode(t)
}

func TestFindCodeTakesTheNewestInstagramMail(t *testing.T) {
	f := newMailFixture(t)
	first := f.challengeAt.Add(time.Minute)
	second := first.Add(time.Minute)
	// The newer one is delivered first and to another folder, so neither
	// delivery order nor folder order can make the test pass by accident.
	f.deliver(t, "Archive", second, testkit.InstagramCodeMail("Instagram <no-reply@INSTAGRAM.COM>",
		"Your code", "Use 246810 to verify.\n", second))
	f.deliver(t, "INBOX", first, testkit.InstagramCodeMail(instagram,
		"Your code", "Use 135791 to verify.\n", first))
	f.wantCode(t, "246810")
}

func TestFindCodeTakesTheNewestMailWithinAFolder(t *testing.T) {
	f := newMailFixture(t)
	first := f.challengeAt.Add(time.Minute)
	second := first.Add(time.Minute)
	// Delivered out of order, so UID order says the opposite of the dates.
	f.deliver(t, "INBOX", second, testkit.InstagramCodeMail(instagram,
		"Your code", "Use 112358 to verify.\n", second))
	f.deliver(t, "INBOX", first, testkit.InstagramCodeMail(instagram,
		"Your code", "Use 132134 to verify.\n", first))
	f.wantCode(t, "112358")
}

func TestFindCodeSkipsANewerInstagramMailWithoutACode(t *testing.T) {
	f := newMailFixture(t)
	first := f.challengeAt.Add(time.Minute)
	second := first.Add(time.Minute)
	f.deliver(t, "INBOX", first, testkit.InstagramCodeMail(instagram,
		"Your code", "Use 314159 to verify.\n", first))
	f.deliver(t, "INBOX", second, testkit.InstagramCodeMail(instagram,
		"New login to Instagram", "We noticed a login from a new device.\n", second))
	f.wantCode(t, "314159")
}

func TestFindCodeReadsAQuotedPrintableBody(t *testing.T) {
	f := newMailFixture(t)
	at := f.challengeAt.Add(time.Minute)
	// The code is split by a soft line break and its first digit is
	// encoded, so only a decoder sees "271828".
	body := "Hi =E2=80=94 use =3271=\n828 to confirm it=E2=80=99s you.\n"
	f.deliver(t, "INBOX", at, rawMail(instagram, "Confirm it's you",
		"text/plain; charset=utf-8", "quoted-printable", body, at))
	f.wantCode(t, "271828")
}

func TestFindCodeReadsABase64Body(t *testing.T) {
	f := newMailFixture(t)
	at := f.challengeAt.Add(time.Minute)
	// base64 of "Your Instagram code is 161803.\n"
	body := "WW91ciBJbnN0YWdyYW0gY29kZSBpcyAxNjE4MDMuCg==\n"
	f.deliver(t, "INBOX", at, rawMail(instagram, "Confirm it's you",
		"text/plain; charset=utf-8", "base64", body, at))
	f.wantCode(t, "161803")
}

func TestFindCodeReadsTheTextPartOfAMultipartMail(t *testing.T) {
	f := newMailFixture(t)
	at := f.challengeAt.Add(time.Minute)
	body := strings.Join([]string{
		"--b1",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Transfer-Encoding: quoted-printable",
		"",
		"Your code: 577215",
		"--b1",
		"Content-Type: text/html; charset=utf-8",
		"",
		"<p style=3D\"color:#999999\">Your code: 577215</p>",
		"--b1--",
		"",
	}, "\n")
	f.deliver(t, "INBOX", at, rawMail(instagram, "Confirm it's you",
		`multipart/alternative; boundary="b1"`, "", body, at))
	f.wantCode(t, "577215")
}

func TestFindCodeReadsAnHTMLOnlyMailPastItsStyles(t *testing.T) {
	f := newMailFixture(t)
	at := f.challengeAt.Add(time.Minute)
	body := `<html><head><style>td { color: #262626; }</style></head>` +
		`<body><table bgcolor="#123456"><tr><td style="color: #737373">` +
		`Use&nbsp;<b>141421</b> to confirm.</td></tr></table></body></html>` + "\n"
	f.deliver(t, "INBOX", at, rawMail(instagram, "Confirm it's you",
		"text/html; charset=utf-8", "", body, at))
	f.wantCode(t, "141421")
}

func TestFindCodeReportsNoCodeForAnEmptyMailbox(t *testing.T) {
	f := newMailFixture(t)
	f.wantNoCode(t)
}

func TestFindCodeDoesNotMarkMailSeen(t *testing.T) {
	f := newMailFixture(t)
	at := f.challengeAt.Add(time.Minute)
	f.deliver(t, "INBOX", at, testkit.InstagramCodeMail(instagram,
		"Your code", "Use 173205 to verify.\n", at))
	f.wantCode(t, "173205")
	if n := f.srv.Unseen(t, mailUser, "INBOX"); n != 1 {
		t.Fatalf("%d unseen mails after FindCode, want 1", n)
	}
}

func TestFindCodeFindsMailDeliveredAfterTheFirstLook(t *testing.T) {
	f := newMailFixture(t)
	f.challengeAt = time.Now().UTC().Truncate(time.Second)
	f.wantNoCode(t)

	// Poll as the challenge flow does; the mail lands about a second after
	// the first look. Delivery stays on the test goroutine because Deliver
	// may call t.Fatal.
	deliverAt := time.Now().Add(time.Second)
	delivered := false
	deadline := time.Now().Add(5 * time.Second)
	for {
		if !delivered && !time.Now().Before(deliverAt) {
			at := time.Now().UTC()
			f.deliver(t, "INBOX", at, testkit.InstagramCodeMail(instagram,
				"Your code", "Use 662607 to verify.\n", at))
			delivered = true
		}
		code, err := f.findCode(t)
		switch {
		case err == nil && !delivered:
			t.Fatalf("FindCode = %q before the mail was delivered", code)
		case err == nil:
			if code != "662607" {
				t.Fatalf("FindCode = %q, want 662607", code)
			}
			return
		case !errors.Is(err, challenges.ErrNoCode):
			t.Fatalf("FindCode: %v", err)
		case time.Now().After(deadline):
			t.Fatal("the late mail was never found")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// By default a user's imap_server cannot point the server at its own
// network: loopback and private addresses are refused before any byte is
// sent, whatever name resolves to them.
func TestCheckRefusesNonPublicAddressesUnlessAllowed(t *testing.T) {
	f := newMailFixture(t)
	r := challenges.MailReader{TLS: f.reader.TLS, Timeout: 5 * time.Second}
	for _, host := range []string{"127.0.0.1", "localhost", "10.1.2.3", "192.168.0.10", "169.254.169.254", "100.64.0.1", "::1"} {
		box := f.box
		box.Host = host
		err := r.Check(t.Context(), box)
		if err == nil || !strings.Contains(err.Error(), "not a public one") {
			t.Errorf("Check(%s) = %v, want the address refused", host, err)
		}
	}
	if err := f.reader.Check(t.Context(), f.box); err != nil {
		t.Fatalf("with AllowPrivate: %v", err)
	}
}

// Go's lookup error quotes the server's own DNS resolver ("lookup x on
// 10.0.0.2:53: no such host"); the user sees only what is wrong with the
// name they gave.
func TestCheckReportsAnUnknownHostWithoutTheServersResolver(t *testing.T) {
	const host = "imap.no-such-host.invalid" // .invalid never resolves (RFC 2606)
	r := challenges.MailReader{Timeout: 5 * time.Second}
	err := r.Check(t.Context(), challenges.Mailbox{Host: host, Username: mailUser, Password: mailPassword})
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		t.Fatalf("Check = %v, want a lookup failure kept as the cause", err)
	}
	t.Logf("error shown to the user: %v", err)
	if !strings.Contains(err.Error(), "connect") || !strings.Contains(err.Error(), host) {
		t.Errorf("error %q does not say which host could not be connected to", err)
	}
	leaks := []string{":53", " on "}
	if dnsErr.Server != "" {
		host, _, _ := net.SplitHostPort(dnsErr.Server)
		leaks = append(leaks, dnsErr.Server, host)
	}
	if conf, rerr := os.ReadFile("/etc/resolv.conf"); rerr == nil {
		for _, line := range strings.Split(string(conf), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "nameserver" {
				leaks = append(leaks, f[1])
			}
		}
	}
	for _, leak := range leaks {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q shows %q of the server's resolver", err, leak)
		}
	}
}
