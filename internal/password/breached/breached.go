// Package breached answers, offline, whether a password is one of the most
// common leaked passwords or an obvious variant of one: FusionAuth's
// [breachedCommonPassword] check without FusionAuth's online Reactor
// service (issue 9; ASVS 5.0 6.2.4 and 6.2.12).
//
// The list is the 47,023 passwords of Dropbox's zxcvbn data set
// (data/passwords.txt, MIT licence, see LICENSE-zxcvbn-data): every password
// seen more than ten times in Mark Burnett's corpus of ten million leaked
// passwords, which he released into the public domain in 2015. It is
// embedded lowercased, sorted and gzipped (137 KB) and decompressed on first
// use; docs/decisions.md ("An offline common-password list, not zxcvbn")
// says why a list and not the estimator.
package breached

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"sort"
	"strings"
	"sync"
)

// maxInput bounds the work for one password: password.MaxBytes.
const maxInput = 1024

//go:embed passwords.txt.gz
var listGz []byte

// list is the decompressed list: blob holds the entries one per line,
// starts[i] where entry i begins, in sorted (byte) order.
var list struct {
	once   sync.Once
	blob   string
	starts []uint32
}

func load() {
	list.once.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(listGz))
		if err != nil {
			panic("breached: embedded list: " + err.Error()) // the build embedded a broken file
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			panic("breached: embedded list: " + err.Error())
		}
		list.blob = string(b)
		list.starts = make([]uint32, 0, bytes.Count(b, []byte{'\n'}))
		for i := 0; i < len(b); {
			list.starts = append(list.starts, uint32(i))
			i += bytes.IndexByte(b[i:], '\n') + 1
		}
	})
}

// Preload decompresses the list now rather than on the first check; the
// server may call it at start so no sign-up waits for it.
func Preload() { load() }

// Len is the number of passwords on the list.
func Len() int {
	load()
	return len(list.starts)
}

func entry(i int) string {
	s := list.blob[list.starts[i]:]
	return s[:strings.IndexByte(s, '\n')]
}

// listed reports whether s is on the list: a binary search, about 16
// string comparisons.
func listed(s string) bool {
	n := len(list.starts)
	i := sort.Search(n, func(i int) bool { return entry(i) >= s })
	return i < n && entry(i) == s
}

// Common reports whether plain is on the list or an obvious variant of an
// entry (variants.go): any letter case, compatibility forms (full-width
// letters), common letter-for-symbol substitutions, a few digits or symbols
// before or after, reversed, or repeated; or one of the trivial patterns the
// list leaves out (aaaaaaaa, abcdefgh, 87654321). The caller has already capped the
// password's length (password.MaxBytes); a longer one is not examined and
// is not reported common.
func Common(plain string) bool {
	if len(plain) > maxInput {
		return false
	}
	load()
	for _, v := range variants(plain) {
		if listed(v) || trivial(v) {
			return true
		}
	}
	return false
}
