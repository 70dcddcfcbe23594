package agent_test

import (
	"strings"
	"testing"

	"github.com/latchhq/latch/agent"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, ua, browser, os string
	}{
		{
			name:    "Firefox on Windows 10",
			ua:      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
			browser: "Firefox 133", os: "Windows 10",
		},
		{
			name:    "Chrome on macOS",
			ua:      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			browser: "Chrome 131", os: "macOS",
		},
		{
			name:    "Safari on iPhone",
			ua:      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
			browser: "Safari 18", os: "iOS",
		},
		{
			name:    "Safari on macOS",
			ua:      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
			browser: "Safari 18", os: "macOS",
		},
		{
			name:    "Chrome on Android",
			ua:      "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
			browser: "Chrome 131", os: "Android",
		},
		{
			name:    "Edge on Windows",
			ua:      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
			browser: "Edge 131", os: "Windows 10",
		},
		{
			name:    "Firefox on Windows 7",
			ua:      "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0",
			browser: "Firefox 115", os: "Windows 7",
		},
		{
			name:    "Windows without NT version",
			ua:      "Mozilla/5.0 (Windows NT; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
			browser: "Firefox 133", os: "Windows",
		},
		{
			name:    "Chrome on ChromeOS",
			ua:      "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			browser: "Chrome 131", os: "ChromeOS",
		},
		{
			name:    "Firefox on Linux",
			ua:      "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
			browser: "Firefox 133", os: "Linux",
		},
		{
			// Wails desktop app: WebKitGTK sends no browser token at all.
			name:    "Wails WebKitGTK on Linux",
			ua:      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)",
			browser: "Unknown", os: "Linux",
		},
		{
			name:    "iOS app web view",
			ua:      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
			browser: "Unknown", os: "iOS",
		},
		{
			name:    "bidi override does not hide the browser",
			ua:      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 \u202eFirefox/133.0",
			browser: "Firefox 133", os: "Windows 10",
		},
		{name: "curl", ua: "curl/8.5.0", browser: "Unknown", os: "Unknown"},
		{name: "empty", ua: "", browser: "Unknown", os: "Unknown"},
		{name: "garbage", ua: "\x00\xff not a browser ;;; ((", browser: "Unknown", os: "Unknown"},
		{name: "10 KB junk", ua: strings.Repeat("x(;/ ", 2048), browser: "Unknown", os: "Unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			browser, os := agent.Parse(tt.ua)
			if browser != tt.browser || os != tt.os {
				t.Errorf("Parse(%q) = %q, %q; want %q, %q", tt.ua, browser, os, tt.browser, tt.os)
			}
		})
	}
}
