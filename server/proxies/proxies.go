// Package proxies owns the server's shared proxy pool.
package proxies

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/proxy"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// MaxProxyLen is the longest proxy string, in bytes (the column's limit).
const MaxProxyLen = 500

// Schemes are the proxy schemes the pool accepts.
var Schemes = []string{"http", "https", "socks4", "socks5", "socks5h"}

// Service reads the pool and lets admins manage it. It belongs to no
// workspace: every signed-in viewer may read all of it, credentials
// included, as Sharingtools does.
type Service struct{ client *ent.Client }

// NewService returns a proxy service.
func NewService(client *ent.Client) *Service { return &Service{client: client} }

// ValidCountryCode reports whether cc is a two-letter country code (of
// either case).
func ValidCountryCode(cc string) bool {
	if len(cc) != 2 {
		return false
	}
	for _, c := range []byte(cc) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// List returns one page of the pool in the order it was filled, only the
// proxies of countryCode if given (matched in either case), and how many
// match in all.
func (s *Service) List(ctx context.Context, countryCode string, page, perPage int) ([]*ent.Proxy, int, error) {
	q := s.client.Proxy.Query()
	if countryCode != "" {
		if !ValidCountryCode(countryCode) {
			return nil, 0, errs.Invalid("countryCode", "must be a two-letter country code")
		}
		q = q.Where(proxy.CountryCodeEqualFold(countryCode))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count proxies: %w", err)
	}
	page = max(page, 1)
	if perPage < 1 {
		perPage = 20
	}
	ps, err := q.Order(ent.Asc(proxy.FieldID)).Offset((page - 1) * perPage).Limit(perPage).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list proxies: %w", err)
	}
	return ps, total, nil
}

// Input is a proxy of the pool; nil fields of an update are left as they are.
type Input struct {
	// Proxy is scheme://[user:pass@]host:port.
	Proxy *string
	// CountryCode is "" or a two-letter country code, stored upper-case.
	CountryCode *string
}

// check validates and normalizes the set fields of in; create requires the
// proxy.
func (in *Input) check(create bool) error {
	if in.Proxy == nil && create {
		return errs.Invalid("proxy", "is required")
	}
	if in.Proxy != nil {
		p := strings.TrimSpace(*in.Proxy)
		if err := checkProxy(p); err != nil {
			return err
		}
		in.Proxy = &p
	}
	if in.CountryCode != nil {
		cc := strings.TrimSpace(*in.CountryCode)
		if cc != "" && !ValidCountryCode(cc) {
			return errs.Invalid("countryCode", "must be empty or a two-letter country code")
		}
		cc = strings.ToUpper(cc)
		in.CountryCode = &cc
	}
	return nil
}

// checkProxy validates a trimmed proxy string. Its messages never repeat
// the string, which carries a password.
func checkProxy(p string) error {
	const form = "must look like scheme://[user:pass@]host:port"
	if p == "" {
		return errs.Invalid("proxy", "is required")
	}
	if len(p) > MaxProxyLen {
		return errs.Invalid("proxy", "must be at most %d characters", MaxProxyLen)
	}
	// url.Parse's errors quote the URL, password included: never pass them on.
	u, err := url.Parse(p)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return errs.Invalid("proxy", form)
	}
	if !slices.Contains(Schemes, u.Scheme) {
		return errs.Invalid("proxy", "scheme must be one of %s", strings.Join(Schemes, ", "))
	}
	if u.User != nil {
		if pass, ok := u.User.Password(); u.User.Username() == "" || !ok || pass == "" {
			return errs.Invalid("proxy", "credentials must be user:pass (%s)", form)
		}
	}
	if u.Hostname() == "" {
		return errs.Invalid("proxy", "host is required (%s)", form)
	}
	if port, err := strconv.Atoi(u.Port()); err != nil || port < 1 || port > 65535 {
		return errs.Invalid("proxy", "port must be a number from 1 to 65535 (%s)", form)
	}
	if u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return errs.Invalid("proxy", "must not have a path, query or fragment (%s)", form)
	}
	return nil
}

// errForbidden is the refusal of a change to the pool by a non-admin.
var errForbidden = errs.Forbidden("only administrators manage the proxy pool")

