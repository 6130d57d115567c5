package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// LoginChallenge is one live login of a social account and the 2FA or
// checkpoint step it may need: from the login task a worker runs, through
// the code the owner (or the server, from a TOTP secret or the owner's
// mailbox) submits, to the account it creates or re-authenticates. Its token
// is shown to the caller when a code is needed; only the SHA-256 is stored.
type LoginChallenge struct{ ent.Schema }

// Mixin of the LoginChallenge.
func (LoginChallenge) Mixin() []ent.Mixin {
	return []ent.Mixin{BaseMixin{}, TimeMixin{}, TenantMixin{}}
}

// Fields of the LoginChallenge.
func (LoginChallenge) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id").Optional().Nillable().
			Comment("the account re-authenticated, or created once the login succeeds"),
		field.String("username").NotEmpty().MaxLen(200),
		// Not exposed: only the verdict needs it, to apply that user's
		// plan when the login adds an account.
		field.Int("user_id").Optional().Nillable().
			Comment("the user who started the login, whose plan's account limit a new account counts against").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("relogin").Default(false).
			Comment("the login re-authenticates an existing account rather than adding one"),
		// LOGIN is the login itself, before the platform has asked for
		// anything. OAUTH is a connection through the platform's OAuth
		// consent screen: its token is the state parameter.
		field.Enum("method").Values("LOGIN", "EMAIL", "SMS", "TOTP", "TWO_FACTOR", "CHECKPOINT", "OAUTH").
			Default("LOGIN").
			Annotations(entgql.Type("ChallengeMethod")),
		field.Enum("state").
			Values("PENDING", "CODE_REQUESTED", "SUBMITTED", "RESOLVED", "FAILED", "EXPIRED").
			Default("PENDING").
			Annotations(entgql.OrderField("STATE"), entgql.Type("ChallengeState")),
		field.String("token_hash").NotEmpty().Unique().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("contact_point").Default("").
			Comment("masked e-mail or phone the platform sent the code to"),
		field.Time("challenge_at").Optional().Nillable().
			Comment("when the platform asked for a code: mail older than this holds no valid code"),
		field.String("imap_host").Default(""),
		field.Int("imap_port").Default(0).Min(0).Max(65535),
		field.String("imap_username").Default(""),
		// Password, proxy, TOTP secret, IMAP password, the worker's
		// challenge session and the code being submitted, sealed together.
		field.Bytes("secrets_enc").Optional().Nillable().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("outcome").Default("").
			Comment("the last verdict of the platform: success, challenge, two_factor, bad_password, checkpoint, not_found, wrong_code, error"),
		field.Time("presented_at").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipAll)).
			Comment("when a caller was last given the current state; a retried request is given an unseen verdict once"),
		field.Time("expires_at"),
		field.Int("attempts").Default(0).Min(0),
		field.Int("max_attempts").Default(5).Min(1),
		field.Int("task_id").Optional().Nillable(),
		field.String("error").Default(""),
		field.Time("resolved_at").Optional().Nillable(),
		field.String("platform").Default("").
			Comment("the platform an OAuth connection is for, as the caller named it (tiktok-business)"),
		field.String("oauth_id").Optional().Nillable().Unique().MaxLen(24).
			Comment("the 24-hex id of an OAuth connection, which its pages are listed and attached by").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("oauth_placement").Default("").
			Comment("what the caller passed as page when starting an OAuth connection, echoed to the opener").
			Annotations(entgql.Skip(entgql.SkipAll)),
		// Names, ids and avatars only: the tokens are sealed in secrets_enc.
		field.JSON("oauth_pages", []map[string]any{}).Optional().
			Comment("the pages, channels or locations the worker found the OAuth grant can reach").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the LoginChallenge.
func (LoginChallenge) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("account", Account.Type).Field("account_id").Unique(),
		edge.To("task", Task.Type).Field("task_id").Unique(),
	}
}

// Indexes of the LoginChallenge.
func (LoginChallenge) Indexes() []ent.Index {
	return append(pageIndexes(LoginChallenge{}), index.Fields("state", "expires_at"), index.Fields("workspace_id", "username"))
}

// Annotations of the LoginChallenge.
func (LoginChallenge) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
