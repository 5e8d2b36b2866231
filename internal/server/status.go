package server

import "net/http"

// The probes an operator and a load balancer use (docs/deploy.md,
// "Health, readiness and metrics"). Liveness never touches the database, so
// an orchestrator does not restart a healthy process during a database
// outage; readiness (Readiness) says whether to send it traffic.

// status handles GET /api/status (FusionAuth's "Retrieve system status",
// anonymous form): 200 {"status":"ok"} while ready, 503 otherwise, so a load
// balancer configured for FusionAuth takes latchkey out of rotation while its
// database is unreachable, behind on migrations or refusing writes. (Shutdown
// answers 503 draining before this runs: middleware.go.)
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	if !s.ready().Check(r.Context()).Ready {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// health handles GET /api/health (FusionAuth 1.51.1+): an empty 200 while
// ready. Not ready is 503 where FusionAuth answers 500 (docs/compatibility.md:
// every "unavailable" of latchkey is 503).
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if s.draining() || !s.ready().Check(r.Context()).Ready {
		w.Header().Set("Retry-After", "1")
		writeEmpty(w, http.StatusServiceUnavailable)
		return
	}
	writeEmpty(w, http.StatusOK)
}

// livez handles GET /livez: 200 while the process serves HTTP. It reads
// nothing, so it stays 200 through a database outage (a restart would not
// fix the database) and while draining.
func (s *Server) livez(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz handles GET /readyz: 200 with every check "ok", or 503 naming the
// check that failed (database unreachable, migrations pending, writes
// refused, or shutdown draining).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining() {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, ReadyReport{Checks: map[string]string{"shutdown": "draining"}})
		return
	}
	rep := s.ready().Check(r.Context())
	if !rep.Ready {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, rep)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// prometheusMetrics handles GET /api/prometheus/metrics, FusionAuth's path
// for its Prometheus endpoint, behind an API key with that endpoint's
// permission (the route's auth). The same registry is served without a key
// only on the separate metrics listener (LATCHKEY_METRICS_ADDR).
func (s *Server) prometheusMetrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	s.Metrics.Handler().ServeHTTP(w, r)
}
