// Package config holds the settings of a Switchboard server: their defaults,
// how the environment sets them, and their validation.
package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/server/clientip"
	"github.com/switchboardhq/switchboard/server/origins"
)

// Config is the whole configuration of a server process. Command-line flags
// override the environment, which overrides the defaults.
type Config struct {
	// Addr is the listen address (ADDR, default ":8080").
	Addr string
	// DataDir holds the SQLite file and the generated secret key
	// (DATA_DIR, default "./data").
	DataDir string
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or
	// postgresql:// (DATABASE_URL); empty means SQLite in DataDir.
	DatabaseURL string
	// SecretKey is the 32-byte master key, as 64 hex characters or base64
	// (SWITCHBOARD_SECRET_KEY). Empty means a key file in DataDir, created on
	// first start.
	SecretKey string
	// Env is "development" or "production" (SWITCHBOARD_ENV); production
	// turns GraphQL introspection off.
	Env string
	// LogLevel is a zerolog level name (LOG_LEVEL, default "info").
	LogLevel string
	// LogFormat is "json" or "console" (LOG_FORMAT, default "json").
	LogFormat string
	// MaxBodyBytes caps request bodies (SWITCHBOARD_MAX_BODY_BYTES, default 1 MiB).
	MaxBodyBytes int64
	// MediaDir holds the files uploaded to media libraries
	// (SWITCHBOARD_MEDIA_DIR, default DataDir/media). Several replicas on
	// one PostgreSQL database must share it (a network file system).
	MediaDir string
	// MediaMaxBytes is the largest media upload (SWITCHBOARD_MEDIA_MAX_BYTES,
	// default 50 MiB); a GraphQL multipart request may carry it beside
	// MaxBodyBytes of operations.
	MediaMaxBytes int64
	// SessionTTL is the lifetime of login tokens (SWITCHBOARD_SESSION_TTL, default 24h).
	SessionTTL time.Duration
	// WSInitTimeout closes a WebSocket that sends no connection_init in time
	// (SWITCHBOARD_WS_INIT_TIMEOUT, default 10s).
	WSInitTimeout time.Duration
	// WSPingInterval is how often the server pings a graphql-transport-ws
	// socket (SWITCHBOARD_WS_PING_INTERVAL, default 15s).
	WSPingInterval time.Duration
	// WSSessionCheckInterval bounds how long an open WebSocket outlives
	// the end of its session or the revocation of its key
	// (SWITCHBOARD_WS_SESSION_CHECK_INTERVAL, default 30s).
	WSSessionCheckInterval time.Duration
	// LiveStall ends a live subscriber (SLOW_SUBSCRIBER) that has taken
	// none of its pending events for this long.
	LiveStall time.Duration
	// LeaseDuration is how long a worker holds a claimed task without a
	// heartbeat (SWITCHBOARD_LEASE_DURATION, default 10m).
	LeaseDuration time.Duration
	// RetryBackoff is how long a task whose attempt failed or whose lease
	// expired waits before its next attempt, doubling with each attempt up
	// to an hour (SWITCHBOARD_RETRY_BACKOFF, default 30s).
	RetryBackoff time.Duration
	// BotNotificationInterval is how often every ACTIVE bot's X
	// notifications are asked of workers
	// (SWITCHBOARD_BOT_NOTIFICATION_INTERVAL, default 15m).
	BotNotificationInterval time.Duration
	// SpamMetricsInterval is how often posted spams' counters (views,
	// likes, replies, retweets) are asked of workers again, for a week
	// after each was posted (SWITCHBOARD_SPAM_METRICS_INTERVAL, default 1h).
	SpamMetricsInterval time.Duration
	// LoginWait is how long a live account login (or a challenge code) waits
	// for its worker's verdict before answering 503 (SWITCHBOARD_LOGIN_WAIT,
	// default 25s).
	LoginWait time.Duration
	// IMAPMailDelay is how long an auto_imap challenge submission waits
	// for the platform's mail before reading the mailbox
	// (SWITCHBOARD_IMAP_MAIL_DELAY, default 5s; 0 reads at once).
	IMAPMailDelay time.Duration
	// IMAPAllowPrivate lets users' IMAP servers be on loopback, private
	// or link-local addresses (SWITCHBOARD_IMAP_ALLOW_PRIVATE, default
	// false: a user cannot make the server probe its own network).
	IMAPAllowPrivate bool
	// IMAPTLS, when set, is the TLS configuration of connections to users'
	// IMAP servers (a private CA; tests). Not read from the environment:
	// nil trusts the system's roots.
	IMAPTLS *tls.Config
	// Create lets a process create what does not exist yet: the SQLite
	// database and the key file. Not read from the environment: serve sets
	// it, and the CLI's other commands only with --create, so a mistyped
	// --data-dir is an error rather than a new, empty server.
	Create bool
	// GraphiQL serves the in-browser IDE at / (SWITCHBOARD_GRAPHIQL,
	// true or false). Unset (nil), it is on in development and off in
	// production; see GraphiQLEnabled.
	GraphiQL *bool
	// AllowedOrigins lists the other sites whose pages may call the server:
	// CORS on every HTTP route and the Origin check of GraphQL WebSockets
	// (SWITCHBOARD_ALLOWED_ORIGINS, comma-separated patterns such as
	// https://app.example.com or *.example.com; see server/origins).
	AllowedOrigins []string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (SWITCHBOARD_TRUSTED_PROXIES, comma-separated CIDRs or
	// addresses such as 10.0.0.0/8,127.0.0.1). Empty, the header is never
	// believed: the client is the connection's peer. See server/clientip.
	TrustedProxies []string
	// PublicURL is the address clients and browsers reach this server at
	// (SWITCHBOARD_PUBLIC_URL, e.g. https://switchboard.example.com), used
	// for addresses the server hands out, such as the OAuth redirect_uri
	// and an uploaded media file's address in a worker's payload. Empty:
	// the address of the request that needs one; a payload, written by no
	// request, then carries the file's path alone, which the worker
	// resolves against the address it calls.
	PublicURL string
	// OAuthAuthorize maps a platform to the address of its OAuth consent
	// screen, with the operator's app client id and scopes; the server adds
	// state and redirect_uri (SWITCHBOARD_OAUTH_<PLATFORM>_URL, e.g.
	// SWITCHBOARD_OAUTH_FACEBOOK_URL, SWITCHBOARD_OAUTH_TIKTOK_BUSINESS_URL
	// for tiktok-business). A platform without one cannot be connected.
	OAuthAuthorize map[string]string
}

// OAuthPlatforms are the platforms whose consent screen the operator may
// configure (OAuthAuthorize).
var OAuthPlatforms = []string{"google", "facebook", "instagram", "linkedin", "tiktok", "tiktok-business",
	"youtube", "pinterest", "threads"}

// oauthEnv is the variable holding platform's authorize URL.
func oauthEnv(platform string) string {
	return "SWITCHBOARD_OAUTH_" + strings.ToUpper(strings.ReplaceAll(platform, "-", "_")) + "_URL"
}

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Addr:          ":8080",
		DataDir:       "./data",
		Env:           "development",
		LogLevel:      "info",
		LogFormat:     "json",
		MaxBodyBytes:  1 << 20,
		MediaMaxBytes: 50 << 20,
		SessionTTL:    24 * time.Hour,
		// graphql-transport-ws asks servers to close sockets that never
		// initialise; 10 s is generous for a real client.
		WSInitTimeout: 10 * time.Second,
		// Below the 30-60 s idle timeouts of common proxies and load
		// balancers, so quiet dashboards are not cut.
		WSPingInterval: 15 * time.Second,
		// Each socket checks its credential this often (cached per
		// credential): 10,000 sockets cost ~330 lookups a second.
		WSSessionCheckInterval: 30 * time.Second,
		LiveStall:              10 * time.Second,
		LeaseDuration:          10 * time.Minute,
		RetryBackoff:           30 * time.Second,
		LoginWait:              25 * time.Second,
		// Notifications are read, not pushed: often enough for a
		// dashboard, rarely enough not to look like scraping to X.
		BotNotificationInterval: 15 * time.Minute,
		SpamMetricsInterval:     time.Hour,
		IMAPMailDelay:           5 * time.Second,
	}
}

