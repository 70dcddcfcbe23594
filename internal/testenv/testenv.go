// Package testenv lets tests depend on external commands, skipping locally but failing in CI when one is missing.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of cmd. If cmd is not on PATH the test is
// skipped with installHint, unless the environment variable CI is "true":
// there a missing tool must fail loudly, or a cross-check would silently
// stop running.
func Require(t testing.TB, cmd, installHint string) string {
	t.Helper()
	path, err := exec.LookPath(cmd)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not installed (%s), and CI=true requires it", cmd, installHint)
	}
	t.Skipf("%s not installed (%s)", cmd, installHint)
	return ""
}
