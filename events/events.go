package events

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/ent"
)

// Kind is what happened to a session.
type Kind string

const (
	Created Kind = "CREATED"
	Revoked Kind = "REVOKED"
	Expired Kind = "EXPIRED"
)

// SessionEvent is one change to one session, published after its commit.
type SessionEvent struct {
	Kind    Kind
	Session *ent.Session
	At      time.Time
}

// UserID is the owner of the changed session: the only user told about it.
func (e SessionEvent) UserID() uuid.UUID { return e.Session.UserID }

// Publisher is what state-changing code needs: hand over committed events.
type Publisher interface {
	Publish(ctx context.Context, e SessionEvent)
}

// Subscriber is what live transports need.
type Subscriber interface {
	// Subscribe returns a subscription to userID's session events. The
	// subscription's channel is closed when it is cancelled or dropped for
	// falling behind.
	Subscribe(userID uuid.UUID) *Subscription
}

// Bus is both sides.
type Bus interface {
	Publisher
	Subscriber
}
