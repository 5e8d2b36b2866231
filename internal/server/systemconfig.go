package server

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// DefaultSystemConfiguration is FusionAuth's shipped system configuration
// (fusionauth-api.md §6.6): CORS disabled, GET/OPTIONS only, no origins.
func DefaultSystemConfiguration() storage.SystemConfiguration {
	return storage.SystemConfiguration{
		CORSConfiguration: storage.CORSConfiguration{
			AllowedHeaders: []string{"Accept", "Access-Control-Request-Headers", "Access-Control-Request-Method",
				"Authorization", "Content-Type", "Last-Modified", "Origin", "X-FusionAuth-TenantId", "X-Requested-With"},
			AllowedMethods:           []string{"GET", "OPTIONS"},
			AllowedOrigins:           []string{},
			ExposedHeaders:           []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"},
			PreflightMaxAgeInSeconds: 1800,
		},
		ReportTimezone: "America/Denver",
	}
}

type systemConfigRequest struct {
	SystemConfiguration storage.SystemConfiguration `json:"systemConfiguration"`
}

// loadSystemConfiguration returns the stored configuration, or the defaults
// before the first write.
func (s *Server) loadSystemConfiguration(r *http.Request) (storage.SystemConfiguration, error) {
	c, err := s.Store.GetSystemConfiguration(r.Context())
	if errors.Is(err, storage.ErrNotFound) {
		return DefaultSystemConfiguration(), nil
	}
	return c, err
}

// getSystemConfiguration handles GET /api/system-configuration.
func (s *Server) getSystemConfiguration(w http.ResponseWriter, r *http.Request) {
	c, err := s.loadSystemConfiguration(r)
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, systemConfigRequest{c})
}

// updateSystemConfiguration handles PUT and PATCH /api/system-configuration.
// A PUT replaces the object; fields it omits take the shipped defaults except
// reportTimezone, which FusionAuth requires on PUT.
func (s *Server) updateSystemConfiguration(w http.ResponseWriter, r *http.Request) {
	cur, err := s.loadSystemConfiguration(r)
	if err != nil {
		s.writeInternal(w, r, err)
		return
	}
	var req systemConfigRequest
	if r.Method == http.MethodPatch {
		if !s.decodePatch(w, r, systemConfigRequest{cur}, &req) {
			return
		}
	} else {
		req.SystemConfiguration = DefaultSystemConfiguration()
		req.SystemConfiguration.ReportTimezone = ""
		if !s.decodeJSON(w, r, &req, false) {
			return
		}
	}
	c := req.SystemConfiguration
	if e := validateSystemConfiguration(c); !e.Empty() {
		writeErrors(w, http.StatusBadRequest, e)
		return
	}
	if err := s.Store.PutSystemConfiguration(r.Context(), c); err != nil {
		s.writeInternal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, systemConfigRequest{c})
}

var corsMethodNames = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"}

func validateSystemConfiguration(c storage.SystemConfiguration) *Errors {
	e := &Errors{}
	const p = "systemConfiguration.corsConfiguration"
	if c.ReportTimezone == "" {
		e.Field("blank", "systemConfiguration.reportTimezone", "You must specify the [systemConfiguration.reportTimezone] property.")
	}
	cc := c.CORSConfiguration
	for _, m := range cc.AllowedMethods {
		if !slices.Contains(corsMethodNames, m) {
			e.Field("invalid", p+".allowedMethods", "Unknown method ["+truncate(m, 16)+"]. Use GET, POST, PUT, DELETE, HEAD, OPTIONS or PATCH.")
		}
	}
	for _, o := range cc.AllowedOrigins {
		switch {
		case o == "*" && len(cc.AllowedOrigins) > 1:
			e.Field("invalid", p+".allowedOrigins", "The wildcard [*] must be the only allowed origin.")
		case o == "*" && cc.AllowCredentials:
			// A credentialed wildcard would hand every site the refresh
			// cookie (security-bar.md §4.6; the Fetch standard forbids it).
			e.Field("invalid", p+".allowedOrigins", "The wildcard [*] cannot be combined with allowCredentials=true. List the origins.")
		case o != "*" && !validOrigin(o):
			e.Field("invalid", p+".allowedOrigins", "The origin ["+truncate(o, 128)+"] is not a scheme://host[:port] origin.")
		}
	}
	for _, h := range append(slices.Clone(cc.AllowedHeaders), cc.ExposedHeaders...) {
		if h == "" || strings.ContainsAny(h, " \t\r\n,:") {
			e.Field("invalid", p+".allowedHeaders", "Header names must be single tokens.")
			break
		}
	}
	if cc.PreflightMaxAgeInSeconds < 0 {
		e.Field("invalid", p+".preflightMaxAgeInSeconds", "The value must not be negative.")
	}
	return e
}

// validOrigin accepts a serialised origin, scheme://host[:port] (RFC 6454
// §6.1), with at most a trailing slash: a value with a path, query or user
// info is refused rather than silently truncated, so what the operator sees is
// what is enforced.
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == "" && u.User == nil &&
		!u.ForceQuery && normalizeOrigin(o) != ""
}
