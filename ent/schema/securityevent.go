package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// SecurityEvent is one line of a user's security log.
type SecurityEvent struct {
	ent.Schema
}

func (SecurityEvent) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).
			Default(uuid.New).
			Immutable(),
		field.UUID("user_id", uuid.UUID{}).
			Immutable(),
		field.Enum("kind").
			Values(
				"SIGNED_UP", "LOGGED_IN", "LOGIN_FAILED", "LOGGED_OUT",
				"TWO_FACTOR_ENABLED", "TWO_FACTOR_DISABLED", "TWO_FACTOR_FAILED",
				"RECOVERY_CODE_USED", "RECOVERY_CODES_REGENERATED",
				"SESSION_REVOKED", "PASSWORD_CHANGED", "REAUTHENTICATED",
			).
			Immutable(),
		field.Time("at").
			Immutable(),
		field.String("ip").
			Immutable(),
		field.String("user_agent").
			Immutable(),
		// session_id is the acting session, kept without a foreign key so the
		// log outlives session rows.
		field.UUID("session_id", uuid.UUID{}).
			Optional().
			Nillable().
			Immutable(),
	}
}

func (SecurityEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).
			Ref("security_events").
			Field("user_id").
			Unique().
			Required().
			Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (SecurityEvent) Indexes() []ent.Index {
	return []ent.Index{
		// The security log: a user's events, newest first, keyset paged.
		index.Fields("user_id", "at", "id"),
		// The retention sweep.
		index.Fields("at"),
	}
}
