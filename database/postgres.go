package database

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/latchhq/latch/ent"
)

// openPostgres connects to a PostgreSQL URL. Several latch instances may
// share one database: every rule that must hold across them (replay
// guards, spent codes, throttles, revocation) is a conditional write there.
func openPostgres(u *url.URL) (*DB, error) {
	sqldb, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, errors.New("open database: the PostgreSQL URL is not valid")
	}
	sqldb.SetMaxOpenConns(20)
	sqldb.SetMaxIdleConns(10)
	if err := sqldb.Ping(); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open database: PostgreSQL did not answer (%s)", pgReason(err))
	}
	drv := entsql.OpenDB("postgres", sqldb)
	return &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: sqldb, Dialect: "postgres"}, nil
}

// pgReason keeps a connection error short and free of the URL (which may
// hold a password).
func pgReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return "invalid URL"
	}
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
