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
	Source     string  `json:"source"`
	Goroutines int     `json:"goroutines"`
	Seconds    float64 `json:"seconds"`
	Hashes     int     `json:"hashes"`
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
	self, selfErr := readProcStat(os.Getpid())
	mach, machErr := readMachine()
	elapsed, hashes := runCeiling(ctx, c.Goroutines, o.Ceiling, verify)
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

// runCeiling calls verify on n goroutines until d has passed (each at least
// once) or ctx ends; it returns the wall time and the number of calls.
func runCeiling(ctx context.Context, n int, d time.Duration, verify func()) (time.Duration, int) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var count atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Go(func() {
			for {
				verify()
				count.Add(1)
				if ctx.Err() != nil {
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
	fmt.Fprintf(w, "  ceiling      %s factor %d (%s): %.1f hashes/s on %d goroutines for %.1f s, %.3f ms CPU per hash\n",
		c.Scheme, c.Factor, c.Source, c.HashesPerSecond, c.Goroutines, c.Seconds, c.CPUMsPerHash)
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
