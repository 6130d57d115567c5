package schema

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Account is any social account, bot or channel Switchboard manages. Its
// credentials are encrypted by server/secrets before they reach these
// fields and are never exposed over GraphQL.
type Account struct{ ent.Schema }

// Mixin of the Account.
func (Account) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, ObjectIDMixin{}, TimeMixin{}, TenantMixin{}}
}

// secret is an encrypted credential column: ciphertext only, never in
// GraphQL, never printed by ent's String().
func secret(name string) ent.Field {
	return field.Bytes(name).Optional().Nillable().Sensitive().
		Annotations(entgql.Skip(entgql.SkipAll))
}

// Fields of the Account.
func (Account) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("platform").
			Values("instagram", "facebook", "x", "tiktok", "linkedin", "threads", "youtube", "pinterest", "google", "bluesky", "other").
			Annotations(entgql.OrderField("PLATFORM"), entgql.Type("Platform")),
		field.String("username").NotEmpty().MaxLen(200).
			Annotations(entgql.OrderField("USERNAME")),
		// username_key makes usernames unique without regard to case, in the
		// database, so that two concurrent creations of "raceN" and "RACEN"
		// cannot both succeed. Set by the hook below from username, never by
		// callers.
		field.String("username_key").NotEmpty().
			Comment("UsernameKey(username): unique per workspace and platform").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("display_name").Default("").MaxLen(200),
		// Shillbot's BOT_STATUS values are a subset of these.
		field.Enum("status").
			Values("PENDING", "ACTIVE", "INACTIVE", "WAITING", "LOGGING", "LOGIN_REQUIRED",
				"LOGIN_CODE_REQUEST", "CHECKPOINT", "LOCKED", "SUSPENDED", "PROXY_FAILED",
				"ERROR", "BANNED", "DEAD", "DISABLED").
			Default("PENDING").
			Annotations(entgql.OrderField("STATUS"), entgql.Type("AccountStatus")),
		field.String("error_code").Default(""),
		field.String("error_message").Default(""),
		field.String("email").Default("").MaxLen(254),
		field.String("proxy").Default("").MaxLen(500),
		field.String("imap_host").Default(""),
		field.Int("imap_port").Default(0).Min(0).Max(65535),
		field.String("imap_username").Default(""),
		field.String("link_profile").Default(""),
		field.String("pool_id").Default("").
			Comment("account pool, for cooldown rules limited to a pool"),
		field.Text("note").Default(""),
		field.String("external_status").Default("").
			Comment("status as last written by a compatibility API whose status values are not AccountStatus"),
		field.JSON("external_ids", map[string]string{}).Optional().
			Comment("identifiers of the account in another product (register_id, group_id, site_id)").
			Annotations(entgql.Skip(entgql.SkipAll)),
		secret("password_enc"),
		secret("cookie_enc"),
		secret("totp_secret_enc"),
		secret("app_password_enc"),
		secret("mail_password_enc"),
		secret("imap_password_enc"),
		secret("session_data_enc"),
		field.Int("energy_budget").Default(100).Min(0).
			Comment("energy the account may spend in any 24 hours"),
		field.JSON("stats", map[string]any{}).Optional().
			Annotations(entgql.Type("Map")),
		field.Strings("tags").Optional(),
		field.Time("last_login_at").Optional().Nillable(),
		field.Time("last_action_at").Optional().Nillable(),
		// What a bot fleet (Shillbot) keeps of an X account besides the
		// above: how it was added, its public profile and counters as its
		// last login read them, and when it was removed.
		field.String("phone").Default("").MaxLen(50),
		field.Bool("blue_tick").Default(false),
		field.Enum("created_by").Values("USER", "SYSTEM").Default("USER").
			Annotations(entgql.Type("AccountCreator")),
		field.Int("follower_count").Optional().Nillable(),
		field.Int("following_count").Optional().Nillable(),
		field.String("profile_name").Default("").MaxLen(200),
		field.Text("profile_bio").Default(""),
		field.String("profile_avatar").Default("").MaxLen(2048),
		field.String("profile_banner").Default("").MaxLen(2048),
		field.String("profile_website").Default("").MaxLen(2048),
		field.Time("profile_updated_at").Optional().Nillable(),
		// The secret of the bot's authenticator app (Shillbot's
		// appAuthSecret), encrypted like the other credentials.
		secret("app_auth_secret_enc"),
		// A deleted bot stays for its history (spams, logs) and is listed
		// only when asked for; it takes no new work.
		field.Time("deleted_at").Optional().Nillable(),
	}
}

// Edges of the Account.
func (Account) Edges() []ent.Edge {
	return []ent.Edge{
		// The back-reference makes Post.accounts many-to-many: an account is
		// the target of many posts.
		edge.From("posts", Post.Type).Ref("accounts").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// And Schedule.bots many-to-many: a bot posts for many campaigns.
		edge.From("bot_tasks", Schedule.Type).Ref("bots").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// And AccountGroup.accounts: an account is in any number of groups.
		edge.From("groups", AccountGroup.Type).Ref("accounts").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Account.
func (Account) Indexes() []ent.Index {
	return append(pageIndexes(Account{}),
		index.Fields("workspace_id", "platform", "username_key").Unique(),
	)
}

// Hooks of the Account.
func (Account) Hooks() []ent.Hook {
	return []ent.Hook{setUsernameKey}
}

// UsernameKey is the form of an account's username that decides whether two
// accounts are the same: platforms treat usernames without regard to case
// (Instagram's "Ada" and "ada" are one account). Surrounding space is not
// part of a username.
func UsernameKey(username string) string {
	return strings.ToLower(strings.TrimSpace(username))
}

// setUsernameKey keeps username_key equal to UsernameKey(username) on every
// creation and on every update that sets the username, whoever writes it.
func setUsernameKey(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if v, ok := m.Field("username"); ok {
			name, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("set username key: username is %T", v)
			}
			if err := m.SetField("username_key", UsernameKey(name)); err != nil {
				return nil, fmt.Errorf("set username key: %w", err)
			}
		}
		return next.Mutate(ctx, m)
	})
}

// Annotations of the Account.
func (Account) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("accounts")}
}
