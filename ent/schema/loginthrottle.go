package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// LoginThrottle counts consecutive wrong passwords for one email, whether
// or not an account has it, so the cool-down cannot tell which emails
// exist. The email is kept only as a keyed hash.
type LoginThrottle struct {
	ent.Schema
}

func (LoginThrottle) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).
			Default(uuid.New).
			Immutable(),
		field.Bytes("email_hash").
			Sensitive().
			Unique().
			Immutable(),
		field.Int("failures").
			Default(0),
		field.Time("locked_until").
			Optional().
			Nillable(),
		field.Time("updated_at"),
	}
}

func (LoginThrottle) Indexes() []ent.Index {
	return []ent.Index{
		// Pruning rows of runs that ended long ago.
		index.Fields("updated_at"),
	}
}
