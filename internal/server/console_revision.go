package server

import (
	"errors"
	"net/http"
	"strconv"
)

// A console form that edits a configuration record (a webhook, a group, an
// email template, an application, the tenant) carries the revision of the
// record it was rendered from in a hidden field, revision. Its save applies
// only the fields the form shows onto the record as it is now, and only
// while the record still has that revision: a change made since the form
// was opened (by another admin, or by the API, to a field the form shows or
// not) is never overwritten. The check runs inside the use case's
// read-modify-write (its change function), so a write committed between
// the check and the save makes the use case read again, and the check
// refuses then.

// errChangedSinceOpened is what a form's change function answers when the
// record's revision is no longer the form's: nothing is written.
var errChangedSinceOpened = errors.New("server: the record was changed since the form was opened")

// changedSinceOpened is the page's problem after errChangedSinceOpened
// (the form shown again, 409, with the record's current values).
func changedSinceOpened(what string) string {
	return "Not saved: this " + what + " was changed by someone else since you opened it. " +
		"Its current values are shown below; apply your changes again."
}

// badRevision is the page's problem when the form's revision field is not
// a revision (the form shown again, 400, with the current values).
func badRevision(what string) string {
	return "Not saved: the form does not say which version of this " + what + " it was opened from. " +
		"Its current values are shown below; apply your changes again."
}

// formRevision reads the form's revision field: a positive decimal integer
// that fits in 64 bits (the revision is not secret, but it is the
// request's). ok is false otherwise: missing, "x", "-1", "0", too large.
func formRevision(r *http.Request) (rev int64, ok bool) {
	v := r.PostFormValue("revision")
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// sameRevision is the check of a form's change function: nil while the
// record (cur, its revision as read by this try) is the form's revision.
func sameRevision(cur, form int64) error {
	if cur != form {
		return errChangedSinceOpened
	}
	return nil
}
