// Package account signs users up and in with email and password, changes passwords and reopens the recent-authentication window.
package account
