package audit

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/latchhq/latch/client"
	"github.com/latchhq/latch/clock"
	"github.com/latchhq/latch/ent"
	"github.com/latchhq/latch/ent/securityevent"
)

// Kind is a SecurityEventKind of the API.
type Kind = securityevent.Kind

// The kinds, named as in the API.
const (
	SignedUp                 = securityevent.KindSIGNED_UP
	LoggedIn                 = securityevent.KindLOGGED_IN
	LoginFailed              = securityevent.KindLOGIN_FAILED
	LoggedOut                = securityevent.KindLOGGED_OUT
	TwoFactorEnabled         = securityevent.KindTWO_FACTOR_ENABLED
	TwoFactorDisabled        = securityevent.KindTWO_FACTOR_DISABLED
	TwoFactorFailed          = securityevent.KindTWO_FACTOR_FAILED
	RecoveryCodeUsed         = securityevent.KindRECOVERY_CODE_USED
	RecoveryCodesRegenerated = securityevent.KindRECOVERY_CODES_REGENERATED
	SessionRevoked           = securityevent.KindSESSION_REVOKED
	PasswordChanged          = securityevent.KindPASSWORD_CHANGED
	Reauthenticated          = securityevent.KindREAUTHENTICATED
)

// Log records security events.
type Log struct {
	clock clock.Clock
	log   *slog.Logger
}

// New returns a Log writing with clk's time and logging to log.
func New(clk clock.Clock, log *slog.Logger) *Log {
	return &Log{clock: clk, log: log}
}

// Record writes one event for userID through c outside a transaction,
// taking IP and user agent from ctx. sessionID is the acting session, if
// any. The log line follows the row; it holds ids, never secrets.
func (l *Log) Record(ctx context.Context, c *ent.Client, userID uuid.UUID, sessionID *uuid.UUID, kind Kind, attrs ...slog.Attr) error {
	if err := l.insert(ctx, c, userID, sessionID, kind); err != nil {
		return err
	}
	l.Info(ctx, kind, userID, sessionID, attrs...)
	return nil
}

// RecordTx writes the event inside tx, so it commits or rolls back with the
// action it describes; the log line is written only once tx commits.
func (l *Log) RecordTx(ctx context.Context, tx *ent.Tx, userID uuid.UUID, sessionID *uuid.UUID, kind Kind, attrs ...slog.Attr) error {
	if err := l.insert(ctx, tx.Client(), userID, sessionID, kind); err != nil {
		return err
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(cctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(cctx, tx); err != nil {
				return err
			}
			l.Info(ctx, kind, userID, sessionID, attrs...)
			return nil
		})
	})
	return nil
}

func (l *Log) insert(ctx context.Context, c *ent.Client, userID uuid.UUID, sessionID *uuid.UUID, kind Kind) error {
	meta := client.From(ctx)
	id, err := newID()
	if err != nil {
		return fmt.Errorf("record %s: %w", kind, err)
	}
	_, err = c.SecurityEvent.Create().
		SetID(id).
		SetUserID(userID).
		SetKind(kind).
		SetAt(l.clock.Now()).
		SetIP(meta.IP).
		SetUserAgent(meta.UserAgent).
		SetNillableSessionID(sessionID).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("record %s: %w", kind, err)
	}
	return nil
}

// Info writes the structured line for an event without storing it; for
// events with no account to store them on (a login for an unknown email).
func (l *Log) Info(ctx context.Context, kind Kind, userID uuid.UUID, sessionID *uuid.UUID, attrs ...slog.Attr) {
	meta := client.From(ctx)
	all := []slog.Attr{
		slog.String("event", string(kind)),
		slog.String("ip", meta.IP),
		slog.String("user_agent", meta.UserAgent),
	}
	if userID != uuid.Nil {
		all = append(all, slog.String("user_id", userID.String()))
	}
	if sessionID != nil {
		all = append(all, slog.String("session_id", sessionID.String()))
	}
	all = append(all, attrs...)
	l.log.LogAttrs(ctx, slog.LevelInfo, "security event", all...)
}

// newID is a version 7 UUID. The log is ordered by (at, id), and events
// written in the same instant (sign-up writes SIGNED_UP and LOGGED_IN
// together) must still list in the order they happened: within a process
// each version 7 UUID is greater than the one before; random ones are not.
func newID() (uuid.UUID, error) { return uuid.NewV7() }
