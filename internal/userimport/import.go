package userimport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Options are one import run's settings.
type Options struct {
	URL      string // the server's base URL
	APIKey   string // a key allowed POST /api/user/import
	TenantID string // X-FusionAuth-TenantId, when the server has several tenants
	// File is the import file, Size its length in bytes (0: unknown), for
	// the progress line.
	File io.Reader
	Size int64
	// BatchSize is how many users one request carries (10,000): large
	// enough that the per-request cost vanishes, small enough that a
	// refused batch is quick to fix.
	BatchSize int
	// Skip is how many users of the file to pass over, to resume after the
	// batches an earlier run imported.
	Skip int
	// Override, when not nil, replaces the file's top-level settings.
	EncryptionScheme      *string
	Factor                *int
	ValidateDbConstraints *bool
	// Timeout bounds one request (10 min, the server's own bound of an
	// import request).
	Timeout time.Duration
	Client  *http.Client
	// Progress, when set, is called after each batch.
	Progress func(Status)
}

// Status is what the progress line shows.
type Status struct {
	Imported, Skipped int
	Read, Size        int64
	Elapsed           time.Duration
}

// Result is what a run did.
type Result struct {
	Imported, Skipped, Batches int
	Elapsed                    time.Duration
}

// BatchError is a batch the server refused: nothing of it was imported
// (the batches before it were). Problems are FusionAuth's field and general
// errors, field names rewritten to the user's index in the file.
type BatchError struct {
	First, Count int
	Status       int
	Problems     []string
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("users %d to %d were refused (HTTP %d); none of them was imported, the %d before them were (resume with --skip %d):\n  %s",
		e.First, e.First+e.Count-1, e.Status, e.First, e.First, strings.Join(e.Problems, "\n  "))
}

// Run imports the file.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = 10_000
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	start := time.Now()
	rd, err := newReader(o.File)
	if err != nil {
		return Result{}, err
	}
	hdr := o.settings(rd.hdr)
	batches := make(chan batch, 1) // the next batch is read while one is sent
	readErr := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { readErr <- produce(rctx, rd, o, batches) }()
	var res Result
	for b := range batches {
		if b.first < o.Skip {
			res.Skipped += len(b.users)
		} else {
			if err := o.send(ctx, hdr, b); err != nil {
				cancel()
				for range batches {
				}
				return res, err
			}
			res.Imported += len(b.users)
			res.Batches++
		}
		if o.Progress != nil {
			o.Progress(Status{Imported: res.Imported, Skipped: res.Skipped, Read: b.read, Size: o.Size, Elapsed: time.Since(start)})
		}
	}
	res.Elapsed = time.Since(start)
	if err := <-readErr; err != nil {
		return res, err
	}
	if res.Imported+res.Skipped == 0 {
		return res, ErrEmpty
	}
	return res, nil
}

// produce reads batches into out; the skipped part is cut on the batch
// boundary at o.Skip, so resuming sends exactly the users not yet imported.
func produce(ctx context.Context, rd *reader, o Options, out chan<- batch) error {
	defer close(out)
	for {
		size := o.BatchSize
		if rd.n < o.Skip {
			size = min(size, o.Skip-rd.n)
		}
		b, err := rd.next(size)
		if err != nil || len(b.users) == 0 {
			return err
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (o Options) settings(h header) header {
	if o.EncryptionScheme != nil {
		h.EncryptionScheme = *o.EncryptionScheme
	}
	if o.Factor != nil {
		h.Factor = *o.Factor
	}
	if o.ValidateDbConstraints != nil {
		h.ValidateDbConstraints = *o.ValidateDbConstraints
	}
	return h
}

// body is the request of one batch: the settings, then the users as read.
func body(h header, b batch) []byte {
	head, _ := json.Marshal(h)
	var buf bytes.Buffer
	buf.Write(head[:len(head)-1])
	buf.WriteString(`,"users":[`)
	for i, u := range b.users {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(u)
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

func (o Options) send(ctx context.Context, h header, b batch) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.URL, "/")+"/api/user/import", bytes.NewReader(body(h, b)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", o.APIKey)
	if o.TenantID != "" {
		req.Header.Set("X-FusionAuth-TenantId", o.TenantID)
	}
	res, err := o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("users %d to %d: %w (their batch may or may not have been imported: check before resuming)", b.first, b.first+len(b.users)-1, err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if res.StatusCode == http.StatusOK {
		return nil
	}
	return &BatchError{First: b.first, Count: len(b.users), Status: res.StatusCode, Problems: problems(answer, b.first)}
}

// userIndex finds "users[i]" in a field name or message.
var userIndex = regexp.MustCompile(`users\[(\d+)\]`)

// problems lists FusionAuth's errors of a refused batch, with every
// users[i] rewritten to users[first+i], the index in the file.
func problems(answer []byte, first int) []string {
	var e struct {
		FieldErrors   map[string][]struct{ Code, Message string } `json:"fieldErrors"`
		GeneralErrors []struct{ Code, Message string }            `json:"generalErrors"`
	}
	if json.Unmarshal(answer, &e) != nil || (len(e.FieldErrors) == 0 && len(e.GeneralErrors) == 0) {
		if len(answer) == 0 {
			return []string{"(no error body)"}
		}
		return []string{string(answer)}
	}
	shift := func(s string) string {
		return userIndex.ReplaceAllStringFunc(s, func(m string) string {
			i, err := strconv.Atoi(userIndex.FindStringSubmatch(m)[1])
			if err != nil {
				return m
			}
			return "users[" + strconv.Itoa(first+i) + "]"
		})
	}
	var out []string
	for field, errs := range e.FieldErrors {
		for _, fe := range errs {
			out = append(out, shift(field)+": "+shift(fe.Code)+" "+shift(fe.Message))
		}
	}
	sort.Slice(out, func(i, j int) bool { return naturalLess(out[i], out[j]) })
	for _, ge := range e.GeneralErrors {
		out = append(out, ge.Code+" "+ge.Message)
	}
	return out
}

// naturalLess orders "users[9]..." before "users[10]...".
func naturalLess(a, b string) bool {
	ma, mb := userIndex.FindStringSubmatch(a), userIndex.FindStringSubmatch(b)
	if ma != nil && mb != nil && ma[1] != mb[1] {
		ia, _ := strconv.Atoi(ma[1])
		ib, _ := strconv.Atoi(mb[1])
		return ia < ib
	}
	return a < b
}

// ErrEmpty: the file's users array is empty.
var ErrEmpty = errors.New("import file: the users array is empty")
