package seal

import (
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxKeyFileSize bounds the read so a wrong path (a log, a device) cannot
// make startup slurp a huge file; a real key file is under 100 bytes.
const maxKeyFileSize = 1024

// LoadOrCreateKeyFile reads the key stored at path (any ParseKey format,
// trailing newline allowed). If the file does not exist it generates a key
// from rand (nil means crypto/rand), writes it as hex with mode 0600 and
// reports created=true. Concurrent callers, in one process or several, all
// end up with the same key. An existing file with any group or other
// permission bits is refused rather than silently used.
func LoadOrCreateKeyFile(path string, rand io.Reader) (key *Key, created bool, err error) {
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key, err = createKeyFile(path, rand)
	if errors.Is(err, fs.ErrExist) {
		// Lost a race: someone published a key between our read and our
		// link. Theirs is complete (it was fsynced before linking), use it.
		key, err = readKeyFile(path)
		return key, false, err
	}
	return key, err == nil, err
}

func readKeyFile(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err) // %w keeps fs.ErrNotExist visible
	}
	defer f.Close()
	// Stat the open file, not the path, so the mode we check belongs to the
	// bytes we read.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("seal: key file %s is not a regular file", path)
	}
	// Windows does not report Unix permission bits, so the check would
	// refuse every file there.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("seal: key file %s has mode %#o and is accessible by group or others; run: chmod 600 %s", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: %w", path, err)
	}
	if len(b) > maxKeyFileSize {
		return nil, fmt.Errorf("seal: key file %s is too large; %s", path, keyFormat)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: invalid %s", path, keyFormat)
	}
	return k, nil
}

// createKeyFile writes a fresh key to a temporary file in the target
// directory and publishes it with a hard link. link(2), unlike rename(2),
// fails if the target exists, which gives O_EXCL semantics: of several
// racing creators exactly one wins and the others get fs.ErrExist. Readers
// never see a partial file because the content is fsynced before it gets
// the final name.
func createKeyFile(path string, rand io.Reader) (*Key, error) {
	if rand == nil {
		rand = crand.Reader
	}
	raw := make([]byte, KeySize)
	if _, err := io.ReadFull(rand, raw); err != nil {
		return nil, fmt.Errorf("seal: generating key: %w", err)
	}
	key, err := newKey(raw)
	if err != nil {
		return nil, err
	}

	dir := filepath.Dir(path)
	// CreateTemp opens with O_EXCL and mode 0600 (umask can only remove bits).
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("seal: creating key file: %w", err)
	}
	// Removing the temporary name is always right: after a successful link
	// the key lives on under path.
	defer os.Remove(tmp.Name())

	_, err = tmp.WriteString(hex.EncodeToString(raw) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("seal: writing key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fs.ErrExist
		}
		return nil, fmt.Errorf("seal: creating key file: %w", err)
	}
	syncDir(dir)
	return key, nil
}

// syncDir makes the new directory entry durable. It is best effort: the key
// is already published and readable, and some platforms cannot fsync a
// directory; failing here would only make the caller retry into a read.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
