package cursor_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/cursor"
)

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		key  cursor.Key
	}{
		{"now", cursor.Key{At: time.Date(2026, 12, 1, 12, 0, 0, 123456000, time.UTC), ID: uuid.MustParse("0b5f7c1e-7a47-4d1c-9a53-1f9d3c2b8e10")}},
		{"the epoch", cursor.Key{At: time.Unix(0, 0).UTC(), ID: uuid.Nil}},
		{"before the epoch", cursor.Key{At: time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC), ID: uuid.Max}},
		{"far future", cursor.Key{At: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), ID: uuid.New()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := cursor.Encode(c.key)
			got, err := cursor.Decode(s)
			if err != nil {
				t.Fatalf("Decode(Encode(%v)): %v", c.key, err)
			}
			if !got.At.Equal(c.key.At) || got.ID != c.key.ID {
				t.Errorf("round trip = %v, want %v", got, c.key)
			}
			if strings.ContainsAny(s, "+/= ") {
				t.Errorf("cursor %q is not URL-safe", s)
			}
		})
	}
	t.Run("microsecond precision, as stored", func(t *testing.T) {
		at := time.Date(2026, 12, 1, 12, 0, 0, 123456789, time.UTC)
		got, err := cursor.Decode(cursor.Encode(cursor.Key{At: at, ID: uuid.Nil}))
		if err != nil || !got.At.Equal(at.Truncate(time.Microsecond)) || got.At.Location() != time.UTC {
			t.Errorf("Decode = %v, %v; want %v in UTC", got.At, err, at.Truncate(time.Microsecond))
		}
	})
	t.Run("the time zone does not matter", func(t *testing.T) {
		at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
		got, _ := cursor.Decode(cursor.Encode(cursor.Key{At: at, ID: uuid.Nil}))
		if !got.At.Equal(at) {
			t.Errorf("Decode = %v, want the instant %v", got.At, at)
		}
	})
}

func TestDecodeRefusesGarbage(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	id := uuid.NewString()
	cases := []struct{ name, s string }{
		{"empty", ""},
		{"not base64", "!!!not base64!!!"},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte("1|" + id))},
		{"no separator", enc("1700000000000000" + id)},
		{"no time", enc("|" + id)},
		{"time not a number", enc("yesterday|" + id)},
		{"time overflows", enc("99999999999999999999999|" + id)},
		{"no id", enc("1700000000000000|")},
		{"id not a UUID", enc("1700000000000000|42")},
		{"id with extra text", enc("1700000000000000|" + id + "|x")},
		{"SQL", enc("1' OR '1'='1|" + id)},
		{"too long", strings.Repeat("A", 129)},
		{"a huge cursor", strings.Repeat(enc("1|"+id), 1000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := cursor.Decode(c.s)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.BadUserInput || ae.Field != "after" || ae.Message == "" {
				t.Fatalf("Decode(%.40q) = %v, want BAD_USER_INPUT on after", c.s, err)
			}
			if strings.Contains(ae.Message, c.s) && c.s != "" {
				t.Errorf("the message quotes the cursor: %q", ae.Message)
			}
		})
	}
}

func TestFirst(t *testing.T) {
	ptr := func(n int) *int { return &n }
	cases := []struct {
		name  string
		first *int
		want  int
		bad   bool
	}{
		{"absent: the default", nil, 20, false},
		{"zero", ptr(0), 0, false},
		{"one", ptr(1), 1, false},
		{"the cap", ptr(cursor.MaxPage), cursor.MaxPage, false},
		{"above the cap", ptr(cursor.MaxPage + 1), 0, true},
		{"negative", ptr(-1), 0, true},
		{"huge", ptr(1 << 30), 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := cursor.First(c.first, 20)
			if c.bad {
				if apperr.CodeOf(err) != apperr.BadUserInput {
					t.Fatalf("First = %d, %v; want BAD_USER_INPUT", got, err)
				}
				var ae *apperr.Error
				if errors.As(err, &ae); ae.Field != "first" {
					t.Errorf("field = %q, want first", ae.Field)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("First = %d, %v; want %d", got, err, c.want)
			}
		})
	}
}
