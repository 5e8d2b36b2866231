package userimport

import (
	"bytes"
	"testing"
)

// FuzzReader: any file is read to its end or refused with an error; it
// never panics, and every user it yields is one JSON value.
func FuzzReader(f *testing.F) {
	for _, seed := range []string{
		`{"users":[{"email":"a"},{"email":"b"}]}`, `{"factor":1,"users":[],"x":{}}`, `{"users":[1,"2",null]}`,
		`{"users":[{}],"factor":2}`, `[`, `{"users":{}}`, "\xff", `{"users":[{"a":` + "\"\\ud800\"" + `}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		rd, err := newReader(bytes.NewReader(file))
		for n := 0; err == nil && n < 10_000; n++ {
			var b batch
			if b, err = rd.next(3); err != nil || len(b.users) == 0 {
				return
			}
			for _, u := range b.users {
				if len(bytes.TrimSpace(u)) == 0 {
					t.Fatalf("an empty user from %q", file)
				}
			}
		}
	})
}
