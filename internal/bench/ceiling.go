package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Hasher prepares one password verification as a login does it, with the
// server's own implementation, at scheme and factor (0 = the scheme's
// default; "" = the server's default scheme): each call of verify costs one
// login's hash. usedScheme and usedFactor are what it hashes with. The bench imports no latchkey package (it is a client of
// the API like any third party), so cmd/latchkey passes internal/password's.
type Hasher func(scheme string, factor int) (verify func(), usedScheme string, usedFactor int, err error)

// DefaultCeiling is how long the hash ceiling runs after a login run.
const DefaultCeiling = 3 * time.Second

// CeilingReport is the password hash's throughput ceiling, measured after a
// login run on the same machine: the logins' scheme and factor hashed on as
// many goroutines as the machine has CPUs, with no login load running.
type CeilingReport struct {
	Scheme string `json:"scheme"`
	Factor int    `json:"factor"`
	// Source says where the scheme and factor were read: the tenant's
	// passwordEncryptionConfiguration (users whose stored hash has another
	// scheme or factor, such as imported ones, are not covered).
	Source     string `json:"source"`
	Goroutines int    `json:"goroutines"`
	// WarmupHashes were hashed first and left out of every figure: a
	// process's first memory-hard hashes (argon2id's 19 MiB each) fault
	// fresh pages in, which cost up to 100 times a warm hash on a VM whose
	// page faults interrupt the other CPUs; a server that has run a while
	// reuses its heap's pages.
	WarmupHashes int     `json:"warmupHashes"`
	Seconds      float64 `json:"seconds"`
	Hashes       int     `json:"hashes"`
	// HashesPerSecond is the ceiling: no login rate can exceed it on this
	// machine, each login hashing once.
	HashesPerSecond float64 `json:"hashesPerSecond"`
	// CPUMsPerHash is the bench process's CPU per hash in the ceiling run.
	CPUMsPerHash float64 `json:"cpuMsPerHash"`
	// ThroughputRatio is the login run's logins/s over HashesPerSecond.
	ThroughputRatio float64 `json:"throughputRatio"`
	// ServerCPUMsPerLogin is the server's CPU in the login run over its
	// successful logins (0 when the server's CPU was not measured apart
	// from the bench's). A refused request (503 from a busy hashing gate)
	// costs the server almost nothing: counted as a login, it would lower
	// the divisor and raise CPURatio.
	ServerCPUMsPerLogin float64 `json:"serverCpuMsPerLogin,omitempty"`
	// CPURatio is CPUMsPerHash over ServerCPUMsPerLogin (0 when that was
	// not measured): the share of a login's CPU that is the hash.
	CPURatio float64 `json:"cpuRatio,omitempty"`
	// Machine is the machine's CPU during the ceiling run.
	Machine *MachineReport `json:"machine,omitempty"`
}

// ceilingRatios is logins/s over hashes/s, and the CPU of a hash over the
// server's CPU per login; a ratio whose divisor is not positive is 0.
func ceilingRatios(loginsPerSecond, serverCPUMsPerLogin, hashesPerSecond, cpuMsPerHash float64) (throughput, cpu float64) {
	if hashesPerSecond > 0 {
		throughput = loginsPerSecond / hashesPerSecond
	}
	if serverCPUMsPerLogin > 0 {
		cpu = cpuMsPerHash / serverCPUMsPerLogin
	}
	return throughput, cpu
}

// serverCPUMsPerLogin is the server's CPU per successful login of a login
// run, or 0 when the server's CPU was not measured apart from the bench's.
func serverCPUMsPerLogin(rep Report) float64 {
	if rep.Server == nil || rep.Server.SameProcess || rep.OK == 0 {
		return 0
	}
	return rep.Server.CPUSeconds * 1000 / float64(rep.OK)
}

