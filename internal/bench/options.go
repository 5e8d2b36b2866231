package bench

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The operations a run can issue.
const (
	OpLogin         = "login"          // POST /api/login
	OpRefreshCookie = "refresh-cookie" // POST /api/jwt/refresh with the refresh_token cookie
	OpRefreshOAuth  = "refresh-oauth"  // POST /oauth2/token, grant_type=refresh_token
	OpValidate      = "validate"       // GET /api/jwt/validate with the access token
	// ModeMixed draws each request's operation from Options.Mix.
	ModeMixed = "mixed"
)

// Modes lists the values Options.Mode accepts.
var Modes = []string{OpLogin, OpRefreshCookie, OpRefreshOAuth, OpValidate, ModeMixed}

// DefaultMix is the mixed mode's default weights: mostly validations, some
// refreshes, few logins, roughly what an SPA with short-lived access tokens
// sends.
const DefaultMix = "login=1,refresh-cookie=4,validate=15"

// MaxDuration caps a run so that it always stops by itself, and bounds the
// memory of its exact latencies (8 bytes a request: 288 MB for an hour at
// 10,000 requests/s).
const MaxDuration = time.Hour

// maxRate keeps the open loop's interval above a microsecond.
const maxRate = 1_000_000

// Options configure a run. The zero value is not valid; see Defaults.
type Options struct {
	URL  string // the server's base URL, e.g. http://127.0.0.1:9011
	Mode string // one of Modes
	Mix  string // weights for ModeMixed, e.g. "login=1,validate=9"

	Clients  int           // concurrent clients (closed loop) or sessions to spread an open loop over
	Rate     float64       // requests per second; 0 = closed loop
	Duration time.Duration // time bound of the measured phase (always > 0)
	Requests int           // count bound; 0 = only the time bound
	// Warmup runs the same load for this long before the measured phase,
	// uncounted (0 = none): a server just started commits its first
	// writes while its files grow and its caches fill, which an open
	// loop's tail would otherwise count.
	Warmup  time.Duration
	Timeout time.Duration // per request

	APIKey        string // management API key: create users/application and delete them afterwards
	ApplicationID string // use this application instead of creating one
	ClientSecret  string // its OAuth client secret (refresh-oauth), read with the API key when empty
	TenantID      string // X-FusionAuth-TenantId for the management calls, when the server has several tenants
	Users         []Credential
	// RefreshTokens are existing sessions: a refresh run starts each
	// client (or, in an open loop, each session) from one of them instead
	// of logging a user in. The run rotates them, so a value presented
	// again afterwards is a reused one, which revokes its family; the
	// report therefore holds the sessions' latest values
	// (Report.RefreshTokens), which the command saves to the file they
	// came from. They belong on a database made for benchmarks (latchkey
	// seed --print-tokens), never on a production one.
	RefreshTokens []string
	ServerPID     int  // the server's process; 0 = find it by the listening port
	AllowRemote   bool // allow a target that is not a loopback address

	// Procs is the bench's Go processors (GOMAXPROCS) during the measured
	// phase: 0 = when the server is another process on this machine, one
	// for a closed loop (an idle processor's spinning and wake-ups are CPU
	// taken from the server it shares the machine with) and two for an
	// open loop (its latency counts any hold-up of the bench itself);
	// otherwise unchanged.
	Procs int

	// Ceiling is how long a login run's hash ceiling runs afterwards (0 =
	// none); Hasher hashes for it (nil = no ceiling).
	Ceiling time.Duration
	Hasher  Hasher

	// Progress, when set, receives a one-line status several times a
	// second (the command passes a TTY writer or nothing).
	Progress func(Status)
}

// Credential is an existing user's login.
type Credential struct{ LoginID, Password string }

// Defaults are the command's defaults.
func Defaults() Options {
	return Options{URL: "http://127.0.0.1:9011", Mode: OpRefreshCookie, Mix: DefaultMix, Clients: 16,
		Duration: 10 * time.Second, Timeout: 10 * time.Second, Ceiling: DefaultCeiling}
}

