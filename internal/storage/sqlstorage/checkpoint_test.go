package sqlstorage

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/loghygiene"
)

// The background checkpointer (checkpoint.go): what a user of the store
// would notice is where the committed rows are on disk, how large the WAL
// gets, and that nothing committed is lost.

// walPage is SQLite's default page size, which latchkey's databases use.
const walPage = 4096

// openCheckpointTest opens a SQLite store with a scratch table ck.
func openCheckpointTest(t *testing.T, opts Options) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "latchkey.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.exec(ctx, `CREATE TABLE ck (k TEXT PRIMARY KEY, b BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return s
}

// writeRows commits n rows of size bytes each in ck, from 8 concurrent
// writers (so the group commit forms groups, as under load).
func writeRows(t *testing.T, s *Store, prefix string, n, size int) {
	writeRowsFrom(t, s, 8, prefix, n, size)
}

// writeRowsFrom is writeRows from the given number of writers (one: every
// row is a commit of its own).
func writeRowsFrom(t *testing.T, s *Store, writers int, prefix string, n, size int) {
	t.Helper()
	ctx := context.Background()
	blob := bytes.Repeat([]byte{'x'}, size)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				if err := s.tx(ctx, func(q querier) error {
					_, err := q.ExecContext(ctx, `INSERT INTO ck (k, b) VALUES ($1, $2)`, fmt.Sprintf("%s-%d", prefix, i), blob)
					return err
				}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// fileRows counts the rows of ck in the database FILE alone: a copy of it
// without its WAL, so only what was checkpointed into the file is seen.
func fileRows(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", cp)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM ck`).Scan(&n); err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return 0
		}
		t.Fatal(err)
	}
	return n
}

