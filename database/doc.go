// Package database opens latch's store (SQLite by default, PostgreSQL by URL), migrates it and runs transactions.
package database
