package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ModeTiming measures whether a failed login tells an unknown login id from
// a real account's wrong password (issue 15 "Equal timing"): it is not a
// load mode and reports a TimingReport, not a Report.
const ModeTiming = "timing"

// TimingOptions configure RunTiming: the target, its API key and the number
// of samples of each kind.
type TimingOptions struct {
	URL         string
	APIKey      string
	TenantID    string
	Timeout     time.Duration
	AllowRemote bool
	Samples     int // per kind (default 200)
}

// The four kinds of failed login. Each real account and each unknown id
// gets one first failure and one later failure, from one client address of
// its own (named in the body's ipAddress, which counts because the API key
// vouches for it), so neither the lockout threshold, the per-address share
// nor the account ceiling is reached and no per-address rate limit applies.
// Like is compared with like: an account's first failure with an unknown
// id's first, its later failure with an unknown id's later one. Someone
// probing a login id knows how often they tried it; what must not show is
// whether it exists (a first failure writes the attempt counters' rows, a
// later one updates them, for both).
const (
	KindUnknown      = "unknown-id"
	KindUnknownLater = "unknown-id-later"
	KindFirst        = "wrong-password-first"
	KindLater        = "wrong-password-later"
)

// against is the unknown-id kind each real account's kind is compared with.
var against = map[string]string{KindFirst: KindUnknown, KindLater: KindUnknownLater}

// TimingSample summarises one kind: medians and spread in milliseconds.
type TimingSample struct {
	Kind     string  `json:"kind"`
	N        int     `json:"n"`
	MedianMs float64 `json:"medianMs"`
	P10Ms    float64 `json:"p10Ms"`
	P90Ms    float64 `json:"p90Ms"`
}

// TimingComparison compares a real account's kind with the unknown id's
// kind of the same attempt (Against).
type TimingComparison struct {
	Kind    string `json:"kind"`
	Against string `json:"against"`
	// MedianDiffPct is (median(kind) − median(against)) / median(against).
	MedianDiffPct float64 `json:"medianDiffPct"`
	U             float64 `json:"u"`
	P             float64 `json:"p"`
	// Equal: |MedianDiffPct| ≤ 5 and P > 0.01 (issue 15's bar).
	Equal bool `json:"equal"`
}

// TimingReport is what `latchkey bench --mode timing` prints.
type TimingReport struct {
	Target      string             `json:"target"`
	Mode        string             `json:"mode"`
	RunID       string             `json:"runId"`
	Samples     []TimingSample     `json:"samples"`
	Comparisons []TimingComparison `json:"comparisons"`
	Equal       bool               `json:"equal"`
	Unexpected  int                `json:"unexpected"` // answers other than 404
	Seconds     float64            `json:"seconds"`
	Cleanup     Cleanup            `json:"cleanup"`
}

