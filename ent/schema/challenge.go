package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Challenge is the half-finished login of a user with two-factor
// authentication: proof of the password, waiting for a code. Only the
// SHA-256 of its token is stored.
type Challenge struct {
	ent.Schema
}

func (Challenge) Fields() []ent.Field {
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
		field.Time("created_at").
			Immutable(),
		field.Time("expires_at").
			Immutable(),
		field.Int("failed_attempts").
			Default(0),
		field.Time("consumed_at").
			Optional().
			Nillable(),
	}
}

func (Challenge) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).
			Ref("challenges").
			Field("user_id").
			Unique().
			Required().
			Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (Challenge) Indexes() []ent.Index {
	return []ent.Index{
		// Pruning old challenges.
		index.Fields("expires_at"),
	}
}
