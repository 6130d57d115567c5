package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/config"
)

func TestFromEnvOverridesDefaults(t *testing.T) {
	t.Setenv("ADDR", "127.0.0.1:9999")
	t.Setenv("SWITCHBOARD_MAX_BODY_BYTES", "2048")
	t.Setenv("SWITCHBOARD_SESSION_TTL", "2h")
	t.Setenv("SWITCHBOARD_WS_INIT_TIMEOUT", "3s")
	t.Setenv("SWITCHBOARD_WS_PING_INTERVAL", "20s")
	t.Setenv("SWITCHBOARD_LEASE_DURATION", "90s")
	t.Setenv("SWITCHBOARD_RETRY_BACKOFF", "250ms")
	t.Setenv("SWITCHBOARD_SPAM_METRICS_INTERVAL", "30m")
	t.Setenv("SWITCHBOARD_ALLOWED_ORIGINS", " a.example.com, ,*.b.example.com")
	t.Setenv("SWITCHBOARD_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
	c, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.MaxBodyBytes != 2048 || c.SessionTTL != 2*time.Hour ||
		c.WSInitTimeout != 3*time.Second || c.WSPingInterval != 20*time.Second || c.LeaseDuration != 90*time.Second || c.RetryBackoff != 250*time.Millisecond ||
		c.SpamMetricsInterval != 30*time.Minute ||
		len(c.AllowedOrigins) != 2 || c.AllowedOrigins[1] != "*.b.example.com" ||
		len(c.TrustedProxies) != 2 || c.TrustedProxies[1] != "127.0.0.1" {
		t.Fatalf("config %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

func TestFromEnvNamesEveryUnparsableVariable(t *testing.T) {
	t.Setenv("SWITCHBOARD_MAX_BODY_BYTES", "lots")
	t.Setenv("SWITCHBOARD_LEASE_DURATION", "forever")
	_, err := config.FromEnv()
	if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_MAX_BODY_BYTES") || !strings.Contains(err.Error(), "SWITCHBOARD_LEASE_DURATION") {
		t.Fatalf("err = %v, want both variables named", err)
	}
}

func TestValidateReportsEveryBadSetting(t *testing.T) {
	c := config.Default()
	c.Env = "staging"
	c.LogFormat = "text"
	c.LeaseDuration = 500 * time.Millisecond
	c.RetryBackoff = -time.Second
	c.WSPingInterval = 0
	c.SpamMetricsInterval = time.Second
	c.AllowedOrigins = []string{"https://ok.example.com", "https://[bad"}
	c.TrustedProxies = []string{"10.0.0.0/8", "10.0.0.0/99"}
	err := c.Validate()
	for _, want := range []string{"SWITCHBOARD_ENV", "LOG_FORMAT", "lease duration", "retry backoff", "ping interval", "spam metrics interval", "SWITCHBOARD_ALLOWED_ORIGINS", "SWITCHBOARD_TRUSTED_PROXIES"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want it to mention %s", err, want)
		}
	}
}

func TestFromEnvReadsOAuthAuthorizeURLsPerPlatform(t *testing.T) {
	t.Setenv("SWITCHBOARD_PUBLIC_URL", "https://sb.example.com")
	t.Setenv("SWITCHBOARD_OAUTH_FACEBOOK_URL", "https://www.facebook.com/v19.0/dialog/oauth?client_id=1&scope=pages_show_list,pages_manage_posts")
	t.Setenv("SWITCHBOARD_OAUTH_TIKTOK_BUSINESS_URL", "https://business-api.tiktok.com/portal/auth?app_id=2")
	c, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "https://sb.example.com" || len(c.OAuthAuthorize) != 2 ||
		!strings.Contains(c.OAuthAuthorize["facebook"], "pages_show_list,pages_manage_posts") ||
		c.OAuthAuthorize["tiktok-business"] != "https://business-api.tiktok.com/portal/auth?app_id=2" {
		t.Fatalf("config %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

func TestValidateRefusesRelativeOAuthAndPublicURLs(t *testing.T) {
	c := config.Default()
	c.PublicURL = "sb.example.com"
	c.OAuthAuthorize = map[string]string{"facebook": "/dialog/oauth", "bluesky": "https://bsky.app/oauth"}
	err := c.Validate()
	for _, want := range []string{"SWITCHBOARD_PUBLIC_URL", "SWITCHBOARD_OAUTH_FACEBOOK_URL", `"bluesky"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want it to mention %s", err, want)
		}
	}
}
