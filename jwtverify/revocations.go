package jwtverify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	json "github.com/go-json-experiment/json"
)

// maxFeedPages bounds one poll; the rest comes on the next tick.
const maxFeedPages = 50

// maxFeedBody bounds one feed answer (500 entries are ~60 KiB).
const maxFeedBody = 1 << 20

// Revoked is how many sessions the verifier currently refuses.
func (v *Verifier) Revoked() int { return v.revoked.len() }

type feedPage struct {
	Revocations []struct {
		SID       string `json:"sid"`
		UserID    string `json:"userId"`
		RevokedAt int64  `json:"revokedAt"`
	} `json:"revocations"`
	Cursor string `json:"cursor"`
	More   bool   `json:"more"`
}

// PollRevocations fetches the revocation feed once (all pages, bounded)
// from where the last poll stopped. Start calls it every
// RevocationPollInterval; a caller may call it directly, e.g. in tests.
func (v *Verifier) PollRevocations(ctx context.Context) error {
	if v.cfg.RevocationURL == "" {
		return errors.New("jwtverify: Config.RevocationURL not set")
	}
	for range maxFeedPages {
		p, err := v.fetchFeed(ctx)
		if err != nil {
			return err
		}
		now := v.cfg.Now()
		v.revoked.mu.Lock()
		v.revoked.forget(now)
		v.revoked.mu.Unlock()
		for _, e := range p.Revocations {
			if e.SID != "" {
				at := time.UnixMilli(e.RevokedAt)
				v.revoked.add(e.SID, at, at.Add(v.cfg.MaxTokenLifetime), now)
			}
		}
		v.revoked.mu.Lock()
		v.revoked.cursor = p.Cursor
		v.revoked.mu.Unlock()
		if !p.More {
			return nil
		}
	}
	return nil
}

func (v *Verifier) fetchFeed(ctx context.Context) (feedPage, error) {
	v.revoked.mu.Lock()
	cursor := v.revoked.cursor
	v.revoked.mu.Unlock()
	u, err := url.Parse(v.cfg.RevocationURL)
	if err != nil {
		return feedPage{}, fmt.Errorf("jwtverify: RevocationURL: %w", err)
	}
	if cursor != "" {
		q := u.Query()
		q.Set("since", cursor)
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return feedPage{}, err
	}
	req.SetBasicAuth(v.cfg.ClientID, v.cfg.ClientSecret)
	res, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return feedPage{}, fmt.Errorf("jwtverify: revocation feed: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return feedPage{}, fmt.Errorf("jwtverify: revocation feed: status %d", res.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxFeedBody))
	if err != nil {
		return feedPage{}, fmt.Errorf("jwtverify: revocation feed: %w", err)
	}
	var p feedPage
	if err := json.Unmarshal(b, &p, json.RejectUnknownMembers(false)); err != nil {
		return feedPage{}, fmt.Errorf("jwtverify: revocation feed: %w", err)
	}
	return p, nil
}

// Start polls the revocation feed every RevocationPollInterval until ctx is
// done, then returns ctx.Err(). Run it in its own goroutine:
//
//	go v.Start(ctx)
//
// A failed poll is retried on the next tick; meanwhile tokens of sessions
// revoked since the last good poll are still accepted until they expire
// (docs/dpop.md). Without RevocationURL it returns an error at once.
func (v *Verifier) Start(ctx context.Context) error {
	if v.cfg.RevocationURL == "" {
		return errors.New("jwtverify: Config.RevocationURL not set")
	}
	t := time.NewTicker(v.cfg.RevocationPollInterval)
	defer t.Stop()
	for {
		_ = v.PollRevocations(ctx)
		if v.polled != nil {
			select {
			case v.polled <- struct{}{}:
			default:
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
