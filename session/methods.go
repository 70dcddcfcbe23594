package session

import (
	"context"
	"fmt"
	"slices"

	"github.com/latchhq/latch/ent"
)

// AddMethods records, inside tx, that s has also proved methods (e.g. TOTP
// after enrolling from this session), without touching authenticatedAt.
func (m *Manager) AddMethods(ctx context.Context, tx *ent.Tx, s *ent.Session, methods ...string) error {
	if err := tx.Session.UpdateOneID(s.ID).SetMethods(withMethods(s.Methods, methods)).Exec(ctx); err != nil {
		return fmt.Errorf("add session methods: %w", err)
	}
	return nil
}

// withMethods is have plus each of more it lacks, in order, as a new slice.
func withMethods(have, more []string) []string {
	out := slices.Clone(have)
	for _, m := range more {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}
