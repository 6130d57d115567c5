package challenges

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/loginchallenge"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// An OAuth connection is a LoginChallenge of method OAUTH, in three steps:
//
//  1. StartOAuth: the challenge is opened (PENDING, expiring after TTL) with
//     a state token, and the caller is sent to the platform's consent
//     screen (the operator's authorize URL plus state and redirect_uri).
//  2. FinishOAuth, when the platform sends the browser back: the code is
//     sealed and an OAUTH_EXCHANGE task enqueued (SUBMITTED, expiring
//     after TTL: ExpireDue then cancels the task); the worker
//     trades the code for tokens and reports the pages, channels or
//     locations the grant reaches (RESOLVED; tokens sealed, pages stored
//     without them), or fails (FAILED).
//  3. OAuthPages lists those pages; AttachOAuth makes one an account
//     holding the tokens, or re-authenticates the account it already is.

// OAuthAttachTTL is how long a connection's pages may be attached after
// the worker reported them.
const OAuthAttachTTL = time.Hour

// oauthPlatforms are the platforms a connection may be started for, and
// the platform of the accounts they make. Bluesky has no OAuth consent
// screen: its accounts connect with an app password.
var oauthPlatforms = map[string]account.Platform{
	"google":          account.PlatformGoogle,
	"facebook":        account.PlatformFacebook,
	"instagram":       account.PlatformInstagram,
	"linkedin":        account.PlatformLinkedin,
	"tiktok":          account.PlatformTiktok,
	"tiktok-business": account.PlatformTiktok,
	"youtube":         account.PlatformYoutube,
	"pinterest":       account.PlatformPinterest,
	"threads":         account.PlatformThreads,
}

// OAuthPlatform reports whether name is a platform accounts connect to
// through OAuth.
func OAuthPlatform(name string) bool { _, ok := oauthPlatforms[name]; return ok }

// ExchangePayload names the connection an OAUTH_EXCHANGE task completes;
// the code is handed to the lease holder only (Secrets).
type ExchangePayload struct {
	OAuthID     string `json:"oauthId"`
	Platform    string `json:"platform"`
	RedirectURI string `json:"redirectUri"`
}

// ExchangeResult is what the worker got for the code: the grant's tokens
// and what they reach. The tokens are sealed on the connection and taken
// out of the stored result.
type ExchangeResult struct {
	AccessToken  string      `json:"accessToken"`
	RefreshToken string      `json:"refreshToken,omitempty"`
	ExpiresAt    *time.Time  `json:"expiresAt,omitempty"`
	Pages        []OAuthPage `json:"pages"`
}

// Validate requires a token and an id for each page.
func (r ExchangeResult) Validate() error {
	if r.AccessToken == "" {
		return tasks.FieldError{Field: "accessToken", Message: "is required"}
	}
	return tasks.RequireEach("pages", r.Pages, "originId", func(p OAuthPage) string { return p.OriginID })
}

// OAuthPage is a page, profile, channel, business or location an OAuth
// grant reaches, as the worker reported it.
type OAuthPage struct {
	// OriginID is the platform's id (a Google location's resource name).
	OriginID string `json:"originId"`
	Name     string `json:"name,omitempty"`
	// Type is page, profile, location, channel, business or group.
	Type     string `json:"type,omitempty"`
	Avatar   string `json:"avatar,omitempty"`
	Username string `json:"username,omitempty"`
	URN      string `json:"urn,omitempty"`
	// PageID is the Facebook page an Instagram account is linked to.
	PageID   string `json:"pageId,omitempty"`
	Verified bool   `json:"verified,omitempty"`
	Owned    bool   `json:"isOwned,omitempty"`
	// Location and Account are a Google Business Profile location and the
	// account that holds it, as Google describes them.
	Location map[string]any `json:"location,omitempty"`
	Account  map[string]any `json:"account,omitempty"`
	// AccessToken is the page's own token, when the platform has one
	// (Facebook pages); sealed, never stored with the page.
	AccessToken string `json:"accessToken,omitempty"`
	// Connected is set when listing: the page is an account already.
	Connected bool `json:"-"`
}

// oauthTokens is what a connection keeps sealed once exchanged.
type oauthTokens struct {
	AccessToken  string            `json:"accessToken"`
	RefreshToken string            `json:"refreshToken,omitempty"`
	ExpiresAt    *time.Time        `json:"expiresAt,omitempty"`
	PageTokens   map[string]string `json:"pageTokens,omitempty"`
}

