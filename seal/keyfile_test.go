package seal_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/latchhq/latch/seal"
)

func TestKeyFileCreateThenLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	k1, created, err := seal.LoadOrCreateKeyFile(path, rand.Reader)
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %#o, want 0600", fi.Mode().Perm())
	}
	content, _ := os.ReadFile(path)
	if _, err := seal.ParseKey(string(content)); err != nil {
		t.Fatalf("file content does not parse: %v", err)
	}

	k2, created, err := seal.LoadOrCreateKeyFile(path, rand.Reader)
	if err != nil || created {
		t.Fatalf("second call: created=%v err=%v", created, err)
	}
	if !bytes.Equal(k1.MAC("id", nil), k2.MAC("id", nil)) {
		t.Fatal("second call returned a different key")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("directory has %d entries, want 1", len(entries))
	}
}

func TestKeyFileExistingFormats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(path, []byte(hexKey1+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k, created, err := seal.LoadOrCreateKeyFile(path, rand.Reader)
	if err != nil || created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	if !bytes.Equal(k.MAC("p", nil), mustKey(t, hexKey1).MAC("p", nil)) {
		t.Fatal("loaded a different key")
	}
}

func TestKeyFileRefusesLoosePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	path := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(path, []byte(hexKey1+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // Chmod: WriteFile's mode is subject to umask
		t.Fatal(err)
	}
	_, _, err := seal.LoadOrCreateKeyFile(path, rand.Reader)
	if err == nil {
		t.Fatal("0644 key file accepted")
	}
	if !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), hexKey1) {
		t.Fatalf("unhelpful or leaking error: %v", err)
	}
	// The file must be left as it was, not replaced by a new key.
	if b, _ := os.ReadFile(path); string(b) != hexKey1+"\n" {
		t.Fatal("key file was modified")
	}
}

func TestKeyFileInvalidContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	secret := "not-a-key-but-maybe-a-password"
	if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := seal.LoadOrCreateKeyFile(path, rand.Reader)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("err = %v", err)
	}
}

func TestKeyFileMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "k")
	if _, _, err := seal.LoadOrCreateKeyFile(path, rand.Reader); err == nil {
		t.Fatal("created a key in a missing directory")
	}
}

func TestKeyFileConcurrentCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 8
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		keys    [n]*seal.Key
		created [n]bool
		errs    [n]error
	)
	for i := range n {
		wg.Go(func() {
			<-start // maximise overlap
			keys[i], created[i], errs[i] = seal.LoadOrCreateKeyFile(path, rand.Reader)
		})
	}
	close(start)
	wg.Wait()

	creators := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if created[i] {
			creators++
		}
		if !bytes.Equal(keys[i].MAC("id", nil), keys[0].MAC("id", nil)) {
			t.Fatalf("goroutine %d got a different key", i)
		}
	}
	if creators != 1 {
		t.Fatalf("%d callers report created=true, want 1", creators)
	}
	onDisk, err := seal.ParseKey(mustRead(t, path))
	if err != nil || !bytes.Equal(onDisk.MAC("id", nil), keys[0].MAC("id", nil)) {
		t.Fatal("key on disk differs from the returned key")
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
