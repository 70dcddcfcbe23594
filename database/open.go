package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/migrate"
)

var migrateMu sync.Mutex

// DB is an open, migrated store.
type DB struct {
	*ent.Client
	SQL     *sql.DB
	Dialect string
	// Path is the SQLite file, "" for other databases.
	Path string
}

// Open connects to rawURL (sqlite://path, sqlite:///abs/path or
// postgres://user@host/db), applies
// the schema and returns the client. It never includes the URL in errors,
// since a URL may carry a password.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("open database: the database URL is not a valid URL")
	}
	var db *DB
	switch u.Scheme {
	case "sqlite", "sqlite3", "file":
		db, err = openSQLite(u)
	case "postgres", "postgresql":
		db, err = openPostgres(u)
	default:
		return nil, fmt.Errorf("open database: unsupported scheme %q (use sqlite:// or postgres://)", u.Scheme)
	}
	if err != nil {
		return nil, err
	}
	// Ent's migration keeps its table descriptions in package variables and
	// writes them while it runs, so migrations in one process take turns.
	migrateMu.Lock()
	err = db.Schema.Create(ctx, migrate.WithForeignKeys(true))
	migrateMu.Unlock()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return db, nil
}

// sqlitePath turns sqlite://latch.db (relative) and sqlite:///abs/latch.db
// into a file path.
func sqlitePath(u *url.URL) (string, error) {
	p := u.Host + u.Path
	if u.Opaque != "" {
		p = u.Opaque
	}
	if p == "" || strings.ContainsAny(p, "?#") {
		return "", errors.New("open database: the SQLite URL names no file")
	}
	return filepath.Clean(p), nil
}

func openSQLite(u *url.URL) (*DB, error) {
	path, err := sqlitePath(u)
	if err != nil {
		return nil, err
	}
	sqldb, err := sql.Open(sqliteDriver, sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// Readers run in parallel under WAL; writers queue on BEGIN IMMEDIATE
	// and the busy timeout instead of failing with "database is locked".
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	if err := sqldb.Ping(); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	drv := entsql.OpenDB("sqlite3", sqldb)
	return &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: sqldb, Dialect: "sqlite3", Path: path}, nil
}

// Ping reports whether the database answers; for /readyz.
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }
