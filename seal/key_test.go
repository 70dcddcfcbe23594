package seal_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/latchhq/latch/seal"
)

func TestParseKeyFormats(t *testing.T) {
	raw, _ := hex.DecodeString(hexKey1)
	// Byte 0xfb.. forces '+' / '/' in std base64 and '-' / '_' in URL base64,
	// so accepting both alphabets is actually exercised.
	raw[0], raw[1], raw[2] = 0xfb, 0xff, 0xbf
	ref := mustKey(t, hex.EncodeToString(raw))
	sealed, _ := ref.Seal([]byte("probe"), "aad", nil)

	for name, s := range map[string]string{
		"hex lower":      hex.EncodeToString(raw),
		"hex upper":      strings.ToUpper(hex.EncodeToString(raw)),
		"hex newline":    hex.EncodeToString(raw) + "\n",
		"std padded":     base64.StdEncoding.EncodeToString(raw),
		"std unpadded":   base64.RawStdEncoding.EncodeToString(raw),
		"url padded":     base64.URLEncoding.EncodeToString(raw),
		"url unpadded":   base64.RawURLEncoding.EncodeToString(raw),
		"std whitespace": "  " + base64.StdEncoding.EncodeToString(raw) + "\r\n",
	} {
		k, err := seal.ParseKey(s)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// Same key iff it opens what the reference key sealed.
		if got, err := k.Open(sealed, "aad"); err != nil || !bytes.Equal(got, []byte("probe")) {
			t.Errorf("%s: decoded a different key", name)
		}
	}
}

func TestParseKeyRejects(t *testing.T) {
	raw, _ := hex.DecodeString(hexKey1)
	for name, s := range map[string]string{
		"empty":         "",
		"hex short":     hexKey1[:62],
		"hex long":      hexKey1 + "20",
		"hex bad char":  "zz" + hexKey1[2:],
		"base64 31B":    base64.StdEncoding.EncodeToString(raw[:31]),
		"base64 33B":    base64.StdEncoding.EncodeToString(append(raw, 1)),
		"base64 junk":   strings.Repeat("!", 44),
		"unpadded junk": strings.Repeat("*", 43),
		"garbage":       "correct horse battery staple",
		"inner space":   hexKey1[:32] + " " + hexKey1[33:],
	} {
		_, err := seal.ParseKey(s)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		msg := err.Error()
		if s != "" && strings.Contains(msg, strings.TrimSpace(s)) {
			t.Errorf("%s: error echoes input: %s", name, msg)
		}
		// Even the offending character must not be quoted.
		if name == "hex bad char" && strings.Contains(msg, "zz") {
			t.Errorf("%s: error quotes key bytes: %s", name, msg)
		}
		if !strings.Contains(msg, "64 hex") || !strings.Contains(msg, "base64") {
			t.Errorf("%s: error does not name the expected format: %s", name, msg)
		}
	}
}
