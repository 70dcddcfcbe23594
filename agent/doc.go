// Package agent turns stored user-agent strings into safe display text and a short "browser, OS" summary for the active-sessions list.
package agent
