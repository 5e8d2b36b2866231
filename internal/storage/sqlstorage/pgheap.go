package sqlstorage

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// widenBackendHeap runs once on every new PostgreSQL connection (issue 13).
// A backend's refresh statements (the batched session read and rotation)
// each open four or five index scans, and PostgreSQL allocates 27 KiB per
// B-tree scan outside its memory-context blocks: with glibc's default trim
// threshold (128 KiB) nearly every such statement grew the backend's heap
// with brk and shrank it again at its end. On a virtual machine each shrink
// is a TLB shootdown across CPUs: a profile of the backends under a refresh
// load put 12 % of their CPU in brk, page faults and the shootdowns'
// interrupts. glibc raises a process's trim and mmap thresholds once a
// block it allocated with mmap is freed (mallopt(3), "dynamic mmap
// threshold"); one 1 MiB string built and freed does that, after which the
// backend keeps up to 2 MiB of freed heap instead of returning it, and the
// brk calls under that load fell from 408 to 3 in 4 seconds. Elsewhere
// (another C library, a pooler in front) the statement costs one round trip
// per connection and changes nothing. A server that answers it with an
// error (a role that may not execute repeat, a statement_timeout, a
// PostgreSQL-like server) leaves the connection usable, and since the
// statement only saves CPU it is then used as it is: only a failure of the
// connection itself fails the connect.
func widenBackendHeap(ctx context.Context, c *pgx.Conn) error {
	_, err := c.Exec(ctx, `SELECT length(repeat('x', 1048576))`)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return nil
	}
	return err
}
