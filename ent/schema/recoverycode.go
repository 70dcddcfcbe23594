package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// RecoveryCode is one one-time code of a user's current set. The code is
// sealed (so settings can show it again) and found by a keyed hash.
type RecoveryCode struct {
	ent.Schema
}

func (RecoveryCode) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).
			Default(uuid.New).
			Immutable(),
		field.UUID("user_id", uuid.UUID{}).
			Immutable(),
		field.Int("position").
			Immutable(),
		field.Bytes("sealed_code").
			Sensitive().
			Immutable(),
		field.Bytes("lookup_hash").
			Sensitive().
			Immutable(),
		field.Time("created_at").
			Immutable(),
		field.Time("used_at").
			Optional().
			Nillable(),
	}
}

func (RecoveryCode) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).
			Ref("recovery_codes").
			Field("user_id").
			Unique().
			Required().
			Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (RecoveryCode) Indexes() []ent.Index {
	return []ent.Index{
		// Spending a code: the owner's row with that hash.
		index.Fields("user_id", "lookup_hash").
			Unique(),
	}
}
