// Package events carries session changes from the code that commits them to the live subscribers of each user.
package events
