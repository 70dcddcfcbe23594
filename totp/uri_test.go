package totp_test

import (
	"bytes"
	"encoding/base32"
	"net/url"
	"testing"

	"github.com/latchhq/latch/totp"
)

func TestURI(t *testing.T) {
	got, err := totp.URI("ACME Co", "alice@example.com", rfcSecret)
	if err != nil {
		t.Fatal(err)
	}
	const want = "otpauth://totp/ACME%20Co:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
	if got != want {
		t.Errorf("URI =\n%s\nwant\n%s", got, want)
	}
}

func TestURIParses(t *testing.T) {
	tests := []struct{ issuer, account string }{
		{"ACME Co", "alice@example.com"},
		{"A&B=C?D/E#F", "bob+tag@example.com"},
		{"Latch 100% Ünïcödé", "名前 with space"},
	}
	for _, tt := range tests {
		raw, err := totp.URI(tt.issuer, tt.account, rfcSecret)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("url.Parse(%s): %v", raw, err)
		}
		if u.Scheme != "otpauth" || u.Host != "totp" {
			t.Errorf("%s: scheme %q host %q", raw, u.Scheme, u.Host)
		}
		if wantPath := "/" + tt.issuer + ":" + tt.account; u.Path != wantPath {
			t.Errorf("%s: path %q; want %q", raw, u.Path, wantPath)
		}
		q := u.Query()
		if q.Get("issuer") != tt.issuer {
			t.Errorf("%s: issuer %q; want %q", raw, q.Get("issuer"), tt.issuer)
		}
		if q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
			t.Errorf("%s: parameters %v", raw, q)
		}
		secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(q.Get("secret"))
		if err != nil || !bytes.Equal(secret, rfcSecret) {
			t.Errorf("%s: secret decodes to %q, %v", raw, secret, err)
		}
	}
}

func TestURIRefused(t *testing.T) {
	tests := []struct {
		name, issuer, account string
		secret                []byte
	}{
		{"colon in issuer", "ACME:Co", "alice@example.com", rfcSecret},
		{"colon in account", "ACME Co", "alice:admin", rfcSecret},
		{"empty issuer", "", "alice@example.com", rfcSecret},
		{"empty account", "ACME Co", "", rfcSecret},
		{"empty secret", "ACME Co", "alice@example.com", nil},
	}
	for _, tt := range tests {
		if got, err := totp.URI(tt.issuer, tt.account, tt.secret); err == nil {
			t.Errorf("%s: URI = %s; want an error", tt.name, got)
		}
	}
}