// FromEnv returns the defaults overridden by the environment.
func FromEnv() (Config, error) {
	c := Default()
	str := func(name string, dst *string) {
		if v, ok := os.LookupEnv(name); ok && v != "" {
			*dst = v
		}
	}
	str("ADDR", &c.Addr)
	str("DATA_DIR", &c.DataDir)
	str("DATABASE_URL", &c.DatabaseURL)
	str("SWITCHBOARD_SECRET_KEY", &c.SecretKey)
	str("SWITCHBOARD_ENV", &c.Env)
	str("LOG_LEVEL", &c.LogLevel)
	str("LOG_FORMAT", &c.LogFormat)
	str("SWITCHBOARD_MEDIA_DIR", &c.MediaDir)
	var problems []error
	parse := func(name string, fn func(string) error) {
		if v := os.Getenv(name); v != "" {
			if err := fn(v); err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	duration := func(name string, dst *time.Duration) {
		parse(name, func(v string) (err error) { *dst, err = time.ParseDuration(v); return err })
	}
	parse("SWITCHBOARD_MAX_BODY_BYTES", func(v string) (err error) {
		c.MaxBodyBytes, err = strconv.ParseInt(v, 10, 64)
		return err
	})
	parse("SWITCHBOARD_MEDIA_MAX_BYTES", func(v string) (err error) {
		c.MediaMaxBytes, err = strconv.ParseInt(v, 10, 64)
		return err
	})
	duration("SWITCHBOARD_SESSION_TTL", &c.SessionTTL)
	duration("SWITCHBOARD_WS_INIT_TIMEOUT", &c.WSInitTimeout)
	duration("SWITCHBOARD_WS_PING_INTERVAL", &c.WSPingInterval)
	duration("SWITCHBOARD_WS_SESSION_CHECK_INTERVAL", &c.WSSessionCheckInterval)
	duration("SWITCHBOARD_LIVE_STALL", &c.LiveStall)
	duration("SWITCHBOARD_LEASE_DURATION", &c.LeaseDuration)
	duration("SWITCHBOARD_RETRY_BACKOFF", &c.RetryBackoff)
	duration("SWITCHBOARD_LOGIN_WAIT", &c.LoginWait)
	duration("SWITCHBOARD_BOT_NOTIFICATION_INTERVAL", &c.BotNotificationInterval)
	duration("SWITCHBOARD_SPAM_METRICS_INTERVAL", &c.SpamMetricsInterval)
	duration("SWITCHBOARD_IMAP_MAIL_DELAY", &c.IMAPMailDelay)
	parse("SWITCHBOARD_IMAP_ALLOW_PRIVATE", func(v string) (err error) {
		c.IMAPAllowPrivate, err = strconv.ParseBool(v)
		return err
	})
	parse("SWITCHBOARD_GRAPHIQL", func(v string) error {
		on, err := strconv.ParseBool(v)
		c.GraphiQL = &on
		return err
	})
	if err := errors.Join(problems...); err != nil {
		return c, err
	}
	str("SWITCHBOARD_PUBLIC_URL", &c.PublicURL)
	for _, p := range OAuthPlatforms {
		if v := os.Getenv(oauthEnv(p)); v != "" {
			if c.OAuthAuthorize == nil {
				c.OAuthAuthorize = map[string]string{}
			}
			c.OAuthAuthorize[p] = v
		}
	}
	c.AllowedOrigins = list("SWITCHBOARD_ALLOWED_ORIGINS")
	c.TrustedProxies = list("SWITCHBOARD_TRUSTED_PROXIES")
	return c, nil
}

// list reads a comma-separated variable, without empty entries.
func list(name string) []string {
	var out []string
	for _, e := range strings.Split(os.Getenv(name), ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// MediaDirectory is where uploaded media files are kept: MediaDir, or
// else the media folder of the data dir.
func (c Config) MediaDirectory() string {
	if c.MediaDir != "" {
		return c.MediaDir
	}
	return filepath.Join(c.DataDir, "media")
}

// Production reports whether the server runs in production mode.
func (c Config) Production() bool { return c.Env == "production" }

// GraphiQLEnabled reports whether / serves GraphiQL: as set, or else
// outside production only.
func (c Config) GraphiQLEnabled() bool {
	if c.GraphiQL != nil {
		return *c.GraphiQL
	}
	return !c.Production()
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var problems []error
	if c.Addr == "" {
		problems = append(problems, errors.New("addr must not be empty"))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		problems = append(problems, errors.New("data dir must not be empty when DATABASE_URL is unset"))
	}
	if c.Env != "development" && c.Env != "production" {
		problems = append(problems, fmt.Errorf("SWITCHBOARD_ENV %q: want development or production", c.Env))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		problems = append(problems, fmt.Errorf("LOG_FORMAT %q: want json or console", c.LogFormat))
	}
	if c.MaxBodyBytes < 1024 {
		problems = append(problems, fmt.Errorf("max body bytes %d: want at least 1024", c.MaxBodyBytes))
	}
	if c.MediaMaxBytes < 1 {
		problems = append(problems, fmt.Errorf("media max bytes %d: want at least 1", c.MediaMaxBytes))
	}
	if c.MediaDir == "" && c.DataDir == "" {
		problems = append(problems, errors.New("SWITCHBOARD_MEDIA_DIR must be set when the data dir is empty"))
	}
	if c.SessionTTL < time.Minute {
		problems = append(problems, fmt.Errorf("session TTL %s: want at least 1m", c.SessionTTL))
	}
	if c.LeaseDuration < time.Second {
		problems = append(problems, fmt.Errorf("lease duration %s: want at least 1s", c.LeaseDuration))
	}
	if c.RetryBackoff < 0 || c.RetryBackoff > time.Hour {
		problems = append(problems, fmt.Errorf("retry backoff %s: want 0 to 1h", c.RetryBackoff))
	}
	if c.LoginWait <= 0 || c.LoginWait > 5*time.Minute {
		problems = append(problems, fmt.Errorf("login wait %s: want a positive duration of at most 5m", c.LoginWait))
	}
	if c.IMAPMailDelay < 0 || c.IMAPMailDelay > time.Minute {
		problems = append(problems, fmt.Errorf("IMAP mail delay %s: want 0 to 1m", c.IMAPMailDelay))
	}
	if _, err := origins.New(c.AllowedOrigins); err != nil {
		problems = append(problems, fmt.Errorf("SWITCHBOARD_ALLOWED_ORIGINS: %w", err))
	}
	if _, err := clientip.ParseProxies(c.TrustedProxies); err != nil {
		problems = append(problems, fmt.Errorf("SWITCHBOARD_TRUSTED_PROXIES: %w", err))
	}
	if c.LiveStall <= 0 {
		problems = append(problems, fmt.Errorf("live stall %s: want a positive duration", c.LiveStall))
	}
	if c.BotNotificationInterval < time.Minute {
		problems = append(problems, fmt.Errorf("bot notification interval %s: want a minute or more", c.BotNotificationInterval))
	}
	if c.SpamMetricsInterval < time.Minute {
		problems = append(problems, fmt.Errorf("spam metrics interval %s: want a minute or more", c.SpamMetricsInterval))
	}
	if c.WSPingInterval <= 0 {
		problems = append(problems, fmt.Errorf("WebSocket ping interval %s: want a positive duration", c.WSPingInterval))
	}
	if c.WSSessionCheckInterval <= 0 {
		problems = append(problems, fmt.Errorf("WebSocket session check interval %s: want a positive duration", c.WSSessionCheckInterval))
	}
	if c.WSInitTimeout <= 0 {
		problems = append(problems, fmt.Errorf("WebSocket init timeout %s: want a positive duration", c.WSInitTimeout))
	}
	if c.PublicURL != "" {
		if err := checkHTTPURL(c.PublicURL); err != nil {
			problems = append(problems, fmt.Errorf("SWITCHBOARD_PUBLIC_URL: %w", err))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(c.OAuthAuthorize)) {
		if !slices.Contains(OAuthPlatforms, p) {
			problems = append(problems, fmt.Errorf("OAuth authorize URL for %q: not a platform connected through OAuth", p))
		} else if err := checkHTTPURL(c.OAuthAuthorize[p]); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", oauthEnv(p), err))
		}
	}
	return errors.Join(problems...)
}

// checkHTTPURL accepts an absolute http or https address.
func checkHTTPURL(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an absolute http or https URL", v)
	}
	return nil
}
