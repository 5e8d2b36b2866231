package app

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// failedToEventLog is an outbox.Config.Failed that writes each failed
// attempt to the event log in the words describe gives it (mail's and
// events' FailureMessage, which leave secrets out). A write that fails is
// logged: the outbox already keeps the error with the message.
func failedToEventLog(el *manage.EventLogs, describe func(outbox.Outcome) string, log *slog.Logger) func(context.Context, outbox.Outcome) {
	return func(ctx context.Context, o outbox.Outcome) {
		if err := el.Write(ctx, storage.EventLogError, describe(o)); err != nil {
			log.Error("event log: write failed", "queue", o.Message.Queue, "id", o.Message.ID, "err", err)
		}
	}
}

// jobFailureMessage is the event log text of a failed attempt of a job
// queue (the account jobs of keyless forgot-password and verification
// requests, keyless passwordless starts): the queue, the message's id, the
// attempt and the error; never the payload, which holds the login id the
// request named.
func jobFailureMessage(o outbox.Outcome) string {
	text := "Failed to run the [" + o.Message.Queue + "] job with Id [" + o.Message.ID + "] (" + o.Attempt() + ")"
	if o.Err != nil {
		text += ": " + o.Err.Error()
	}
	return text
}

// lambdaFailures carries the event log texts of failed lambda calls
// (lambda.Config.Failures) from token minting to one writer, so a login
// never waits for an event log write: add never blocks, and a text that
// finds the queue full is dropped and counted, the count written with the
// next entry. However often a lambda fails, the writes are one at a time.
type lambdaFailures struct {
	ch      chan string
	dropped atomic.Int64
	el      *manage.EventLogs // set once the services exist, before run
	log     *slog.Logger
}

// lambdaFailureQueue is how many texts wait for the writer at most.
const lambdaFailureQueue = 64

func newLambdaFailures(log *slog.Logger) *lambdaFailures {
	return &lambdaFailures{ch: make(chan string, lambdaFailureQueue), log: log}
}

// add queues message, or drops it when the queue is full.
func (q *lambdaFailures) add(_ context.Context, message string) {
	select {
	case q.ch <- message:
	default:
		q.dropped.Add(1)
	}
}

// run writes the queued texts until ctx is done, then the ones still
// queued, and returns.
func (q *lambdaFailures) run(ctx context.Context) {
	for {
		select {
		case m := <-q.ch:
			q.write(m)
		case <-ctx.Done():
			for {
				select {
				case m := <-q.ch:
					q.write(m)
				default:
					return
				}
			}
		}
	}
}

// lambdaFailureWriteTimeout bounds one write, so a database that does
// not answer cannot hold the server's shutdown on the queue (at most
// lambdaFailureQueue writes are left when it begins).
const lambdaFailureWriteTimeout = 2 * time.Second

func (q *lambdaFailures) write(message string) {
	ctx, cancel := context.WithTimeout(context.Background(), lambdaFailureWriteTimeout)
	defer cancel()
	if n := q.dropped.Swap(0); n > 0 {
		message += "\n(" + strconv.FormatInt(n, 10) + " more lambda failures were not written: they came faster than the event log takes them)"
	}
	if err := q.el.Write(ctx, storage.EventLogError, message); err != nil {
		q.log.Error("event log: write failed", "err", err)
	}
}
