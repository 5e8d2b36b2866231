package kickstart

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// claimAndApply runs the two-phase claim (storage.KickstartStore): the node
// that wins checks that the database is empty (checkEmpty), applies p while
// renewing its claim, then marks it done; the
// others poll until done, and take over a claim whose holder stopped
// renewing it (crashed mid-apply). Nobody returns nil before done, so a
// node never starts serving while another is still seeding.
func claimAndApply(ctx context.Context, o Options, p plan) error {
	owner := uuid.NewString()
	wctx, cancel := context.WithTimeout(ctx, o.Wait)
	defer cancel()
	waiting := false
	for {
		now := o.Now()
		won, err := o.Store.ClaimKickstart(ctx, owner, now, now.Add(-o.StaleAfter))
		if err != nil {
			return fmt.Errorf("kickstart: claim: %w", err)
		}
		if won {
			break
		}
		done, err := o.Store.KickstartDone(ctx)
		if err != nil {
			return fmt.Errorf("kickstart: %w", err)
		}
		if done {
			o.Logger.Info("kickstart applied by another node", "file", o.Path)
			return nil
		}
		if !waiting {
			o.Logger.Info("kickstart is being applied by another node; waiting", "file", o.Path, "max_wait", o.Wait)
			waiting = true
		}
		t := time.NewTimer(o.Poll)
		select {
		case <-wctx.Done():
			t.Stop()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("kickstart: another node has been applying the Kickstart for more than %s; "+
				"not serving a half-seeded database (a node that died is taken over once its claim is %s old)", o.Wait, o.StaleAfter)
		case <-t.C:
		}
	}
	err := checkEmpty(ctx, o.Store)
	if err == nil {
		var done progress
		done, err = applyRenewing(ctx, o, owner, p)
		if err != nil {
			err = fmt.Errorf("%w%s", err, appliedNote(p, done))
		}
	}
	if err != nil {
		if rerr := o.Store.ReleaseKickstart(context.WithoutCancel(ctx), owner); rerr != nil {
			err = errors.Join(err, fmt.Errorf("release kickstart claim: %w", rerr))
		}
		return err
	}
	if err := o.Store.CompleteKickstart(ctx, owner, o.Now()); errors.Is(err, storage.ErrConflict) {
		return errors.New("kickstart: another node took over the claim while this one applied it (renewal missed for " +
			o.StaleAfter.String() + "); check the database for a doubly applied Kickstart")
	} else if err != nil {
		return fmt.Errorf("kickstart: mark done: %w", err)
	}
	o.Logger.Info("kickstart applied", "file", o.Path, "api_keys", len(p.keys), "requests", len(p.requests))
	return nil
}

// applyRenewing applies p while a goroutine renews the claim every
// StaleAfter/3, so a long Kickstart (many password hashes) is not taken
// over. A lost claim cancels the apply.
func applyRenewing(ctx context.Context, o Options, owner string, p plan) (progress, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		tick := time.NewTicker(o.StaleAfter / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				now := o.Now()
				ok, err := o.Store.ClaimKickstart(actx, owner, now, now.Add(-o.StaleAfter))
				if err == nil && !ok {
					err = errors.New("the claim was taken over by another node")
				}
				if err != nil {
					cancel(fmt.Errorf("kickstart: renew claim: %w", err))
					return
				}
			}
		}
	}()
	done, err := apply(actx, o, p)
	close(stop)
	<-renewed
	// Name the renewal failure that cancelled the requests, if that is why
	// they failed (the caller's own cancellation speaks for itself).
	if cause := context.Cause(actx); err != nil && cause != nil && ctx.Err() == nil {
		err = errors.Join(err, cause)
	}
	return done, err
}
