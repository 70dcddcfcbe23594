package password_test

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/latchhq/latch/apperr"
	"github.com/latchhq/latch/password"
)

func TestHashFormat(t *testing.T) {
	cases := []struct {
		name   string
		params password.Params
		re     string
	}{
		{"fast", fast, `^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`},
		{"defaults", password.DefaultParams(), `^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := password.New(tc.params, 1, time.Second, nil)
			phc, err := h.Hash(t.Context(), "correct horse battery")
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(tc.re).MatchString(phc) {
				t.Fatalf("%q does not match %s", phc, tc.re)
			}
			ok, rehash, err := h.Verify(t.Context(), "correct horse battery", phc)
			if err != nil || !ok || rehash {
				t.Fatalf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestDefaultParams(t *testing.T) {
	want := password.Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	if got := password.DefaultParams(); got != want {
		t.Fatalf("DefaultParams() = %+v, want %+v", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	h := newFast(t)
	cases := []struct{ name, password, wrong string }{
		{"ascii", "Tr0ub4dor&3xyz", "Tr0ub4dor&3xyZ"},
		{"spaces kept", "  padded  pass  ", "padded  pass"},
		{"non-latin", "пароль-надёжный", "пароль-надежный"},
		{"emoji", "🔒🔑 lock and key 🔑🔒", "🔒🔑 lock and key 🔑"},
		{"max length", strings.Repeat("aZ9!", 32), strings.Repeat("aZ9!", 31) + "aZ9?"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			phc, err := h.Hash(t.Context(), tc.password)
			if err != nil {
				t.Fatal(err)
			}
			if ok, rehash, err := h.Verify(t.Context(), tc.password, phc); err != nil || !ok || rehash {
				t.Fatalf("right password: %v, %v, %v; want true, false, nil", ok, rehash, err)
			}
			if ok, rehash, err := h.Verify(t.Context(), tc.wrong, phc); err != nil || ok || rehash {
				t.Fatalf("wrong password: %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestSaltsDiffer(t *testing.T) {
	h := newFast(t)
	a, _ := h.Hash(t.Context(), "same password")
	b, _ := h.Hash(t.Context(), "same password")
	if a == b {
		t.Fatalf("two hashes of one password are equal: %q", a)
	}
}

func TestInjectedRand(t *testing.T) {
	salt := bytes.Repeat([]byte{0xA5}, int(fast.SaltLen))
	h := password.New(fast, 1, time.Second, bytes.NewReader(salt))
	phc, err := h.Hash(t.Context(), "deterministic salt")
	if err != nil {
		t.Fatal(err)
	}
	if want := "$" + base64.RawStdEncoding.EncodeToString(salt) + "$"; !strings.Contains(phc, want) {
		t.Fatalf("%q does not use the injected salt %q", phc, want)
	}
}

func TestRandFailureIsInternal(t *testing.T) {
	h := password.New(fast, 1, time.Second, iotest.ErrReader(iotest.ErrTimeout))
	_, err := h.Hash(t.Context(), "no entropy today")
	asAppErr(t, err, apperr.Internal)
}

func TestNFKCEquivalence(t *testing.T) {
	h := newFast(t)
	cases := []struct{ name, stored, typed string }{
		{"fullwidth stored, ascii typed", "ｐａｓｓｗｏｒｄ１２３４５Ｘ", "password12345X"},
		{"ascii stored, fullwidth typed", "password12345X", "ｐａｓｓｗｏｒｄ１２３４５Ｘ"},
		{"decomposed stored, composed typed", "cafe\u0301 au lait", "café au lait"},
		{"ligature stored, letters typed", "\ufb01ne and dandy", "fine and dandy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			phc, err := h.Hash(t.Context(), tc.stored)
			if err != nil {
				t.Fatal(err)
			}
			if ok, _, err := h.Verify(t.Context(), tc.typed, phc); err != nil || !ok {
				t.Fatalf("Verify(%q) = %v, %v; want true", tc.typed, ok, err)
			}
		})
	}
}

func TestRehash(t *testing.T) {
	old := password.New(fast, 1, time.Second, nil)
	phc, err := old.Hash(t.Context(), "upgrade me please")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		params     password.Params
		password   string
		ok, rehash bool
	}{
		{"same params", fast, "upgrade me please", true, false},
		{"more memory", password.Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, "upgrade me please", true, true},
		{"more time", password.Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, "upgrade me please", true, true},
		{"longer key", password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64}, "upgrade me please", true, true},
		{"longer salt", password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32}, "upgrade me please", true, true},
		{"wrong password never asks rehash", password.Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, "wrong", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := password.New(tc.params, 1, time.Second, nil)
			ok, rehash, err := h.Verify(t.Context(), tc.password, phc)
			if err != nil || ok != tc.ok || rehash != tc.rehash {
				t.Fatalf("Verify = %v, %v, %v; want %v, %v, nil", ok, rehash, err, tc.ok, tc.rehash)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := newFast(t)
	const salt, key = "AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	good := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key
	if _, _, err := h.Verify(t.Context(), "x", good); err != nil {
		t.Fatalf("control string rejected: %v", err)
	}
	cases := []struct{ name, phc string }{
		{"empty", ""},
		{"dollar only", "$"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"upper-case algorithm", "$ARGON2ID$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"version padded", "$argon2id$v=019$m=64,t=1,p=1$" + salt + "$" + key},
		{"version missing", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"params missing", "$argon2id$v=19$" + salt + "$" + key},
		{"params reordered", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"param missing", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key},
		{"param extra", "$argon2id$v=19$m=64,t=1,p=1,k=2$" + salt + "$" + key},
		{"param empty", "$argon2id$v=19$m=,t=1,p=1$" + salt + "$" + key},
		{"param spaced", "$argon2id$v=19$m= 64,t=1,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key},
		{"plus sign", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key},
		{"negative", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key},
		{"hex", "$argon2id$v=19$m=0x40,t=1,p=1$" + salt + "$" + key},
		{"underscore digits", "$argon2id$v=19$m=6_4,t=1,p=1$" + salt + "$" + key},
		{"fullwidth digits", "$argon2id$v=19$m=６４,t=1,p=1$" + salt + "$" + key},
		{"memory zero", "$argon2id$v=19$m=0,t=1,p=1$" + salt + "$" + key},
		{"memory below 8 per lane", "$argon2id$v=19$m=15,t=1,p=2$" + salt + "$" + key},
		{"memory over 1 GiB", "$argon2id$v=19$m=1048577,t=1,p=1$" + salt + "$" + key},
		{"memory overflows uint32", "$argon2id$v=19$m=4294967360,t=1,p=1$" + salt + "$" + key},
		{"time zero", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"time absurd", "$argon2id$v=19$m=64,t=11,p=1$" + salt + "$" + key},
		{"threads zero", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"threads absurd", "$argon2id$v=19$m=1024,t=1,p=17$" + salt + "$" + key},
		{"threads wrap uint8", "$argon2id$v=19$m=64,t=1,p=257$" + salt + "$" + key},
		{"salt missing", "$argon2id$v=19$m=64,t=1,p=1$$" + key},
		{"salt too short", "$argon2id$v=19$m=64,t=1,p=1$AAAAAA$" + key},
		{"salt too long", "$argon2id$v=19$m=64,t=1,p=1$" + strings.Repeat("A", 88) + "$" + key},
		{"salt padded", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"salt url alphabet", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:20] + "-_$" + key},
		{"salt with newline", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:11] + "\n" + salt[11:] + "$" + key},
		{"salt non-canonical bits", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:21] + "B$" + key},
		{"salt impossible length", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:21] + "$" + key},
		{"key missing", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"key empty", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{"key too short", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:20]},
		{"key too long", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("A", 90)},
		{"trailing dollar", good + "$"},
		{"extra field", good + "$" + key},
		{"trailing space", good + " "},
		{"leading space", " " + good},
		{"NUL inside", good[:20] + "\x00" + good[20:]},
		{"invalid UTF-8", good[:20] + "\xff" + good[20:]},
		{"huge", good + strings.Repeat("A", 1<<20)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(t.Context(), "x", tc.phc)
			if ok || rehash {
				t.Fatalf("Verify = %v, %v; want false, false", ok, rehash)
			}
			asAppErr(t, err, apperr.Internal)
		})
	}
}

func TestOverlongInput(t *testing.T) {
	h := newFast(t)
	huge := strings.Repeat("a", 5000)
	_, err := h.Hash(t.Context(), huge)
	asAppErr(t, err, apperr.BadUserInput)

	phc, err := h.Hash(t.Context(), "a normal password")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.Verify(t.Context(), huge, phc); ok || err != nil {
		t.Fatalf("Verify(huge) = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyDummy(t *testing.T) {
	cases := []struct {
		name   string
		params password.Params
	}{
		{"fast", fast},
		{"wide", password.Params{Memory: 256, Time: 3, Threads: 4, SaltLen: 32, KeyLen: 64}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := password.New(tc.params, 1, time.Second, nil)
			if err := h.VerifyDummy(t.Context(), "whatever they typed"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewRejectsBadParams(t *testing.T) {
	cases := []struct {
		name string
		p    password.Params
	}{
		{"zero", password.Params{}},
		{"short salt", password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}},
		{"huge memory", password.Params{Memory: 1<<20 + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("New did not panic")
				}
			}()
			password.New(tc.p, 1, time.Second, nil)
		})
	}
}
