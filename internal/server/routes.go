package server

import "net/http"

type route struct {
	pattern string // Go 1.22 ServeMux pattern, "METHOD /path"
	handler http.Handler
}

// routes is the one route table. Each endpoint family contributes its rows
// from its own file; this function is the place to see them all in order.
func (s *Server) routes() []route {
	var rs []route
	rs = append(rs, s.statusRoutes()...)     // status.go
	rs = append(rs, s.managementRoutes()...) // users.go, applications.go, registrations.go, tenants.go, systemconfig.go, apikeys.go
	rs = append(rs, s.tokenRoutes()...)      // login.go, jwt.go, logout.go, oauth_token.go, wellknown.go
	rs = append(rs, s.sdkRoutes()...)        // sdk.go: the browser SDK
	rs = append(rs, s.keyRoutes()...)        // keys.go: POST /api/key/rotate
	return rs
}

// h adapts a method to http.Handler.
func h(f func(http.ResponseWriter, *http.Request)) http.Handler { return http.HandlerFunc(f) }