func walSize(t *testing.T, s *Store) int64 {
	t.Helper()
	st, err := os.Stat(s.path + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// waitCheckpoints waits until the checkpointer has finished more than n
// checkpoints. It is not a timing assertion: the bound only keeps a broken
// checkpointer from hanging the test.
func waitCheckpoints(t *testing.T, s *Store, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.checkpoints.runs.Load() <= n {
		if time.Now().After(deadline) {
			t.Fatalf("the checkpointer finished %d checkpoints, want more than %d", s.checkpoints.runs.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// holdCheckpointer takes the checkpointer's one connection, waiting for a
// checkpoint in progress: no background checkpoint writes into the
// database file until the returned release is called (or the test ends).
func holdCheckpointer(t *testing.T, s *Store) (release func()) {
	t.Helper()
	conn, err := s.checkpoints.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	release = func() { _ = conn.Close() } // a second Close does nothing
	t.Cleanup(release)                    // before the store's Close (cleanups run last-in first)
	return release
}

// wholeCheckpoint runs the checkpointer's checkpoint until one copies every
// frame of the WAL. Call it with no write in flight. A PASSIVE checkpoint
// beside a commit stops short of the WAL's end (at a reader's snapshot, or
// at the end it saw when it started); the database file alone is then not
// a database: its header may count a page that only the WAL holds, and
// SQLite opening the file without its WAL reports "database disk image is
// malformed" (the store, which reads both, is unaffected). The deadline
// only keeps a broken checkpointer from hanging the test.
func wholeCheckpoint(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		frames, copied, err := s.checkpoints.checkpoint(context.Background())
		if err == nil && frames >= 0 && copied == frames {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint copied the whole WAL: last %d of %d frames, %v", copied, frames, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWritesReachTheDatabaseFileWithoutACommitCheckpointing: 128 commits,
// far below the writer's own checkpoint bound, are copied into the
// database file while the store stays open: the checkpointer did it, not
// the commits (with the writer's checkpoint alone, at walBackstopPages, the
// file would not have them yet). The checkpoints the commits kicked are
// shown to have written into the file; the rows the file alone holds are
// counted after a whole checkpoint the test runs itself, once the writes
// are done.
func TestWritesReachTheDatabaseFileWithoutACommitCheckpointing(t *testing.T) {
	s := openCheckpointTest(t, Options{})
	wholeCheckpoint(t, s) // the schema is in the file: its bytes before the writes
	before := fileBytes(t, s.path)
	ran := s.checkpoints.runs.Load()
	writeRowsFrom(t, s, 1, "a", 2*checkpointEvery, 100) // two kicks
	// Both checkpoints the commits kicked have run; by the end of the
	// second, the commits before the first kick are in the file.
	waitCheckpoints(t, s, ran+1)
	release := holdCheckpointer(t, s)
	if frames := walSize(t, s) / walPage; frames >= walBackstopPages {
		t.Fatalf("WAL of %d pages: the writer's own checkpoint would have run", frames)
	}
	// In WAL mode only a checkpoint writes into the database file.
	if bytes.Equal(fileBytes(t, s.path), before) {
		t.Fatal("database file unchanged after the commits: the checkpointer copied nothing")
	}
	release()
	// What the file alone holds, once a checkpoint copied the whole WAL.
	wholeCheckpoint(t, s)
	holdCheckpointer(t, s)
	if n := fileRows(t, s.path); n != 2*checkpointEvery {
		t.Fatalf("the database file holds %d of the %d committed rows after a whole checkpoint", n, 2*checkpointEvery)
	}
}

// TestWALStaysBoundedUnderSustainedWrites: writing several times the
// WAL's bound keeps the WAL file under that bound (plus one group's
// pages), and every row is readable.
func TestWALStaysBoundedUnderSustainedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 50 MB")
	}
	s := openCheckpointTest(t, Options{})
	const rows, size = 3000, 5000 // two pages a row: 6,000 pages, 1.5 times the bound
	var max int64
	for round := range 3 {
		writeRows(t, s, fmt.Sprintf("r%d", round), rows, size)
		if w := walSize(t, s); w > max {
			max = w
		}
	}
	// One group of maxGroup members of 2 pages each may land past the bound.
	if limit := int64(walBackstopPages+2*maxGroup+16) * (walPage + 24); max > limit {
		t.Fatalf("WAL grew to %d bytes, past its bound of %d", max, limit)
	}
	var n int
	if err := s.r.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM ck`).Scan(&n); err != nil || n != 3*rows {
		t.Fatalf("rows = %d, %v; want %d", n, err, 3*rows)
	}
}

// TestCheckpointWaitsForALongReaderThenCatchesUp: a reader holding an old
// snapshot keeps the frames after it out of the database file (a PASSIVE
// checkpoint never waits for it, so it blocks nobody); once the reader
// ends, the next checkpoint copies them.
func TestCheckpointWaitsForALongReaderThenCatchesUp(t *testing.T) {
	s := openCheckpointTest(t, Options{})
	ctx := context.Background()
	writeRows(t, s, "before", 10, 100)
	if _, _, err := s.checkpoints.checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	reader, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var seen int
	if err := reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM ck`).Scan(&seen); err != nil {
		t.Fatal(err)
	}
	writeRows(t, s, "during", 50, 100)
	frames, copied, err := s.checkpoints.checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if copied >= frames {
		t.Fatalf("checkpoint copied %d of %d frames past an open reader's snapshot", copied, frames)
	}
	if n := fileRows(t, s.path); n != seen {
		t.Fatalf("database file holds %d rows while the reader is open; want the %d it saw", n, seen)
	}
	if err := reader.Rollback(); err != nil {
		t.Fatal(err)
	}
	frames, copied, err = s.checkpoints.checkpoint(ctx)
	if err != nil || copied != frames {
		t.Fatalf("after the reader ended: copied %d of %d frames, %v; want all", copied, frames, err)
	}
	if n := fileRows(t, s.path); n != 60 {
		t.Fatalf("database file holds %d rows; want 60", n)
	}
}

// TestFailedCheckpointIsReportedAndWritesGoOn: a checkpoint that fails is
// logged and counted, commits are not affected, and the writer's own
// checkpoint still bounds the WAL.
func TestFailedCheckpointIsReportedAndWritesGoOn(t *testing.T) {
	var logs loghygiene.Buffer
	s := openCheckpointTest(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	// The checkpointer's connection breaks: every checkpoint fails.
	if err := s.checkpoints.db.Close(); err != nil {
		t.Fatal(err)
	}
	ran := s.checkpoints.runs.Load()
	writeRows(t, s, "a", 3000, 5000) // 6,000 pages, past the bound
	waitCheckpoints(t, s, ran)
	if s.checkpoints.failures.Load() == 0 || !strings.Contains(logs.String(), "background WAL checkpoint failed") {
		t.Fatalf("failures = %d, log %q; want the failure counted and logged", s.checkpoints.failures.Load(), logs.String())
	}
	// Logged on the 1st, 2nd, 4th… failure only: a broken checkpointer
	// does not warn on every kick. (The deadline only keeps a broken test
	// from hanging; the loop settles within microseconds of the writes.)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if s.checkpoints.failures.Load() < 5 {
			writeRowsFrom(t, s, 1, fmt.Sprintf("b%d", s.checkpoints.failures.Load()), 2*checkpointEvery, 10)
		}
		failed := s.checkpoints.failures.Load()
		lines := strings.Count(logs.String(), "background WAL checkpoint failed")
		if failed >= 5 && lines == bits.Len64(uint64(failed)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d failures logged %d times; want the 1st, 2nd, 4th… logged: %d times", failed, lines, bits.Len64(uint64(failed)))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if w := walSize(t, s); w > int64(walBackstopPages+2*maxGroup+16)*(walPage+24) {
		t.Fatalf("WAL grew to %d bytes without the checkpointer: the writer's bound did not hold", w)
	}
	if n := fileRows(t, s.path); n == 0 {
		st, _ := os.Stat(s.path)
		t.Fatalf("nothing reached the database file (%d bytes, WAL %d): the writer's own checkpoint did not run", st.Size(), walSize(t, s))
	}
}

// TestCloseLeavesTheDatabaseInItsFile: after Close the WAL is gone and the
// database file alone holds every committed row, as before the
// checkpointer.
func TestCloseLeavesTheDatabaseInItsFile(t *testing.T) {
	s := openCheckpointTest(t, Options{})
	writeRows(t, s, "a", 3*checkpointEvery+7, 100)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("WAL left after Close: %v", err)
	}
	if n := fileRows(t, s.path); n != 3*checkpointEvery+7 {
		t.Fatalf("database file holds %d rows after Close; want %d", n, 3*checkpointEvery+7)
	}
}
