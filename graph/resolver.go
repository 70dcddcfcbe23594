package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/latchhq/latch/account"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/session"
	"github.com/latchhq/latch/twofactor"
)

// Resolver holds the dependencies of every resolver; it is the only
// hand-written wiring in this package.
type Resolver struct {
	DB           *ent.Client
	Accounts     *account.Service
	SessionStore *session.Manager
	TwoFactors   *twofactor.Service
}

// NewSchema returns the executable schema over r.
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: r})
}
