package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Config is every setting of the server, parsed in one place.
type Config struct {
	Addr            string
	DatabaseURL     string
	LogFormat       string
	LogLevel        string
	Playground      bool
	IdleTimeout     time.Duration
	SessionLifetime time.Duration
	RecentAuth      time.Duration
	TrustedProxies  []netip.Prefix
	AllowedOrigins  []string
	BodyLimit       int64
	MaxDepth        int
	MaxComplexity   int
	EventRetention  time.Duration
	SweepInterval   time.Duration
	ShutdownTimeout time.Duration
	// WSWriteTimeout bounds each websocket write: a client that takes no
	// message for this long is disconnected.
	WSWriteTimeout time.Duration
	// SecretKey seals TOTP seeds and recovery codes; empty means a key file
	// beside the SQLite database.
	SecretKey  string
	Issuer     string
	Lockout    time.Duration
	MaxLockout time.Duration
	IPAttempts int
}

// envName is the environment variable for a flag: --idle-timeout is
// LATCH_IDLE_TIMEOUT.
func envName(flagName string) string {
	return "LATCH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ParseConfig reads flags from args, each defaulting to its LATCH_* variable
// from getenv, then to the built-in default. It returns flag.ErrHelp after
// printing usage for --help, and an error naming the bad setting otherwise.
func ParseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	var proxies, origins string
	fs := flag.NewFlagSet("latch", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.DatabaseURL, "database-url", "sqlite://latch.db", "database: sqlite://FILE (relative) or sqlite:///ABS/PATH")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.BoolVar(&c.Playground, "playground", true, "serve the GraphQL playground at / (and allow introspection)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 14*24*time.Hour, "sign a session out after this long unused")
	fs.DurationVar(&c.SessionLifetime, "session-lifetime", 30*24*time.Hour, "sign a session out this long after login, used or not")
	fs.DurationVar(&c.RecentAuth, "recent-auth", 10*time.Minute, "how long a login or reauthentication counts as recent for sensitive changes")
	fs.StringVar(&proxies, "trusted-proxies", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed")
	fs.StringVar(&origins, "allowed-origins", "wails://wails", "comma-separated browser origins allowed besides the server's own")
	fs.Int64Var(&c.BodyLimit, "body-limit", 64<<10, "largest request body in bytes")
	fs.IntVar(&c.MaxDepth, "max-depth", 12, "deepest query nesting allowed")
	fs.IntVar(&c.MaxComplexity, "max-complexity", 1000, "highest query complexity allowed")
	fs.DurationVar(&c.EventRetention, "event-retention", 90*24*time.Hour, "how long security-log entries are kept")
	fs.DurationVar(&c.SweepInterval, "sweep-interval", time.Minute, "how often expired sessions and old log entries are swept")
	fs.StringVar(&c.SecretKey, "secret-key", "", "32-byte key (hex or base64) sealing 2FA secrets; prefer the env var; empty: a generated key file beside the SQLite database")
	fs.StringVar(&c.Issuer, "issuer", "latch", "name shown in authenticator apps")
	fs.DurationVar(&c.Lockout, "lockout", time.Minute, "first cool-down after 10 consecutive wrong passwords (per email) or second-factor codes (per account); doubles with each further failure")
	fs.DurationVar(&c.MaxLockout, "max-lockout", time.Hour, "longest such cool-down")
	fs.IntVar(&c.IPAttempts, "ip-attempts", 60, "sign-up, login and code attempts allowed per client address per minute (0: no limit)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long in-flight requests get on shutdown")
	fs.DurationVar(&c.WSWriteTimeout, "ws-write-timeout", 10*time.Second, "close a websocket whose client has not taken a message within this long (stopped reading, or reads too slowly)")

	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("invalid %s: %v", envName(f.Name), err)
			}
		}
		f.Usage += fmt.Sprintf(" (env %s)", envName(f.Name))
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.TrustedProxies, err = parsePrefixes(proxies); err != nil {
		return c, err
	}
	c.AllowedOrigins = splitList(origins)
	return c, c.validate()
}

func (c Config) validate() error {
	switch {
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("invalid --log-format %q: use text or json", c.LogFormat)
	case c.IdleTimeout <= 0:
		return fmt.Errorf("invalid --idle-timeout %s: must be positive", c.IdleTimeout)
	case c.SessionLifetime <= 0:
		return fmt.Errorf("invalid --session-lifetime %s: must be positive", c.SessionLifetime)
	case c.RecentAuth <= 0:
		return fmt.Errorf("invalid --recent-auth %s: must be positive", c.RecentAuth)
	case c.BodyLimit < 1024:
		return fmt.Errorf("invalid --body-limit %d: must be at least 1024", c.BodyLimit)
	case c.MaxDepth < 3:
		return fmt.Errorf("invalid --max-depth %d: must be at least 3", c.MaxDepth)
	case c.MaxComplexity < 10:
		return fmt.Errorf("invalid --max-complexity %d: must be at least 10", c.MaxComplexity)
	case c.EventRetention <= 0:
		return fmt.Errorf("invalid --event-retention %s: must be positive", c.EventRetention)
	case c.Issuer == "" || strings.Contains(c.Issuer, ":"):
		return fmt.Errorf("invalid --issuer %q: must be non-empty and contain no colon", c.Issuer)
	case c.Lockout <= 0 || c.MaxLockout < c.Lockout:
		return fmt.Errorf("invalid --lockout %s / --max-lockout %s: both positive, max at least the first", c.Lockout, c.MaxLockout)
	case c.IPAttempts < 0:
		return fmt.Errorf("invalid --ip-attempts %d: must be 0 or more", c.IPAttempts)
	case c.SweepInterval <= 0:
		return fmt.Errorf("invalid --sweep-interval %s: must be positive", c.SweepInterval)
	case c.ShutdownTimeout <= 0:
		// Zero would make every shutdown fail at once, so never exit 0.
		return fmt.Errorf("invalid --shutdown-timeout %s: must be positive", c.ShutdownTimeout)
	case c.WSWriteTimeout <= 0:
		// Zero would close every socket at its first write.
		return fmt.Errorf("invalid --ws-write-timeout %s: must be positive", c.WSWriteTimeout)
	}
	// An empty address would listen on every interface at a random port.
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("invalid --addr %q: use host:port, e.g. 127.0.0.1:8080", c.Addr)
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || u.Scheme == "" {
		// Never quote the URL: it may carry a password.
		return errors.New("invalid --database-url: use a URL such as sqlite://latch.db")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	for _, o := range c.AllowedOrigins {
		if !strings.Contains(o, "://") {
			return fmt.Errorf("invalid origin %q in --allowed-origins: expected scheme://host", o)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range splitList(s) {
		if !strings.Contains(p, "/") {
			a, err := netip.ParseAddr(p)
			if err != nil {
				return nil, fmt.Errorf("invalid address %q in --trusted-proxies", p)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		pf, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("invalid CIDR %q in --trusted-proxies", p)
		}
		out = append(out, pf.Masked())
	}
	return out, nil
}

var errHelp = flag.ErrHelp

func isHelp(err error) bool { return errors.Is(err, errHelp) }
