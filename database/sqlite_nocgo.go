//go:build !cgo

package database

import (
	"net/url"

	_ "modernc.org/sqlite" // registers "sqlite", pure Go for machines without a C compiler
)

const sqliteDriver = "sqlite"

// sqliteDSN matches the cgo build's settings in modernc's syntax; times are
// written in SQLite's own format so both drivers read each other's files.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}
