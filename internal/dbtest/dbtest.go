// Package dbtest gives domain tests a real, migrated SQLite database of their own and bare rows to hang their cases on.
package dbtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/ent"
)

// Open opens a fresh SQLite file in t's temporary directory, migrated, and
// closes it when t ends.
func Open(t testing.TB, ctx context.Context) *database.DB {
	t.Helper()
	db, err := database.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// User inserts an account with a unique email (and no usable password),
// created at at, and returns its id.
func User(t testing.TB, ctx context.Context, c *ent.Client, at time.Time) uuid.UUID {
	t.Helper()
	u, err := c.User.Create().
		SetEmail(uuid.NewString() + "@example.com").
		SetPasswordHash("x").
		SetCreatedAt(at).
		Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
