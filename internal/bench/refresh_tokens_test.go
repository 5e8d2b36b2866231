package bench

import (
	"errors"
	"net/http"
	"slices"
	"testing"
)

// TestLatestTokensKeepOnlyValuesStillGood: after a run over existing
// sessions, a session answered 200 keeps its new value; one whose last
// refresh got no usable answer (no response, a 200 that did not decode,
// a 5xx) may hold a value the server rotated unheard, and one the server
// refused (4xx) will not refresh again: both are left out and counted; a
// 429 leaves the value as it was. The tokens no session used follow. A
// run that keeps nothing returns an empty list, not nil, so the file is
// still replaced (its values may all be used ones).
func TestLatestTokensKeepOnlyValuesStillGood(t *testing.T) {
	answered := func(status int, err error) *session {
		s := &session{refresh: "v" + http.StatusText(status)}
		s.settle(outcome{status: status, err: err})
		return s
	}
	lost := errors.New("connection reset")
	sessions := []*session{
		answered(http.StatusOK, nil),
		answered(0, lost),
		answered(http.StatusOK, errors.New("not the expected JSON")),
		answered(http.StatusServiceUnavailable, lost),
		answered(http.StatusTooManyRequests, lost),
		answered(http.StatusBadRequest, lost),
		answered(http.StatusUnauthorized, lost),
	}
	keep, unsure, refused := latestTokens([]string{"a", "b", "c", "d", "e", "f", "g", "unused"}, sessions)
	if want := []string{"vOK", "vToo Many Requests", "unused"}; !slices.Equal(keep, want) || unsure != 3 || refused != 2 {
		t.Fatalf("kept %q, %d unsure, %d refused; want %q, 3, 2", keep, unsure, refused, want)
	}
	// A later 200 settles an unsure session (the server's answer holds the
	// value to present next).
	s := answered(0, lost)
	s.settle(outcome{status: http.StatusOK})
	if s.unsure || s.refused {
		t.Fatalf("a session answered 200 after a lost answer: unsure %v, refused %v", s.unsure, s.refused)
	}
	none, unsure, _ := latestTokens([]string{"a"}, []*session{answered(0, lost)})
	if none == nil || len(none) != 0 || unsure != 1 {
		t.Fatalf("a run that keeps nothing: %#v, %d unsure; want an empty list", none, unsure)
	}
}
