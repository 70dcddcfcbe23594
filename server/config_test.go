package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// env is a getenv over a fixed map.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The embedded default of DESIGN.md: `go run ./server` needs nothing else.
	if c.Addr != "127.0.0.1:8080" || c.DatabaseURL != "sqlite://latch.db" || !c.Playground {
		t.Errorf("defaults = addr %q, database %q, playground %v", c.Addr, c.DatabaseURL, c.Playground)
	}
	if c.RecentAuth != 10*time.Minute {
		t.Errorf("recent-auth = %s, want DESIGN.md's 10m", c.RecentAuth)
	}
	if c.IdleTimeout <= 0 || c.SessionLifetime < c.IdleTimeout {
		t.Errorf("idle %s, lifetime %s", c.IdleTimeout, c.SessionLifetime)
	}
}

func TestParseConfigSources(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(Config) bool
	}{
		{"flag", []string{"--addr", "127.0.0.1:9999"}, nil,
			func(c Config) bool { return c.Addr == "127.0.0.1:9999" }},
		{"env", nil, map[string]string{"LATCH_ADDR": "127.0.0.1:7777"},
			func(c Config) bool { return c.Addr == "127.0.0.1:7777" }},
		{"flag beats env", []string{"--addr", "127.0.0.1:9999"}, map[string]string{"LATCH_ADDR": "127.0.0.1:7777"},
			func(c Config) bool { return c.Addr == "127.0.0.1:9999" }},
		{"env with dashes", nil, map[string]string{"LATCH_DATABASE_URL": "sqlite:///tmp/x.db", "LATCH_IDLE_TIMEOUT": "1h", "LATCH_SESSION_LIFETIME": "2h"},
			func(c Config) bool {
				return c.DatabaseURL == "sqlite:///tmp/x.db" && c.IdleTimeout == time.Hour && c.SessionLifetime == 2*time.Hour
			}},
		{"bool env", nil, map[string]string{"LATCH_PLAYGROUND": "false"},
			func(c Config) bool { return !c.Playground }},
		{"bool flag", []string{"--playground=false"}, nil,
			func(c Config) bool { return !c.Playground }},
		{"ints", []string{"--max-depth", "5", "--body-limit", "2048", "--max-complexity", "50"}, nil,
			func(c Config) bool { return c.MaxDepth == 5 && c.BodyLimit == 2048 && c.MaxComplexity == 50 }},
		{"trusted proxies", []string{"--trusted-proxies", "10.0.0.0/8, 192.168.1.7 ,::1"}, nil,
			func(c Config) bool {
				return reflect.DeepEqual(c.TrustedProxies, []netip.Prefix{
					netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("::1/128"),
				})
			}},
		{"allowed origins", nil, map[string]string{"LATCH_ALLOWED_ORIGINS": "https://a.example, wails://wails"},
			func(c Config) bool {
				return reflect.DeepEqual(c.AllowedOrigins, []string{"https://a.example", "wails://wails"})
			}},
		{"log settings", []string{"--log-format", "json", "--log-level", "warn"}, nil,
			func(c Config) bool { return c.LogFormat == "json" && c.LogLevel == "warn" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseConfig(c.args, env(c.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(got) {
				t.Errorf("config = %+v", got)
			}
		})
	}
}

func TestParseConfigRefusesBadValues(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		setting string // the message must name it
	}{
		{"log format", []string{"--log-format", "xml"}, nil, "--log-format"},
		{"log format from env", nil, map[string]string{"LATCH_LOG_FORMAT": "xml"}, "--log-format"},
		{"log level", []string{"--log-level", "loud"}, nil, "--log-level"},
		{"duration from env", nil, map[string]string{"LATCH_IDLE_TIMEOUT": "banana"}, "LATCH_IDLE_TIMEOUT"},
		{"duration flag", []string{"--idle-timeout", "banana"}, nil, "idle-timeout"},
		{"zero idle timeout", []string{"--idle-timeout", "0"}, nil, "--idle-timeout"},
		{"negative lifetime", []string{"--session-lifetime", "-1h"}, nil, "--session-lifetime"},
		{"zero recent auth", []string{"--recent-auth", "0s"}, nil, "--recent-auth"},
		{"tiny body limit", []string{"--body-limit", "10"}, nil, "--body-limit"},
		{"shallow depth", []string{"--max-depth", "2"}, nil, "--max-depth"},
		{"low complexity", []string{"--max-complexity", "1"}, nil, "--max-complexity"},
		{"zero sweep interval", []string{"--sweep-interval", "0"}, nil, "--sweep-interval"},
		{"zero retention", []string{"--event-retention", "0"}, nil, "--event-retention"},
		{"zero shutdown timeout", []string{"--shutdown-timeout", "0"}, nil, "--shutdown-timeout"},
		{"proxy", []string{"--trusted-proxies", "10.0.0.0/8,proxy.local"}, nil, "--trusted-proxies"},
		{"proxy CIDR", []string{"--trusted-proxies", "10.0.0.0/99"}, nil, "--trusted-proxies"},
		{"origin", []string{"--allowed-origins", "example.com"}, nil, "--allowed-origins"},
		{"bool from env", nil, map[string]string{"LATCH_PLAYGROUND": "maybe"}, "LATCH_PLAYGROUND"},
		{"int from env", nil, map[string]string{"LATCH_MAX_DEPTH": "deep"}, "LATCH_MAX_DEPTH"},
		{"empty addr", []string{"--addr", ""}, nil, "--addr"},
		{"addr without port", []string{"--addr", "127.0.0.1"}, nil, "--addr"},
		{"database URL without scheme", []string{"--database-url", "latch.db"}, nil, "--database-url"},
		{"unknown flag", []string{"--nope"}, nil, "nope"},
		{"stray argument", []string{"serve"}, nil, "serve"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig(c.args, env(c.env), io.Discard)
			if err == nil {
				t.Fatalf("accepted")
			}
			if !strings.Contains(err.Error(), c.setting) {
				t.Errorf("error %q does not name %s", err, c.setting)
			}
		})
	}
	t.Run("a database URL is never quoted", func(t *testing.T) {
		_, err := ParseConfig([]string{"--database-url", "s3cr3t-password"}, env(nil), io.Discard)
		if err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error = %v", err)
		}
	})
}

