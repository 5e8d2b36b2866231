package sqlstorage

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// killChildEnv names the database the writer child of
// TestAcknowledgedWritesSurviveKill9DuringCheckpoints writes to.
const killChildEnv = "LATCHKEY_TEST_CHECKPOINT_KILL_CHILD"

// TestAcknowledgedWritesSurviveKill9DuringCheckpoints: a process writing
// as fast as it can, with the background checkpointer copying the WAL
// meanwhile, is killed with SIGKILL. Every write it had acknowledged is in
// the database when it is opened again: a process crash loses no
// acknowledged commit whatever the checkpointer was doing. A kill leaves
// the kernel's page cache intact, so this shows crash consistency, not the
// fsync ordering a power loss needs; that rests on SQLite's checkpoint
// (the WAL synced before the copy, the file before the WAL restarts).
func TestAcknowledgedWritesSurviveKill9DuringCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latchkey.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	checkpoints := 0
	sc := bufio.NewScanner(out)
	// Kill after several checkpoints, and after the acknowledgements that
	// followed the last of them; give up (and fail below) if checkpoints
	// never come.
	for sc.Scan() && (checkpoints < 5 || len(acked) < 25*checkpointEvery) && len(acked) < 1000*checkpointEvery {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "checkpoints "); ok {
			fmt.Sscan(n, &checkpoints)
			continue
		}
		if k, ok := strings.CutPrefix(line, "ack "); ok {
			acked[k] = true
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if checkpoints < 5 {
		t.Fatalf("the child was stopped after %d checkpoints and %d writes; want 5 checkpoints", checkpoints, len(acked))
	}
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.r.QueryContext(context.Background(), `SELECT k FROM ck`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		delete(acked, k)
	}
	if len(acked) > 0 {
		t.Fatalf("%d acknowledged writes lost after kill -9", len(acked))
	}
}

// TestCheckpointKillChild is the writer process of the test above; it does
// nothing unless started by it.
func TestCheckpointKillChild(t *testing.T) {
	s, ok := childStore(t, killChildEnv)
	if !ok {
		return
	}
	ctx := context.Background()
	if _, err := s.exec(ctx, `CREATE TABLE ck (k TEXT PRIMARY KEY, b BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, format+"\n", args...)
		w.Flush()
	}
	blob := make([]byte, 300)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				k := fmt.Sprintf("%d-%d", g, i)
				if err := s.tx(ctx, func(q querier) error {
					_, err := q.ExecContext(ctx, `INSERT INTO ck (k, b) VALUES ($1, $2)`, k, blob)
					return err
				}); err != nil {
					say("error %v", err)
					return
				}
				say("ack %s", k)
				say("checkpoints %d", s.checkpoints.runs.Load())
			}
		})
	}
	wg.Wait() // until killed
}

// childStore opens the database a parent test named in env, or reports
// false when this process was not started as that test's child.
func childStore(t *testing.T, env string) (*Store, bool) {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		return nil, false
	}
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, true
}