// RunTiming creates Samples users, then sends, one at a time, rounds of
// four failed logins in a random order (a fresh unknown id, a fresh
// account's first wrong password, the previous round's unknown id's and
// account's second) so drift in
// the machine's load falls on every kind alike, and compares the latencies.
func RunTiming(ctx context.Context, o TimingOptions) (rep TimingReport, err error) {
	if o.Samples <= 0 {
		o.Samples = 200
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.APIKey == "" {
		return rep, errors.New("bench: timing mode needs --api-key (test users, and the ipAddress that keeps each account's failures under the lockout)")
	}
	base, err := checkTarget(ctx, o.URL, o.AllowRemote)
	if err != nil {
		return rep, err
	}
	t := &target{api: &api{base: base.String(), apiKey: o.APIKey, tenantID: o.TenantID,
		http: &http.Client{Timeout: o.Timeout, Transport: transport(1)}}}
	defer t.http.CloseIdleConnections()
	made := created{runID: newRunID()}
	rep = TimingReport{Target: base.String(), Mode: ModeTiming, RunID: made.runID}
	defer func() { rep.Cleanup = cleanup(ctx, t, &made) }()
	app, err := createApplication(ctx, t, &made, time.Hour)
	if err != nil {
		return rep, fmt.Errorf("bench: %w", err)
	}
	t.appID = app.ID
	creds, err := createUsers(ctx, o.Samples, t, &made)
	if err != nil {
		return rep, fmt.Errorf("bench: %w", err)
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	lat := map[string][]float64{}
	send := func(kind, loginID, addr string) {
		d, status := t.failedLogin(ctx, loginID, addr)
		if status != http.StatusNotFound {
			rep.Unexpected++
			return
		}
		lat[kind] = append(lat[kind], d.Seconds()*1000)
	}
	unknownID := func(i int) string { return fmt.Sprintf("latchkey-bench-%s-unknown-%d@example.com", made.runID, i) }
	// A short warm-up (connections, caches, the KDF's first allocation).
	for i := range 5 {
		t.failedLogin(ctx, unknownID(-1-i), fmt.Sprintf("10.254.0.%d", i+1))
	}
	for i := 0; i <= o.Samples && ctx.Err() == nil; i++ {
		var steps []func()
		if i < o.Samples {
			steps = append(steps,
				func() { send(KindUnknown, unknownID(i), timingAddr(1, i)) },
				func() { send(KindFirst, creds[i].LoginID, timingAddr(0, i)) })
		}
		if i > 0 {
			steps = append(steps, func() { send(KindLater, creds[i-1].LoginID, timingAddr(0, i-1)) },
				func() { send(KindUnknownLater, unknownID(i-1), timingAddr(1, i-1)) })
		}
		rng.Shuffle(len(steps), func(a, b int) { steps[a], steps[b] = steps[b], steps[a] })
		for _, s := range steps {
			s()
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	if ctx.Err() != nil {
		return rep, fmt.Errorf("bench: interrupted: %w", ctx.Err())
	}
	rep.Samples, rep.Comparisons, rep.Equal = compareTiming(lat)
	return rep, nil
}

// timingAddr is the client address of sample i: 10.<group>.x.y, one per
// account and one per unknown id.
func timingAddr(group, i int) string {
	return fmt.Sprintf("10.%d.%d.%d", group, i/250, i%250+1)
}

// failedLogin sends one wrong login and returns its latency and status.
func (t *target) failedLogin(ctx context.Context, loginID, addr string) (time.Duration, int) {
	body, hdr := jsonBody(map[string]string{"loginId": loginID, "password": fmt.Sprintf("wrong-%016x", rand.Uint64()),
		"applicationId": t.appID, "ipAddress": addr})
	hdr.Set("Authorization", t.apiKey)
	if t.tenantID != "" {
		hdr.Set("X-FusionAuth-TenantId", t.tenantID)
	}
	from := time.Now()
	o, _ := t.do(ctx, http.MethodPost, "/api/login", body, hdr, nil)
	return time.Since(from), o.status
}

// compareTiming summarises each kind and compares each of the real
// account's kinds with the unknown id's of the same attempt.
func compareTiming(lat map[string][]float64) ([]TimingSample, []TimingComparison, bool) {
	var samples []TimingSample
	for _, k := range []string{KindUnknown, KindUnknownLater, KindFirst, KindLater} {
		d := lat[k]
		samples = append(samples, TimingSample{Kind: k, N: len(d), MedianMs: round3(median(d)),
			P10Ms: round3(quantile(d, 0.10)), P90Ms: round3(quantile(d, 0.90))})
	}
	equal := true
	var cmp []TimingComparison
	for _, k := range []string{KindFirst, KindLater} {
		c := TimingComparison{Kind: k, Against: against[k]}
		base := median(lat[c.Against])
		equal = equal && base > 0
		if base > 0 {
			c.MedianDiffPct = round3((median(lat[k]) - base) / base * 100)
		}
		c.U, c.P = MannWhitney(lat[k], lat[c.Against])
		c.Equal = base > 0 && c.MedianDiffPct >= -5 && c.MedianDiffPct <= 5 && c.P > 0.01
		equal = equal && c.Equal
		cmp = append(cmp, c)
	}
	return samples, cmp, equal
}

func quantile(d []float64, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5*sign(v))) / 1000 }

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// WriteText prints the report for a terminal.
func (r TimingReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "target      %s (timing: failed logins, one at a time, interleaved)\n", r.Target)
	for _, s := range r.Samples {
		fmt.Fprintf(w, "%-22s n=%-4d median %8.3f ms   p10 %8.3f   p90 %8.3f\n", s.Kind, s.N, s.MedianMs, s.P10Ms, s.P90Ms)
	}
	for _, c := range r.Comparisons {
		verdict := "equal"
		if !c.Equal {
			verdict = "DIFFERENT"
		}
		fmt.Fprintf(w, "%s vs %s: median %+.2f%%, Mann-Whitney U=%.0f p=%.4f  %s\n", c.Kind, c.Against, c.MedianDiffPct, c.U, c.P, verdict)
	}
	if r.Unexpected > 0 {
		fmt.Fprintf(w, "unexpected answers (not 404): %d\n", r.Unexpected)
	}
	fmt.Fprintf(w, "verdict     %s (bar: |median difference| ≤ 5%% and p > 0.01)\n", map[bool]string{true: "EQUAL", false: "NOT EQUAL"}[r.Equal])
	if e := r.Cleanup.Messages(); len(e) > 0 {
		fmt.Fprintf(w, "cleanup     %s\n", strings.Join(e, "; "))
	}
}
