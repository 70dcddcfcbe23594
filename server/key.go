package main

import (
	"errors"
	"fmt"

	"github.com/latchhq/latch/database"
	"github.com/latchhq/latch/seal"
)

// secretKey is the key sealing 2FA secrets: --secret-key / LATCH_SECRET_KEY,
// or for the embedded SQLite default a key file created once beside the
// database (with a warning: losing that file loses every 2FA setup).
func (m *Main) secretKey(db *database.DB) (*seal.Key, error) {
	if m.Config.SecretKey != "" {
		k, err := seal.ParseKey(m.Config.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("invalid LATCH_SECRET_KEY: %w", err)
		}
		return k, nil
	}
	if db.Path == "" {
		return nil, errors.New("LATCH_SECRET_KEY is required with this database (generate one with: openssl rand -hex 32)")
	}
	path := db.Path + ".key"
	k, created, err := seal.LoadOrCreateKeyFile(path, m.Rand)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if created {
		m.Log.Warn("no LATCH_SECRET_KEY given: created a key file beside the database; back it up with the database, or set LATCH_SECRET_KEY", "path", path)
	}
	return k, nil
}