// helpFlag matches a flag line of flag.PrintDefaults: "  -name type".
var helpFlag = regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)

// checkHelp asserts that usage lists every setting of Config, each with
// its LATCH_* variable, and returns the flag names it found.
func checkHelp(t *testing.T, usage string) []string {
	t.Helper()
	locs := helpFlag.FindAllStringSubmatchIndex(usage, -1)
	var names []string
	for i, l := range locs {
		name := usage[l[2]:l[3]]
		end := len(usage)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		if block := usage[l[0]:end]; !strings.Contains(block, "(env "+envName(name)+")") {
			t.Errorf("--%s does not name its variable %s:\n%s", name, envName(name), block)
		}
		names = append(names, name)
	}
	// One flag per Config field: a new setting without a flag (or the
	// reverse) shows up here.
	if n := reflect.TypeFor[Config]().NumField(); len(names) != n {
		t.Errorf("--help lists %d flags, Config has %d fields: %v", len(names), n, names)
	}
	for _, want := range []string{"addr", "database-url", "idle-timeout", "session-lifetime", "playground", "trusted-proxies", "allowed-origins", "max-depth", "body-limit"} {
		if !strings.Contains(usage, "  -"+want+" ") && !strings.Contains(usage, "  -"+want+"\n") {
			t.Errorf("--help does not list --%s", want)
		}
	}
	if !strings.Contains(usage, `(default "127.0.0.1:8080")`) {
		t.Errorf("--help does not show the defaults")
	}
	return names
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := ParseConfig([]string{"--help"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	checkHelp(t, out.String())
}

func TestRunExitCodes(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		code    int
		mention string
	}{
		{"help", []string{"--help"}, nil, 0, "LATCH_ADDR"},
		{"bad flag value", []string{"--log-format", "xml"}, nil, 2, "--log-format"},
		{"bad env value", nil, map[string]string{"LATCH_IDLE_TIMEOUT": "banana"}, 2, "LATCH_IDLE_TIMEOUT"},
		{"unknown flag", []string{"--nope"}, nil, 2, "nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := run(c.args, env(c.env), &stderr); got != c.code {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", got, c.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.mention) {
				t.Errorf("stderr does not mention %s:\n%s", c.mention, stderr.String())
			}
		})
	}
}
