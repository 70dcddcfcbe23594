package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"
)

// TOTPCredential is a user's authenticator-app secret: pending while
// confirmed_at is null (an enrolment in progress), active once confirmed.
// The seed is sealed (seal package) with "totp|<user id>" as associated
// data; last_used_step is the replay guard.
type TOTPCredential struct {
	ent.Schema
}

func (TOTPCredential) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).
			Default(uuid.New).
			Immutable(),
		field.UUID("user_id", uuid.UUID{}).
			Unique().
			Immutable(),
		field.Bytes("sealed_secret").
			Sensitive().
			Immutable(),
		field.Time("created_at").
			Immutable(),
		field.Time("pending_expires_at").
			Immutable(),
		field.Int("failed_attempts").
			Default(0),
		field.Time("confirmed_at").
			Optional().
			Nillable(),
		field.Int64("last_used_step").
			Default(0),
	}
}

func (TOTPCredential) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).
			Ref("totp").
			Field("user_id").
			Unique().
			Required().
			Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}
