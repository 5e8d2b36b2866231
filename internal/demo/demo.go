// Package demo runs the workflow's three parties on one machine: the identity
// server (on an embedded SQLite, seeded by its own Kickstart), the Store and the
// Forums example applications.
package demo

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"
)

// Options configures Run. Zero values take the documented defaults.
type Options struct {
	DataDir      string        // where the SQLite files live; default: a folder under the user's cache dir
	IdentityAddr string        // default 127.0.0.1:9011 (published as http://localhost:9011)
	StoreAddr    string        // default 127.0.0.1:3000
	ForumsAddr   string        // default 127.0.0.1:3001
	JWTTTL       time.Duration // default 30s
	RefreshTTL   time.Duration // default 10m
	Logger       *slog.Logger
	Out          io.Writer // where the URLs and credentials are printed
}

// Run starts everything and blocks until ctx is done, then stops cleanly.
func Run(ctx context.Context, opts Options) error {
	return errors.New("demo: not implemented yet")
}