// OAuthStartInput starts a connection.
type OAuthStartInput struct {
	Platform string
	// UserID is the 24-hex id of the member connecting.
	UserID string
	// Placement is echoed to the page that opened the flow.
	Placement string
	// Reconnect re-authenticates accounts already connected.
	Reconnect bool
	// RedirectURI is where the platform sends the browser back to.
	RedirectURI string
}

// StartOAuth opens a connection in the viewer's workspace and returns the
// address of the platform's consent screen.
func (s *Service) StartOAuth(ctx context.Context, in OAuthStartInput) (string, error) {
	if in.Platform == "bluesky" {
		return "", errs.Invalid("platform", "bluesky is not supported yet")
	}
	if !OAuthPlatform(in.Platform) {
		return "", errs.Invalid("platform", "unknown platform %q", in.Platform)
	}
	base, ok := s.opts.OAuthAuthorize[in.Platform]
	if !ok {
		return "", errs.Invalid("platform", "connecting %s is not configured on this server", in.Platform)
	}
	if in.UserID == "" {
		return "", errs.Invalid("userId", "is required")
	}
	if !schema.IsObjectID(in.UserID) {
		return "", errs.Invalid("userId", "must be a valid 24-character id")
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("authorize URL of %s: %w", in.Platform, err)
	}
	state := newToken()
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		member, err := tx.User.Query().Where(user.ObjectID(strings.ToLower(in.UserID))).Only(ctx)
		if err != nil {
			return errs.FromEnt(err, "user")
		}
		c, err := tx.LoginChallenge.Create().
			SetMethod(loginchallenge.MethodOAUTH).
			SetUsername(in.Platform). // a login's name; OAuth lookups go by oauth_id
			SetPlatform(in.Platform).
			SetUserID(member.ID).
			SetRelogin(in.Reconnect).
			SetTokenHash(hashToken(state)).
			SetOauthID(schema.NewObjectID()).
			SetOauthPlacement(in.Placement).
			SetExpiresAt(s.now().Add(s.opts.TTL)).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("open connection: %w", err)
		}
		s.publish(tx, c)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("start %s connection: %w", in.Platform, err)
	}
	q := u.Query()
	q.Set("state", state)
	q.Set("redirect_uri", in.RedirectURI)
	if q.Get("response_type") == "" {
		q.Set("response_type", "code")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// OAuthReturn is what the platform sent the browser back with.
type OAuthReturn struct {
	State, Code string
	// Error is the platform's refusal (access_denied), if any.
	Error string
}

// OAuthClosing is what the page closing the consent window tells its
// opener.
type OAuthClosing struct {
	Platform, Placement string
	// OAuthID names the connection for listing and attaching.
	OAuthID string
	// Reconnect lists the 24-hex ids of the platform's accounts of the
	// workspace that need their connection renewed.
	Reconnect []string
	// Error is the platform's refusal, when there was one.
	Error string
}

// FinishOAuth takes the platform's answer for the connection its state
// names: the code is sealed and handed to a worker to exchange. The
// request carries no credential; the state token is the capability.
func (s *Service) FinishOAuth(ctx context.Context, ret OAuthReturn, redirectURI string) (OAuthClosing, error) {
	var out OAuthClosing
	if !tokenPattern.MatchString(ret.State) {
		return out, errs.Gone("this connection link is invalid or has expired; start again")
	}
	if ret.Error == "" && ret.Code == "" {
		return out, errs.Invalid("code", "is required")
	}
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	err := store.WithTx(sys, s.client, func(tx *ent.Tx) error {
		q := tx.LoginChallenge.Query().Where(loginchallenge.TokenHash(hashToken(ret.State)),
			loginchallenge.MethodEQ(loginchallenge.MethodOAUTH), loginchallenge.StateEQ(loginchallenge.StatePENDING),
			loginchallenge.ExpiresAtGT(s.now()))
		c, err := store.LockRows(s.opts.Driver, q, store.LockWait).Only(sys)
		if ent.IsNotFound(err) {
			return errs.Gone("this connection link is invalid or has expired; start again")
		}
		if err != nil {
			return fmt.Errorf("find connection: %w", err)
		}
		out = OAuthClosing{Platform: c.Platform, Placement: c.OauthPlacement, OAuthID: deref(c.OauthID), Reconnect: []string{}}
		// From here on the connection's own workspace decides.
		wctx := viewer.NewContext(ctx, &viewer.Viewer{WorkspaceID: c.WorkspaceID, UserID: deref(c.UserID)})
		if ret.Error != "" {
			out.Error = truncate(ret.Error)
			s.publish(tx, c)
			return tx.LoginChallenge.UpdateOne(c).SetState(loginchallenge.StateFAILED).
				SetOutcome("denied").SetError(out.Error).Exec(wctx)
		}
		enc, err := s.seal(c.ID, sealed{Code: ret.Code})
		if err != nil {
			return err
		}
		in, err := s.exchangeKind.Input(ExchangePayload{OAuthID: out.OAuthID, Platform: c.Platform, RedirectURI: redirectURI},
			tasks.EnqueueInput{MaxAttempts: 1}) // a code is redeemable once
		if err != nil {
			return err
		}
		ts, err := s.tasks.EnqueueTx(wctx, tx, []tasks.EnqueueInput{in})
		if err != nil {
			return err
		}
		// The code's lifetime starts now: the worker has a whole TTL to
		// redeem it, after which ExpireDue cancels the exchange.
		if err := tx.LoginChallenge.UpdateOne(c).SetState(loginchallenge.StateSUBMITTED).SetSecretsEnc(enc).
			SetTaskID(ts[0].ID).SetExpiresAt(s.now().Add(s.opts.TTL)).Exec(wctx); err != nil {
			return fmt.Errorf("record code: %w", err)
		}
		s.publish(tx, c)
		if out.Reconnect, err = s.toReconnect(wctx, tx, c.Platform); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("finish connection: %w", err)
	}
	return out, nil
}

// toReconnect lists the platform's accounts whose connection failed.
func (s *Service) toReconnect(ctx context.Context, tx *ent.Tx, platform string) ([]string, error) {
	ids, err := tx.Account.Query().
		Where(account.PlatformEQ(oauthPlatforms[platform]), account.StatusEQ(account.StatusLOGIN_REQUIRED)).
		Order(account.ByID()).Select(account.FieldObjectID).Strings(ctx)
	if err != nil {
		return nil, fmt.Errorf("list accounts to reconnect: %w", err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// exchanged settles a connection with its OAUTH_EXCHANGE task's result:
// tokens sealed, pages stored without their tokens, and the tokens taken
// out of the task's stored result.
func (s *Service) exchanged(ctx context.Context, tx *ent.Tx, ts []*ent.Task) error {
	for _, t := range ts {
		if t.Status != task.StatusCOMPLETED && t.Status != task.StatusFAILED && t.Status != task.StatusCANCELLED {
			continue
		}
		c, err := tx.LoginChallenge.Query().Where(loginchallenge.TaskID(t.ID),
			loginchallenge.MethodEQ(loginchallenge.MethodOAUTH)).Only(ctx)
		if ent.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("find connection of task %d: %w", t.ID, err)
		}
		if c.State != loginchallenge.StateSUBMITTED {
			continue
		}
		u := tx.LoginChallenge.UpdateOne(c)
		if t.Status != task.StatusCOMPLETED {
			msg := t.Error
			if t.Status == task.StatusCANCELLED {
				msg = "the exchange task was cancelled"
			}
			u.SetState(loginchallenge.StateFAILED).SetOutcome(OutcomeError).SetError(truncate(msg)).ClearSecretsEnc()
		} else {
			r, err := tasks.Decode[ExchangeResult](t.Result)
			if err != nil {
				return fmt.Errorf("decode exchange of task %d: %w", t.ID, err)
			}
			tok := oauthTokens{AccessToken: r.AccessToken, RefreshToken: r.RefreshToken, ExpiresAt: r.ExpiresAt,
				PageTokens: map[string]string{}}
			pages := make([]map[string]any, 0, len(r.Pages))
			for _, p := range r.Pages {
				if p.AccessToken != "" {
					tok.PageTokens[p.OriginID] = p.AccessToken
				}
				p.AccessToken = ""
				m, err := toJSONMap(p)
				if err != nil {
					return err
				}
				pages = append(pages, m)
			}
			b, err := json.Marshal(tok)
			if err != nil {
				return err
			}
			enc, err := s.box.Seal(sealTable, c.ID, string(b))
			if err != nil {
				return err
			}
			u.SetSecretsEnc(enc).SetOauthPages(pages).SetState(loginchallenge.StateRESOLVED).
				SetOutcome(OutcomeOK).SetResolvedAt(s.now()).SetExpiresAt(s.now().Add(OAuthAttachTTL))
			if err := tx.Task.UpdateOneID(t.ID).SetResult(withoutTokens(t.Result)).Exec(ctx); err != nil {
				return fmt.Errorf("drop tokens from task %d: %w", t.ID, err)
			}
		}
		if err := u.Exec(ctx); err != nil {
			return fmt.Errorf("settle connection %d: %w", c.ID, err)
		}
		s.publish(tx, c)
	}
	return nil
}

// withoutTokens is a reported exchange result without its tokens, as it
// stays on the task for anyone to read.
func withoutTokens(result map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range result {
		switch k {
		case "accessToken", "refreshToken":
			out[k] = "[sealed]"
		case "pages":
			ps, _ := v.([]any)
			kept := make([]any, 0, len(ps))
			for _, p := range ps {
				if m, ok := p.(map[string]any); ok {
					c := make(map[string]any, len(m))
					for pk, pv := range m {
						if pk != "accessToken" {
							c[pk] = pv
						}
					}
					kept = append(kept, c)
				}
			}
			out[k] = kept
		default:
			out[k] = v
		}
	}
	return out
}

// connection returns the viewer's OAuth connection oauthID of platform.
// Another workspace's, or another platform's, is not found.
func (s *Service) connection(ctx context.Context, client *ent.LoginChallengeClient, oauthID, platform string) (*ent.LoginChallenge, error) {
	if !schema.IsObjectID(oauthID) {
		return nil, errs.NotFound("oauth account")
	}
	c, err := client.Query().Where(loginchallenge.OauthID(strings.ToLower(oauthID)),
		loginchallenge.MethodEQ(loginchallenge.MethodOAUTH), loginchallenge.Platform(platform)).Only(ctx)
	if err != nil {
		return nil, errs.FromEnt(err, "oauth account")
	}
	return c, nil
}

// usable checks that c's pages may be listed or attached.
func (s *Service) usable(c *ent.LoginChallenge) error {
	switch {
	case c.State == loginchallenge.StateFAILED:
		return errs.Invalid("accountId", "names a connection that failed: %s", c.Error)
	case c.State != loginchallenge.StateRESOLVED:
		return errs.Gone("the connection has expired; start again")
	case !c.ExpiresAt.After(s.now()):
		return errs.Gone("the connection has expired; start again")
	}
	return nil
}

// OAuthPages lists what connection oauthID of the viewer's workspace can
// attach, whose name contains search (case-insensitive). A connection
// whose code is still being exchanged is waited for, at most the
// configured wait.
func (s *Service) OAuthPages(ctx context.Context, platform, oauthID, search string) ([]OAuthPage, error) {
	c, err := s.connection(ctx, s.client.LoginChallenge, oauthID, platform)
	if err != nil {
		return nil, err
	}
	if c.State == loginchallenge.StateSUBMITTED || c.State == loginchallenge.StatePENDING {
		if c, err = s.waitSettled(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	if err := s.usable(c); err != nil {
		return nil, err
	}
	pages, err := pagesOf(c)
	if err != nil {
		return nil, err
	}
	connected, err := s.client.Account.Query().
		Where(account.PlatformEQ(oauthPlatforms[platform]), account.UsernameKeyIn(originKeys(pages)...)).
		Select(account.FieldUsernameKey).Strings(ctx)
	if err != nil {
		return nil, fmt.Errorf("find connected pages: %w", err)
	}
	out := make([]OAuthPage, 0, len(pages))
	search = strings.ToLower(strings.TrimSpace(search))
	for _, p := range pages {
		if search != "" && !strings.Contains(strings.ToLower(p.Name), search) {
			continue
		}
		p.Connected = slices.Contains(connected, schema.UsernameKey(p.OriginID))
		out = append(out, p)
	}
	return out, nil
}

func pagesOf(c *ent.LoginChallenge) ([]OAuthPage, error) {
	b, err := json.Marshal(c.OauthPages)
	if err != nil {
		return nil, err
	}
	var pages []OAuthPage
	if err := json.Unmarshal(b, &pages); err != nil {
		return nil, fmt.Errorf("decode pages of connection %d: %w", c.ID, err)
	}
	return pages, nil
}

func originKeys(pages []OAuthPage) []string {
	out := make([]string, len(pages))
	for i, p := range pages {
		out[i] = schema.UsernameKey(p.OriginID)
	}
	return out
}

// AttachInput picks one page of a connection to make an account of.
type AttachInput struct {
	Platform, OAuthID string
	OriginID          string
	// Name, Type and Avatar override what the worker reported.
	Name, Type, Avatar string
}

// AttachOAuth makes page in.OriginID of connection in.OAuthID an account
// of the viewer's workspace holding the connection's tokens, or renews
// the tokens of the account it already is.
func (s *Service) AttachOAuth(ctx context.Context, in AttachInput) (*ent.Account, error) {
	var out *ent.Account
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := s.connection(ctx, tx.LoginChallenge, in.OAuthID, in.Platform)
		if err != nil {
			return err
		}
		if err := s.usable(c); err != nil {
			return err
		}
		pages, err := pagesOf(c)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(pages, func(p OAuthPage) bool { return p.OriginID == in.OriginID })
		if in.OriginID == "" || i < 0 {
			return errs.Invalid("originId", "is not one of the accounts this connection reaches")
		}
		p := pages[i]
		p.Name, p.Type, p.Avatar = firstNonEmpty(in.Name, p.Name, p.OriginID), firstNonEmpty(in.Type, p.Type), firstNonEmpty(in.Avatar, p.Avatar)
		plain, err := s.box.Open(sealTable, c.ID, derefBytes(c.SecretsEnc))
		if err != nil {
			return fmt.Errorf("open tokens of connection %d: %w", c.ID, err)
		}
		var tok oauthTokens
		if err := json.Unmarshal([]byte(plain), &tok); err != nil {
			return fmt.Errorf("decode tokens of connection %d: %w", c.ID, err)
		}
		out, err = s.saveConnected(ctx, tx, c, p, tok)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("attach %s account: %w", in.Platform, err)
	}
	return out.Unwrap(), nil
}

// saveConnected creates the account of page p, or renews its tokens.
func (s *Service) saveConnected(ctx context.Context, tx *ent.Tx, c *ent.LoginChallenge, p OAuthPage, tok oauthTokens) (*ent.Account, error) {
	session := map[string]any{"accessToken": tok.AccessToken}
	if tok.RefreshToken != "" {
		session["refreshToken"] = tok.RefreshToken
	}
	if pt := tok.PageTokens[p.OriginID]; pt != "" {
		session["pageAccessToken"] = pt
	}
	b, err := json.Marshal(session)
	if err != nil {
		return nil, err
	}
	sessionData := string(b)
	active := account.StatusACTIVE
	profile := accounts.Profile{DisplayName: &p.Name, Status: &active}
	creds := accounts.Credentials{SessionData: &sessionData}
	platform := oauthPlatforms[c.Platform]
	existing, err := tx.Account.Query().
		Where(account.PlatformEQ(platform), account.UsernameKeyEQ(schema.UsernameKey(p.OriginID))).
		First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("find account %s: %w", p.OriginID, err)
	}
	var a *ent.Account
	if existing != nil {
		none := ""
		a, err = s.accounts.UpdateTx(ctx, tx, accounts.UpdateInput{ID: existing.ID, ErrorCode: &none, ErrorMessage: &none,
			Profile: profile, Credentials: creds})
	} else {
		if s.slots != nil && c.UserID != nil {
			if err := s.slots.ReserveAccountSlot(ctx, tx, *c.UserID); err != nil {
				return nil, err
			}
		}
		in := accounts.CreateInput{Platform: platform, Username: p.OriginID, Profile: profile, Credentials: creds}
		if err := accounts.ValidateCreate(in); err != nil {
			return nil, err
		}
		a, err = s.accounts.CreateTx(ctx, tx, in)
	}
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for k, v := range a.ExternalIds {
		ids[k] = v
	}
	ids[accounts.ExternalOriginID] = p.OriginID
	ids[accounts.ExternalOAuthID] = deref(c.OauthID)
	ids[accounts.ExternalAccountType] = p.Type
	ids[accounts.ExternalAvatar] = p.Avatar
	delete(ids, accounts.ExternalTokenExpiry)
	if tok.ExpiresAt != nil {
		ids[accounts.ExternalTokenExpiry] = tok.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return tx.Account.UpdateOne(a).SetExternalIds(ids).SetLastLoginAt(s.now()).Save(ctx)
}

// registerOAuth registers OAUTH_EXCHANGE on ts.
func (s *Service) registerOAuth(ts *tasks.Service) {
	s.exchangeKind = tasks.Register[ExchangePayload, ExchangeResult](ts, task.KindOAUTH_EXCHANGE,
		tasks.Handler{Name: "challenges.oauth", Stage: tasks.StageOwner, Func: s.exchanged})
}

func toJSONMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func derefBytes(p *[]byte) []byte {
	if p == nil {
		return nil
	}
	return *p
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
