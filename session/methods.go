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
	have := slices.Clone(s.Methods)
	for _, mm := range methods {
		if !slices.Contains(have, mm) {
			have = append(have, mm)
		}
	}
	if err := tx.Session.UpdateOneID(s.ID).SetMethods(have).Exec(ctx); err != nil {
		return fmt.Errorf("add session methods: %w", err)
	}
	return nil
}
