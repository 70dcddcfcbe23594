package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Session is one signed-in device. Only the SHA-256 of its token is stored;
// revocation sets revoked_at so the row stays for the security log.
type Session struct {
	ent.Schema
}

func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).
			Default(uuid.New).
			Immutable(),
		field.UUID("user_id", uuid.UUID{}).
			Immutable(),
		field.Bytes("token_hash").
			Sensitive().
			Unique().
			Immutable(),
		field.String("ip").
			Immutable(),
		field.String("user_agent").
			Immutable(),
		field.String("browser").
			Immutable(),
		field.String("os").
			Immutable(),
		field.Time("created_at").
			Immutable(),
		field.Time("last_seen_at"),
		field.Time("authenticated_at"),
		field.Time("expires_at").
			Immutable(),
		field.Time("revoked_at").
			Optional().
			Nillable(),
		field.Enum("end_reason").
			Values("logout", "revoked", "expired", "password_changed").
			Optional().
			Nillable(),
		field.Strings("methods"),
	}
}

func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).
			Ref("sessions").
			Field("user_id").
			Unique().
			Required().
			Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (Session) Indexes() []ent.Index {
	return []ent.Index{
		// The active-sessions list: a user's sessions, newest first, keyset paged.
		index.Fields("user_id", "created_at", "id"),
		// The expiry sweep: live sessions by absolute expiry.
		index.Fields("revoked_at", "expires_at"),
		index.Fields("revoked_at", "last_seen_at"),
	}
}