// measureCeiling adds the hash ceiling to a finished login run's report,
// or a note saying why there is none.
func measureCeiling(ctx context.Context, o Options, t *target, creds []Credential, rep *Report) {
	if o.Mode != OpLogin || o.Ceiling <= 0 || o.Hasher == nil || rep.Interrupted {
		return
	}
	skip := func(why string) { rep.Notes = append(rep.Notes, "hash ceiling not measured: "+why) }
	if rep.Server == nil {
		skip("the server does not run on this machine (or was not found: give --server-pid)")
		return
	}
	if o.APIKey == "" {
		skip("the password scheme is unknown: reading the tenant's passwordEncryptionConfiguration needs --api-key")
		return
	}
	scheme, factor, source, err := t.passwordScheme(ctx, o.TenantID, creds[0].LoginID)
	if err != nil {
		skip("the password scheme is unknown: " + err.Error())
		return
	}
	verify, scheme, used, err := o.Hasher(scheme, factor)
	if err != nil {
		skip(fmt.Sprintf("the password scheme %q (factor %d) is unknown to this latchkey: %v", scheme, factor, err))
		return
	}
	c := &CeilingReport{Scheme: scheme, Factor: used, Source: source, Goroutines: runtime.NumCPU()}
	_, c.WarmupHashes = runCeiling(ctx, c.Goroutines, ceilingWarmup, ceilingWarmupEach, verify)
	self, selfErr := readProcStat(os.Getpid())
	mach, machErr := readMachine()
	elapsed, hashes := runCeiling(ctx, c.Goroutines, o.Ceiling, 1, verify)
	selfAfter, selfAfterErr := readProcStat(os.Getpid())
	machAfter, machAfterErr := readMachine()
	if ctx.Err() != nil {
		skip("interrupted")
		return
	}
	c.Seconds, c.Hashes, c.HashesPerSecond = elapsed.Seconds(), hashes, perSecond(hashes, elapsed)
	if selfErr == nil && selfAfterErr == nil && hashes > 0 {
		cpu := selfAfter.cpu - self.cpu
		c.CPUMsPerHash = cpu.Seconds() * 1000 / float64(hashes)
		if machErr == nil && machAfterErr == nil {
			c.Machine = machineReport(mach, machAfter, elapsed, 0, cpu)
		}
	}
	c.ServerCPUMsPerLogin = serverCPUMsPerLogin(*rep)
	c.ThroughputRatio, c.CPURatio = ceilingRatios(rep.Throughput, c.ServerCPUMsPerLogin, c.HashesPerSecond, c.CPUMsPerHash)
	rep.Ceiling = c
	if failed := rep.Requests - rep.OK; failed > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d of %d logins failed: the ratios count the %d successful ones only", failed, rep.Requests, rep.OK))
	}
	if m := c.Machine; m != nil && m.BusyCPUs-m.BenchCPUs > 0.25 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("other processes kept %.2f CPUs busy during the hash ceiling: its hashes/s, "+
			"and logins/s / hashes/s, are this machine's share, not its ceiling; hash CPU / server CPU per login depends less on the load",
			m.BusyCPUs-m.BenchCPUs))
	}
	rep.Notes = append(rep.Notes, "the hash ceiling ran after the login run with no load: "+
		"during the login run the bench's own CPU shared the machine with the server, during the ceiling run nothing of the bench's but the hashing ran")
}

// The ceiling's warm-up: at least ceilingWarmupEach hashes per goroutine
// and ceilingWarmup of time, uncounted. Four argon2id hashes per goroutine
// allocate more than the bench's heap target, so later ones reuse pages the
// collector freed (measured: the first hashes of a fresh process faulted
// about 3,900 pages each and cost 130 ms of CPU on one goroutine, 1.1–3.5 s
// on two; from the fifth, under 10 faults and 18–22 ms).
const (
	ceilingWarmup     = time.Second
	ceilingWarmupEach = 4
)

// runCeiling calls verify on n goroutines until d has passed and each has
// called it at least minEach times, or ctx ends; it returns the wall time
// and the number of calls.
func runCeiling(ctx context.Context, n int, d time.Duration, minEach int, verify func()) (time.Duration, int) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var count atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Go(func() {
			for i := 1; ; i++ {
				verify()
				count.Add(1)
				if i >= minEach && ctx.Err() != nil || parent.Err() != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), int(count.Load())
}

// passwordScheme reads the scheme and factor new passwords of the users'
// tenant are hashed with: the tenant given, else the one of the user with
// loginID. FusionAuth returns neither a user's stored scheme nor its hash.
func (a *api) passwordScheme(ctx context.Context, tenantID, loginID string) (scheme string, factor int, source string, err error) {
	if tenantID == "" {
		var u struct {
			User struct {
				TenantID string `json:"tenantId"`
			} `json:"user"`
		}
		if err := a.manage(ctx, http.MethodGet, "/api/user?loginId="+url.QueryEscape(loginID), nil, &u); err != nil {
			return "", 0, "", err
		}
		if tenantID = u.User.TenantID; tenantID == "" {
			return "", 0, "", errors.New("GET /api/user: no tenantId in the response")
		}
	}
	var out struct {
		Tenant struct {
			PasswordEncryptionConfiguration struct {
				EncryptionScheme       string `json:"encryptionScheme"`
				EncryptionSchemeFactor int    `json:"encryptionSchemeFactor"`
			} `json:"passwordEncryptionConfiguration"`
		} `json:"tenant"`
	}
	if err := a.manage(ctx, http.MethodGet, "/api/tenant/"+url.PathEscape(tenantID), nil, &out); err != nil {
		return "", 0, "", err
	}
	pe := out.Tenant.PasswordEncryptionConfiguration
	return pe.EncryptionScheme, pe.EncryptionSchemeFactor, "tenant " + tenantID + " passwordEncryptionConfiguration", nil
}

// writeText prints the ceiling's lines of the text report.
func (c CeilingReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "  ceiling      %s factor %d (%s): %.1f hashes/s on %d goroutines for %.1f s, %.3f ms CPU per hash (after %d uncounted)\n",
		c.Scheme, c.Factor, c.Source, c.HashesPerSecond, c.Goroutines, c.Seconds, c.CPUMsPerHash, c.WarmupHashes)
	line := fmt.Sprintf("  ratios       logins/s / hashes/s %.2f", c.ThroughputRatio)
	if c.CPURatio > 0 {
		line += fmt.Sprintf(", hash CPU / server CPU per login %.2f (%.3f ms per successful login)", c.CPURatio, c.ServerCPUMsPerLogin)
	} else {
		line += ", hash CPU / server CPU per login not measured (the server's CPU was not measured apart from the bench's)"
	}
	fmt.Fprintln(w, line)
	if m := c.Machine; m != nil {
		fmt.Fprintf(w, "  ceiling cpu  %s\n", m.text())
	}
}
