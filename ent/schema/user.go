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
		// Consecutive second-factor failures across all challenges and
		// instances, and the cool-down they earned (see the throttle package).
		field.Int("second_factor_failures").
			Default(0),
		field.Time("second_factor_locked_until").
			Optional().
			Nillable(),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sessions", Session.Type),
		edge.To("security_events", SecurityEvent.Type),
		edge.To("totp", TOTPCredential.Type).
			Unique(),
		edge.To("recovery_codes", RecoveryCode.Type),
		edge.To("challenges", Challenge.Type),
	}
}
