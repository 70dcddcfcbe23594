package agent

import (
	"strings"

	useragent "github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// Unknown is returned for a part of a user agent that cannot be recognised.
const Unknown = "Unknown"

// Parse summarises a user agent as a browser ("Firefox 133") and an
// operating system ("Windows 10") as a user would name them. A part that
// cannot be recognised is Unknown. Parse never panics, and its cost is
// bounded because it only looks at Clean(ua).
//
// Rules of our own, where the library has no answer:
//   - A browser is only named together with its major version. The library
//     reports bare "Safari" for any WebKit engine, including app web views
//     (Wails/WebKitGTK, iOS WKWebView) that send no "Version/" token; such
//     a guess is shown as Unknown rather than as the wrong browser.
//   - Windows versions come from the "Windows NT x.y" token (see windowsName).
func Parse(ua string) (browser, os string) {
	ua = Clean(ua)
	if ua == "" {
		return Unknown, Unknown
	}
	// NewParser builds its trie once, on first use, and then returns the
	// same read-only parser, which is safe for concurrent use.
	info := useragent.NewParser().Parse(ua)
	return browserName(info.Browser(), info.BrowserVersionMajor()), osName(info.OS(), ua)
}

func browserName(name agents.Browser, major string) string {
	if name == "" || !isVersion(major) {
		return Unknown
	}
	return string(name) + " " + major
}

// isVersion reports whether s is a plausible major version: 1–4 ASCII
// digits. Longer runs are junk and are not worth showing to a user.
func isVersion(s string) bool {
	if len(s) == 0 || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func osName(os agents.OS, ua string) string {
	switch os {
	case "":
		return Unknown
	case agents.OSMacOS:
		return "macOS" // Apple's spelling; the library says "MacOS".
	case agents.OSWindows:
		return windowsName(ua)
	}
	return string(os)
}

// windowsNT maps the NT kernel version in "Windows NT x.y" to the product
// name. Windows 11 still sends "Windows NT 10.0" (Microsoft froze the token;
// only client hints can tell them apart), so 10.0 is shown as "Windows 10".
var windowsNT = map[string]string{
	"10.0": "Windows 10",
	"6.3":  "Windows 8.1",
	"6.2":  "Windows 8",
	"6.1":  "Windows 7",
}

// windowsName names the Windows release from the NT version token, falling
// back to plain "Windows" for versions that are missing or unknown.
func windowsName(ua string) string {
	const token = "Windows NT "
	i := strings.Index(ua, token)
	if i < 0 {
		return "Windows"
	}
	v := ua[i+len(token):]
	if end := strings.IndexAny(v, ";) "); end >= 0 {
		v = v[:end]
	}
	if name, ok := windowsNT[v]; ok {
		return name
	}
	return "Windows"
}
