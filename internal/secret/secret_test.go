package secret

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestParse(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{0xfb}, 48)
	std, url := base64.StdEncoding.EncodeToString(k1), base64.RawURLEncoding.EncodeToString(k2)
	s, err := Parse("# comment\n" + std + "\n\n , " + url + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.keys) != 2 || !bytes.Equal(s.keys[0], k1) || !bytes.Equal(s.keys[1], k2) {
		t.Fatalf("keys = %x", s.keys)
	}
	round, err := Parse(s.Encode())
	if err != nil || len(round.keys) != 2 || !bytes.Equal(round.keys[1], k2) {
		t.Fatalf("Encode does not round-trip: %v", err)
	}
	short := base64.StdEncoding.EncodeToString(make([]byte, 31))
	for _, bad := range []string{"", "# only a comment", short, "not base64 at all!", std + "," + short} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		} else if strings.Contains(err.Error(), std) {
			t.Errorf("error quotes a key: %v", err)
		}
	}
}

// Each purpose gets its own subkey, and the order (current first) is kept.
func TestDerive(t *testing.T) {
	a, b := Generate(), Generate()
	both := Secret{keys: [][]byte{a.keys[0], b.keys[0]}}
	d := both.Derive("refresh-successor")
	if len(d) != 2 || !bytes.Equal(d[0], a.Derive("refresh-successor")[0]) || !bytes.Equal(d[1], b.Derive("refresh-successor")[0]) {
		t.Fatal("Derive does not keep one subkey per key in order")
	}
	if bytes.Equal(d[0], a.keys[0]) || bytes.Equal(d[0], a.Derive("other")[0]) {
		t.Fatal("subkey equals the key or another purpose's subkey")
	}
	if len((Secret{}).Derive("x")) != 0 {
		t.Fatal("the empty secret derived a key")
	}
}

// LoadOrCreate creates the file once, private, and every later call, and
// every concurrent first call, reads the same secret.
func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latchkey.db.secret")
	const n = 8
	got := make([]Secret, n)
	created := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			got[i], created[i], err = LoadOrCreate(path)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	made := 0
	for i := range n {
		if created[i] {
			made++
		}
		if got[i].Encode() != got[0].Encode() {
			t.Fatalf("caller %d got another secret", i)
		}
	}
	if made != 1 {
		t.Fatalf("%d callers created the file, want 1", made)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	again, created2, err := LoadOrCreate(path)
	if err != nil || created2 || again.Encode() != got[0].Encode() {
		t.Fatalf("second start: %v, created %v, same %v", err, created2, again.Encode() == got[0].Encode())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreate(path); err == nil {
		t.Fatal("a damaged secret file was replaced or accepted instead of refused")
	}
}
