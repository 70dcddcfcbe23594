package events

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/latchhq/latch/ent"
)

// channel is the PostgreSQL notification channel session events cross on.
const channel = "latch_session_events"

// Postgres is the bus of several instances sharing one PostgreSQL
// database: each event is delivered at once to this instance's own
// subscribers (through Local) and sent to the others with NOTIFY; a
// listener on each instance hands the others' events to its subscribers.
// A notification carries ids only; the session is read back from the
// database, so nothing secret or stale crosses the wire.
type Postgres struct {
	*Local
	url   string
	db    *ent.Client
	sql   *sql.DB
	id    string // this instance, so it skips its own notifications
	log   *slog.Logger
	ready chan struct{}
}

// wire is one notification.
type wire struct {
	Instance string    `json:"i"`
	Kind     Kind      `json:"k"`
	Session  uuid.UUID `json:"s"`
	At       time.Time `json:"t"`
}

// NewPostgres returns a bus that notifies through sqldb and listens on its
// own connection to url once Run is called.
func NewPostgres(url string, db *ent.Client, sqldb *sql.DB, log *slog.Logger) *Postgres {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Postgres{Local: NewLocal(), url: url, db: db, sql: sqldb, id: hex.EncodeToString(b), log: log, ready: make(chan struct{})}
}

// Publish delivers e here and notifies the other instances. A failed
// NOTIFY is logged: the other instances' sockets then learn of the change
// at their next session check instead.
func (p *Postgres) Publish(ctx context.Context, e SessionEvent) {
	p.Local.Publish(ctx, e)
	b, err := json.Marshal(wire{Instance: p.id, Kind: e.Kind, Session: e.Session.ID, At: e.At})
	if err == nil {
		_, err = p.sql.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, string(b))
	}
	if err != nil {
		p.log.WarnContext(ctx, "notify session event failed", slog.String("session_id", e.Session.ID.String()), slog.Any("error", err))
	}
}

// Ready is closed once the listener first listens.
func (p *Postgres) Ready() <-chan struct{} { return p.ready }

// Run listens until ctx ends, reconnecting after a failure.
func (p *Postgres) Run(ctx context.Context) {
	first := true
	for ctx.Err() == nil {
		err := p.listen(ctx, &first)
		if ctx.Err() != nil {
			return
		}
		p.log.Warn("session event listener stopped; reconnecting", slog.Any("error", err))
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (p *Postgres) listen(ctx context.Context, first *bool) error {
	conn, err := pgx.Connect(ctx, p.url)
	if err != nil {
		return fmt.Errorf("connect listener: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if *first {
		*first = false
		close(p.ready)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		p.deliver(ctx, n.Payload)
	}
}

// deliver hands another instance's event to this instance's subscribers.
func (p *Postgres) deliver(ctx context.Context, payload string) {
	var w wire
	if err := json.Unmarshal([]byte(payload), &w); err != nil || w.Instance == p.id {
		return
	}
	switch w.Kind {
	case Created, Revoked, Expired:
	default:
		return // not ours: anyone who can connect can NOTIFY
	}
	s, err := p.db.Session.Get(ctx, w.Session)
	if err != nil {
		p.log.Warn("load notified session failed", slog.String("session_id", w.Session.String()), slog.Any("error", err))
		return
	}
	if w.Kind != Created && s.RevokedAt == nil {
		return // an end the database does not show did not happen
	}
	p.Local.Publish(ctx, SessionEvent{Kind: w.Kind, Session: s, At: w.At})
}
