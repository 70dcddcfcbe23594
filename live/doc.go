// Package live ties websocket connections to the sessions they belong to: it feeds each socket its user's session events and ends the socket when its own session ends.
package live
