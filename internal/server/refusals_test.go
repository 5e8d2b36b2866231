package server_test

import "strings"

// refusal is a request a table test expects refused: its answer's status
// and the error codes its body names.
type refusal struct {
	name, method, path string
	body               any
	status             int
	codes              []string
}

// wantRefusals sends each request with the admin key and checks its
// status and codes (what it left unchanged is the caller's to check).
func (s *stack) wantRefusals(cases []refusal) {
	s.t.Helper()
	for _, c := range cases {
		res := s.api(c.method, c.path, c.body)
		if res.status != c.status {
			s.t.Errorf("%s: %d %.300s, want %d", c.name, res.status, res.body, c.status)
			continue
		}
		for _, code := range c.codes {
			if !strings.Contains(string(res.body), code) {
				s.t.Errorf("%s: %s, want %s", c.name, res.body, code)
			}
		}
	}
}
