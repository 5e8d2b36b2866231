package userimport

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// header is the file's top-level settings, which every batch repeats.
type header struct {
	EncryptionScheme      string `json:"encryptionScheme,omitempty"`
	Factor                int    `json:"factor,omitempty"`
	ValidateDbConstraints bool   `json:"validateDbConstraints"`
}

// batch is users[first : first+len(users)] of the file.
type batch struct {
	first int
	users []json.RawMessage
	read  int64 // bytes of the file read when the batch was complete
}

// counter counts the bytes read through it, for the progress line.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// reader walks an import file token by token: the top-level settings must
// come before "users" (a setting after it would not apply to batches
// already sent, so it is an error), and the users are read one by one.
type reader struct {
	dec *json.Decoder
	cnt *counter
	hdr header
	n   int // users read so far
}

func newReader(r io.Reader) (*reader, error) {
	cnt := &counter{r: r}
	rd := &reader{dec: json.NewDecoder(bufio.NewReaderSize(cnt, 1<<20)), cnt: cnt}
	if err := rd.expect(json.Delim('{')); err != nil {
		return nil, err
	}
	for rd.dec.More() {
		key, err := rd.key()
		if err != nil {
			return nil, err
		}
		switch key {
		case "users":
			return rd, rd.expect(json.Delim('['))
		case "encryptionScheme":
			err = rd.dec.Decode(&rd.hdr.EncryptionScheme)
		case "factor":
			err = rd.dec.Decode(&rd.hdr.Factor)
		case "validateDbConstraints":
			err = rd.dec.Decode(&rd.hdr.ValidateDbConstraints)
		default:
			var skip json.RawMessage
			err = rd.dec.Decode(&skip)
		}
		if err != nil {
			return nil, fmt.Errorf("import file: %q: %w", key, err)
		}
	}
	return nil, errors.New(`import file: no "users" array`)
}

func (rd *reader) key() (string, error) {
	tok, err := rd.dec.Token()
	if err != nil {
		return "", fmt.Errorf("import file: %w", err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("import file: unexpected %v", tok)
	}
	return k, nil
}

func (rd *reader) expect(d json.Delim) error {
	tok, err := rd.dec.Token()
	if err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	if tok != d {
		return fmt.Errorf("import file: expected %q, found %v", d, tok)
	}
	return nil
}

// next reads up to size users; an empty batch means the array has ended,
// after which the rest of the file is checked.
func (rd *reader) next(size int) (batch, error) {
	b := batch{first: rd.n}
	for len(b.users) < size && rd.dec.More() {
		var u json.RawMessage
		if err := rd.dec.Decode(&u); err != nil {
			return b, fmt.Errorf("import file: users[%d]: %w", rd.n, err)
		}
		b.users = append(b.users, u)
		rd.n++
	}
	b.read = rd.cnt.n
	if len(b.users) > 0 {
		return b, nil
	}
	return b, rd.finish()
}

// finish reads past the users array and refuses settings after it.
func (rd *reader) finish() error {
	if err := rd.expect(json.Delim(']')); err != nil {
		return err
	}
	for rd.dec.More() {
		key, err := rd.key()
		if err != nil {
			return err
		}
		switch key {
		case "encryptionScheme", "factor", "validateDbConstraints":
			return fmt.Errorf(`import file: %q comes after "users"; put the settings first, or give them as flags`, key)
		}
		var skip json.RawMessage
		if err := rd.dec.Decode(&skip); err != nil {
			return fmt.Errorf("import file: %q: %w", key, err)
		}
	}
	return rd.expect(json.Delim('}'))
}
