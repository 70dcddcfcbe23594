// Package cursor encodes Relay cursors for keyset pages ordered by (time, id), newest first.
package cursor

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/apperr"
)

// MaxPage caps `first` on every connection.
const MaxPage = 100

// Key is a position in a list ordered by (At, ID) descending.
type Key struct {
	At time.Time
	ID uuid.UUID
}

// Encode makes an opaque cursor for k.
func Encode(k Key) string {
	s := strconv.FormatInt(k.At.UnixMicro(), 10) + "|" + k.ID.String()
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// Decode parses a cursor made by Encode. It returns BAD_USER_INPUT (field
// "after") for anything else.
func Decode(s string) (Key, error) {
	bad := apperr.Input("after", "This cursor is not valid.")
	if len(s) > 128 {
		return Key{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Key{}, bad
	}
	us, ids, ok := strings.Cut(string(raw), "|")
	if !ok {
		return Key{}, bad
	}
	micros, err := strconv.ParseInt(us, 10, 64)
	if err != nil {
		return Key{}, bad
	}
	id, err := uuid.Parse(ids)
	if err != nil {
		return Key{}, bad
	}
	return Key{At: time.UnixMicro(micros).UTC(), ID: id}, nil
}

// First validates a page size: nil means def, the cap is MaxPage.
func First(first *int, def int) (int, error) {
	if first == nil {
		return def, nil
	}
	if *first < 0 || *first > MaxPage {
		return 0, apperr.Input("first", "Ask for between 0 and 100 items.")
	}
	return *first, nil
}