// Validate lists every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	if !slices.Contains(Modes, o.Mode) {
		errs = append(errs, fmt.Errorf("mode %q: want one of %s", o.Mode, strings.Join(Modes, ", ")))
	}
	if o.Mode == ModeMixed {
		if _, err := parseMix(o.Mix); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Clients < 1 || o.Clients > 10000 {
		errs = append(errs, fmt.Errorf("clients %d: want 1 to 10000", o.Clients))
	}
	if o.Rate < 0 || o.Rate > maxRate || o.Rate > 0 && o.Rate*o.Duration.Seconds() < 1 {
		errs = append(errs, fmt.Errorf("rate %v: want 0 (closed loop), or up to %d requests/s with at least one within the duration", o.Rate, maxRate))
	}
	if o.Duration <= 0 || o.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("duration %s: want more than 0 and at most %s (a run always stops by itself)", o.Duration, MaxDuration))
	}
	if o.Warmup < 0 || o.Warmup > MaxDuration {
		errs = append(errs, fmt.Errorf("warmup %s: want 0 (none) to %s", o.Warmup, MaxDuration))
	}
	if o.Requests < 0 {
		errs = append(errs, fmt.Errorf("requests %d: want 0 (no count bound) or more", o.Requests))
	}
	if o.Ceiling < 0 || o.Ceiling > time.Minute {
		errs = append(errs, fmt.Errorf("ceiling %s: want 0 (none) to 1m", o.Ceiling))
	}
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout %s: want more than 0", o.Timeout))
	}
	if o.Procs < 0 {
		errs = append(errs, fmt.Errorf("procs %d: want 0 (automatic) or more", o.Procs))
	}
	if len(o.RefreshTokens) > 0 {
		errs = append(errs, o.refreshTokensProblems()...)
	} else if len(o.Users) == 0 && o.APIKey == "" {
		errs = append(errs, errors.New("no users: give --api-key (to create test users), --users or --login-id/--password"))
	}
	if len(o.Users) > 0 && o.ApplicationID == "" && o.Mode != OpLogin {
		errs = append(errs, errors.New("existing users need --application-id (the application they are registered to) for refresh and validate"))
	}
	return errors.Join(errs...)
}

// refreshTokensProblems lists what is wrong with a run over existing
// refresh tokens.
func (o Options) refreshTokensProblems() (errs []error) {
	if o.Mode != OpRefreshOAuth && o.Mode != OpRefreshCookie {
		errs = append(errs, fmt.Errorf("refresh tokens are for the refresh-oauth and refresh-cookie modes, not %s", o.Mode))
	}
	if len(o.Users) > 0 {
		errs = append(errs, errors.New("give existing users or refresh tokens, not both"))
	}
	if o.ApplicationID == "" {
		errs = append(errs, errors.New("refresh tokens need --application-id (the application they were issued to)"))
	}
	if o.Clients > len(o.RefreshTokens) {
		errs = append(errs, fmt.Errorf("clients %d: only %d refresh tokens (each client or session needs its own)", o.Clients, len(o.RefreshTokens)))
	}
	return errs
}

// ParseRefreshTokens reads a refresh-tokens file: one value per line.
// Blank lines and lines starting with # are skipped; a value is what a
// login returned, so one holding a space or a quote is refused.
func ParseRefreshTokens(text string) ([]string, error) {
	var tokens []string
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.ContainsAny(line, " \t\"';,") {
			return nil, fmt.Errorf("refresh-tokens file line %d: want one refresh token value", i+1)
		}
		if seen[line] {
			// Two sessions of one family would consume each other's values.
			return nil, fmt.Errorf("refresh-tokens file line %d: a refresh token given twice", i+1)
		}
		seen[line] = true
		tokens = append(tokens, line)
	}
	if len(tokens) == 0 {
		return nil, errors.New("refresh-tokens file: no refresh tokens")
	}
	return tokens, nil
}

// weight is one operation of a mix.
type weight struct {
	op string
	w  int
}

// parseMix reads "login=1,refresh-cookie=4,validate=15".
func parseMix(s string) ([]weight, error) {
	var mix []weight
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		op, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		w, err := strconv.Atoi(n)
		if !ok || err != nil || w < 0 || !slices.Contains(Modes, op) || op == ModeMixed {
			return nil, fmt.Errorf("mix %q: want op=weight,... with ops %s, %s, %s, %s", s, OpLogin, OpRefreshCookie, OpRefreshOAuth, OpValidate)
		}
		if w > 0 {
			mix = append(mix, weight{op, w})
			total += w
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("mix %q: no operation has a weight above 0", s)
	}
	return mix, nil
}

// ParseUsers reads a users file: one "loginId:password" per line, split at
// the first colon (login ids are emails or usernames; passwords may hold
// colons). Blank lines and lines starting with # are skipped.
func ParseUsers(text string) ([]Credential, error) {
	var users []Credential
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, pw, ok := strings.Cut(line, ":")
		if !ok || id == "" || pw == "" {
			return nil, fmt.Errorf("users file line %d: want loginId:password", i+1)
		}
		users = append(users, Credential{id, pw})
	}
	if len(users) == 0 {
		return nil, errors.New("users file: no users")
	}
	return users, nil
}
