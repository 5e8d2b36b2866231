package server

// managementRoutes lists the management API (API-key protected). Owned by the
// management API work (users.go, applications.go, ...).
func (s *Server) managementRoutes() []route { return nil }
