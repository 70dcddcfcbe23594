// Package latch holds the code generation steps; the service itself lives in the packages below.
package latch

// Ent first (the GraphQL layer binds to its types), then gqlgen.
//go:generate go tool ent generate --feature sql/upsert,sql/execquery,sql/modifier ./ent/schema
//go:generate go tool gqlgen generate --config gqlgen.yml
