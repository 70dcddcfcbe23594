package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBinary runs the server the way a user does: the built binary, in a
// fresh directory, with no set-up step (DESIGN.md: `go run ./server`).
func TestBinary(t *testing.T) {
	bin := buildServer(t)

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run("serves a fresh directory until "+sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			p := startBinary(t, bin, dir, nil, "--addr", "127.0.0.1:0", "--log-format", "json")
			base := "http://" + p.waitListening(t)

			for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
				resp, err := http.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(body) != want {
					t.Errorf("GET %s = %d %q, want 200 %q", path, resp.StatusCode, body, want)
				}
			}
			// The API works on the new database, with the production hash.
			body := gqlBody(signUpQuery, map[string]any{"e": "alice@example.com", "p": testPassword})
			resp, err := http.Post(base+"/graphql", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var out gqlResponse
			if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) > 0 {
				t.Fatalf("sign-up = %d %s", resp.StatusCode, raw)
			}
			tok := str(out.Data, "signUp", "token")

			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t); code != 0 {
				t.Errorf("exit code = %d, want 0; stderr:\n%s", code, p.stderr())
			}
			logs := p.stderr()
			for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("--log-format json wrote a non-JSON line: %q", line)
				}
			}
			if !strings.Contains(logs, `"msg":"stopped"`) {
				t.Errorf("no clean-stop log line:\n%s", logs)
			}
			assertNoSecret(t, "the server log", logs, tok, testPassword)
			if fi, err := os.Stat(filepath.Join(dir, "latch.db")); err != nil || fi.Size() == 0 {
				t.Errorf("latch.db in the working directory: %v", err)
			}
		})
	}

	t.Run("--help", func(t *testing.T) {
		dir := t.TempDir()
		p := startBinary(t, bin, dir, nil, "--help")
		if code := p.wait(t); code != 0 {
			t.Errorf("exit code = %d, want 0", code)
		}
		checkHelp(t, p.stderr())
		assertEmptyDir(t, dir)
	})

	bad := []struct {
		name    string
		args    []string
		env     []string
		setting string
	}{
		{"bad flag value", []string{"--log-format", "xml"}, nil, "--log-format"},
		{"bad env value", nil, []string{"LATCH_IDLE_TIMEOUT=banana"}, "LATCH_IDLE_TIMEOUT"},
		{"unknown flag", []string{"--listen", "127.0.0.1:0"}, nil, "listen"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := startBinary(t, bin, dir, c.env, c.args...)
			if code := p.wait(t); code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			if !strings.Contains(p.stderr(), c.setting) {
				t.Errorf("stderr does not name %s:\n%s", c.setting, p.stderr())
			}
			assertEmptyDir(t, dir) // refused before touching anything
		})
	}
}

// buildServer builds ./server from the module root into a temporary
// directory and returns the binary's path.
func buildServer(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the server: %v", err)
	}
	out, err := exec.Command(goCmd, "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD = %q, %v", gomod, err)
	}
	bin := filepath.Join(t.TempDir(), "latch")
	build := exec.Command(goCmd, "build", "-o", bin, "./server")
	build.Dir = filepath.Dir(gomod)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a running server binary.
type process struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
	done  chan struct{} // closed when stderr is drained
}

// startBinary runs bin in dir with args and a LATCH_*-free environment
// plus extra; it kills the process if the test ends first.
func startBinary(t *testing.T, bin, dir string, extra []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LATCH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, extra...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.buf.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return p
}

// waitListening returns the address from the "listening" log line.
func (p *process) waitListening(t *testing.T) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line := <-p.lines:
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
				return rec.Addr
			}
		case <-p.done:
			t.Fatalf("exited before listening:\n%s", p.stderr())
		case <-timeout:
			t.Fatalf("no listening line after 30s:\n%s", p.stderr())
		}
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("still running after 30s:\n%s", p.stderr())
	}
	err := p.cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *process) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Errorf("the working directory is not empty: %v", ents)
	}
}
