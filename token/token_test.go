package token_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/latchhq/latch/token"
)

// zeros is a deterministic "random" source.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestNew(t *testing.T) {
	plain, hash, err := token.New(zeros{}, token.SessionPrefix)
	if err != nil {
		t.Fatal(err)
	}
	// 32 zero bytes, base64url without padding: 43 characters.
	if want := "lt_" + strings.Repeat("A", 43); plain != want {
		t.Errorf("plain = %q, want %q", plain, want)
	}
	if !bytes.Equal(hash, token.Hash(plain)) {
		t.Errorf("the returned hash is not Hash(plain)")
	}
	if !token.Valid(plain, token.SessionPrefix) {
		t.Errorf("a new token is not Valid")
	}

	t.Run("random tokens differ", func(t *testing.T) {
		seen := map[string]bool{}
		for range 100 {
			p, _, err := token.New(rand.Reader, token.ChallengePrefix)
			if err != nil {
				t.Fatal(err)
			}
			if seen[p] || !token.Valid(p, token.ChallengePrefix) {
				t.Fatalf("repeated or invalid token %q", p)
			}
			seen[p] = true
		}
	})
	t.Run("a short random source is an error, not a weak token", func(t *testing.T) {
		p, h, err := token.New(io.LimitReader(zeros{}, 16), token.SessionPrefix)
		if err == nil || p != "" || h != nil {
			t.Errorf("New = %q, %x, %v; want an error and nothing else", p, h, err)
		}
		p, _, err = token.New(failing{}, token.SessionPrefix)
		if !errors.Is(err, errBroken) || p != "" {
			t.Errorf("New = %q, %v; want the reader's error", p, err)
		}
	})
}

var errBroken = errors.New("entropy source broken")

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errBroken }

func TestHash(t *testing.T) {
	// SHA-256 of the exact token text: stable across releases, or every
	// stored session would be signed out by an upgrade.
	const tok = "lt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	sum := sha256.Sum256([]byte(tok))
	if got := token.Hash(tok); !bytes.Equal(got, sum[:]) || len(got) != 32 {
		t.Errorf("Hash = %x, want %x", got, sum)
	}
	if !bytes.Equal(token.Hash(tok), token.Hash(tok)) {
		t.Errorf("Hash is not deterministic")
	}
	// The empty string's SHA-256 (FIPS 180-2): a fixed vector, not just
	// agreement with the library.
	if got := hex.EncodeToString(token.Hash("")); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("Hash(\"\") = %s", got)
	}
	if bytes.Equal(token.Hash(tok), token.Hash(tok[:len(tok)-1]+"B")) {
		t.Errorf("different tokens have the same hash")
	}
}

func TestValid(t *testing.T) {
	body := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)) // has - and _
	cases := []struct {
		name, s, prefix string
		want            bool
	}{
		{"session token", "lt_" + body, token.SessionPrefix, true},
		{"challenge token", "ltc_" + body, token.ChallengePrefix, true},
		{"challenge token where a session is expected", "ltc_" + body, token.SessionPrefix, false},
		{"session token where a challenge is expected", "lt_" + body, token.ChallengePrefix, false},
		{"no prefix", body, token.SessionPrefix, false},
		{"prefix only", "lt_", token.SessionPrefix, false},
		{"empty", "", token.SessionPrefix, false},
		{"one character short", "lt_" + body[1:], token.SessionPrefix, false},
		{"one character long", "lt_" + body + "A", token.SessionPrefix, false},
		{"padded", "lt_" + base64.URLEncoding.EncodeToString(make([]byte, 32)), token.SessionPrefix, false},
		{"standard alphabet", "lt_" + strings.NewReplacer("-", "+", "_", "/").Replace(body), token.SessionPrefix, false},
		{"space inside", "lt_" + body[:20] + " " + body[21:], token.SessionPrefix, false},
		// base64 decoders skip CR and LF, so the length of the text alone
		// does not prove 32 bytes.
		{"newline in place of the last character", "lt_" + body[:42] + "\n", token.SessionPrefix, false},
		{"carriage return inside", "lt_" + body[:20] + "\r" + body[21:], token.SessionPrefix, false},
		{"non-ASCII", "lt_" + body[:41] + "é", token.SessionPrefix, false},
		{"upper-case prefix", "LT_" + body, token.SessionPrefix, false},
		{"a JWT", "eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo", token.SessionPrefix, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := token.Valid(c.s, c.prefix); got != c.want {
				t.Errorf("Valid(%q, %q) = %v, want %v", c.s, c.prefix, got, c.want)
			}
		})
	}
}
