package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"
)

// User is an account. The email is stored normalised (see account.NormalizeEmail);
// the password hash never leaves the server.
type User struct {
	ent.Schema
}

func (User) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).
			Default(uuid.New).
			Immutable(),
		field.String("email").
			MaxLen(320).
			NotEmpty().
			Unique(),
		field.String("password_hash").
			Sensitive(),
		field.Time("created_at").
			Immutable(),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sessions", Session.Type),
		edge.To("security_events", SecurityEvent.Type),
	}
}
