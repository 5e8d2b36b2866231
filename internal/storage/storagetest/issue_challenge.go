package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testIssueChallenge: IssueChallenge commits the count, the challenge and
// its mail together or not at all; a repeated message id (the retry of a
// job that committed) and a limit passed store nothing, the count included.
func testIssueChallenge(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	l := storage.RateLimit{Key: "issue:u1", Window: time.Minute, Max: 2}
	live := func(value string) bool {
		t.Helper()
		_, err := s.GetChallenge(ctx, storage.ChallengePasswordless, hash(value), base)
		if err != nil {
			wantErr(t, err, storage.ErrNotFound)
		}
		return err == nil
	}
	queued := func(id string) bool {
		t.Helper()
		_, err := s.GetOutboxMessage(ctx, id)
		if err != nil {
			wantErr(t, err, storage.ErrNotFound)
		}
		return err == nil
	}

	n, err := s.IssueChallenge(ctx, challenge("code1", storage.ChallengePasswordless, "u1", time.Minute), l, outboxMsg("mail-of-job1", base))
	must(t, err)
	wantEqual(t, "count", n, 1)
	wantEqual(t, "code1 stored with its mail", live("code1") && queued("mail-of-job1"), true)

	// The job again (its message id is its own): nothing is stored or counted.
	_, err = s.IssueChallenge(ctx, challenge("code1-again", storage.ChallengePasswordless, "u1", time.Minute), l, outboxMsg("mail-of-job1", base))
	wantErr(t, err, storage.ErrConflict)
	wantEqual(t, "a repeated job's code stored", live("code1-again"), false)

	// The challenge fails after its mail and count were written: both roll back.
	_, err = s.IssueChallenge(ctx, challenge("code1", storage.ChallengePasswordless, "u1", time.Minute), l, outboxMsg("mail-of-job2", base))
	wantErr(t, err, storage.ErrConflict)
	wantEqual(t, "the failed issue's mail queued", queued("mail-of-job2"), false)

	n, err = s.IssueChallenge(ctx, challenge("code3", storage.ChallengePasswordless, "u1", time.Minute), l, outboxMsg("mail-of-job3", base))
	must(t, err)
	wantEqual(t, "count after two refused issues", n, 2)
	n, err = s.IssueChallenge(ctx, challenge("code4", storage.ChallengePasswordless, "u1", time.Minute), l, outboxMsg("mail-of-job4", base))
	must(t, err)
	wantEqual(t, "count over the limit", n, 3)
	wantEqual(t, "over the limit: code or mail stored", live("code4") || queued("mail-of-job4"), false)
	n, err = s.CountEvent(ctx, l.Key, base, l.Window)
	must(t, err)
	wantEqual(t, "the count after an issue over the limit (rolled back)", n, 3)

	// Without messages (a code answered to its caller), and in a new window.
	n, err = s.IssueChallenge(ctx, challenge("code5", storage.ChallengePasswordless, "u1", time.Minute), l)
	must(t, err)
	wantEqual(t, "count", n, 4)
	wantEqual(t, "code5 over the limit stored", live("code5"), false)
	later := challenge("code6", storage.ChallengePasswordless, "u1", 2*time.Minute)
	later.CreatedAt = base.Add(l.Window)
	n, err = s.IssueChallenge(ctx, later, l)
	must(t, err)
	wantEqual(t, "count in the next window", n, 1)
	wantEqual(t, "code6 stored", live("code6"), true)
}

// testIssueChallengeConcurrent: of concurrent issues under one limit (as
// from several nodes) exactly Max store their code and mail.
func testIssueChallengeConcurrent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	l := storage.RateLimit{Key: "issue:burst", Window: time.Minute, Max: 5}
	errs := parallel(12, func(i int) error {
		_, err := s.IssueChallenge(ctx, challenge(fmt.Sprint("burst", i), storage.ChallengePasswordless, "u1", time.Minute), l,
			outboxMsg(fmt.Sprint("burst-mail", i), base))
		return err
	})
	if ok, other := countNil(errs); ok != 12 {
		t.Fatalf("concurrent issues failed: %v", other)
	}
	codes, mails := 0, 0
	for i := range 12 {
		if _, err := s.GetChallenge(ctx, storage.ChallengePasswordless, hash(fmt.Sprint("burst", i)), base); err == nil {
			codes++
		}
		if _, err := s.GetOutboxMessage(ctx, fmt.Sprint("burst-mail", i)); err == nil {
			mails++
		}
	}
	if codes != 5 || mails != 5 {
		t.Fatalf("%d codes and %d mails stored by 12 concurrent issues under a limit of 5, want 5 and 5", codes, mails)
	}
}
