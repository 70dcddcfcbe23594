//go:build cgo

package database

import (
	"net/url"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"
)

const sqliteDriver = "sqlite3"

// sqliteDSN: WAL for many readers and one writer, foreign keys on, writers
// take the lock at BEGIN (IMMEDIATE) so they queue on the busy timeout.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Set("_fk", "1")
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL")
	return "file:" + path + "?" + q.Encode()
}