// errDuplicate is a proxy string already in the pool.
var errDuplicate = errs.Conflict("proxy already in the pool")

// saveErr maps an error of saving a proxy to a domain error, with op as
// context: a unique constraint is the proxy string (a race past taken).
func saveErr(op string, err error) error {
	if ent.IsConstraintError(err) {
		return fmt.Errorf("%s: %w", op, errDuplicate)
	}
	return fmt.Errorf("%s: %w", op, errs.FromEnt(err, "proxy"))
}

// taken reports whether the proxy string p is in the pool under another id
// than id (0 for none).
func (s *Service) taken(ctx context.Context, p string, id int) (bool, error) {
	q := s.client.Proxy.Query().Where(proxy.Proxy(p))
	if id != 0 {
		q = q.Where(proxy.IDNEQ(id))
	}
	return q.Exist(ctx)
}

// Create adds a proxy (admins only).
func (s *Service) Create(ctx context.Context, in Input) (*ent.Proxy, error) {
	if !viewer.FromContext(ctx).IsAdmin() {
		return nil, errForbidden
	}
	if err := in.check(true); err != nil {
		return nil, err
	}
	switch dup, err := s.taken(ctx, *in.Proxy, 0); {
	case err != nil:
		return nil, fmt.Errorf("create proxy: %w", err)
	case dup:
		return nil, errDuplicate
	}
	c := s.client.Proxy.Create().SetProxy(*in.Proxy)
	if in.CountryCode != nil {
		c.SetCountryCode(*in.CountryCode)
	}
	p, err := c.Save(ctx)
	if err != nil {
		return nil, saveErr("create proxy", err)
	}
	return p, nil
}

// Update changes a proxy (admins only).
func (s *Service) Update(ctx context.Context, id int, in Input) (*ent.Proxy, error) {
	if !viewer.FromContext(ctx).IsAdmin() {
		return nil, errForbidden
	}
	if err := in.check(false); err != nil {
		return nil, err
	}
	if _, err := s.Get(ctx, id); err != nil {
		return nil, fmt.Errorf("update proxy: %w", err)
	}
	if in.Proxy != nil {
		switch dup, err := s.taken(ctx, *in.Proxy, id); {
		case err != nil:
			return nil, fmt.Errorf("update proxy %d: %w", id, err)
		case dup:
			return nil, errDuplicate
		}
	}
	u := s.client.Proxy.UpdateOneID(id)
	if in.Proxy != nil {
		u.SetProxy(*in.Proxy)
	}
	if in.CountryCode != nil {
		u.SetCountryCode(*in.CountryCode)
	}
	p, err := u.Save(ctx)
	if err != nil {
		return nil, saveErr(fmt.Sprintf("update proxy %d", id), err)
	}
	return p, nil
}

// Delete removes a proxy (admins only). A proxy in use may go: accounts
// keep their own copy of the proxy string.
func (s *Service) Delete(ctx context.Context, id int) error {
	if !viewer.FromContext(ctx).IsAdmin() {
		return errForbidden
	}
	if err := s.client.Proxy.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("delete proxy %d: %w", id, errs.FromEnt(err, "proxy"))
	}
	return nil
}

// Get returns one proxy.
func (s *Service) Get(ctx context.Context, id int) (*ent.Proxy, error) {
	p, err := s.client.Proxy.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get proxy %d: %w", id, errs.FromEnt(err, "proxy"))
	}
	return p, nil
}

// IDsOf returns the pool entries of the proxy addresses addrs by address:
// an account keeps its own copy of its proxy's address, so the entry it
// uses is the one with the same address. An address not in the pool (set
// by hand, or its entry deleted) is left out.
func (s *Service) IDsOf(ctx context.Context, addrs ...string) (map[string]uuid.UUID, error) {
	out := make(map[string]uuid.UUID, len(addrs))
	if len(addrs) == 0 {
		return out, nil
	}
	ps, err := s.client.Proxy.Query().Where(proxy.ProxyIn(addrs...)).
		Select(proxy.FieldProxy, proxy.FieldUUID).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("find proxies: %w", err)
	}
	for _, p := range ps {
		out[p.Proxy] = p.UUID
	}
	return out, nil
}
