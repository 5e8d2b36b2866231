package server

// tokenRoutes lists the login and token lifecycle endpoints. Owned by the token
// lifecycle work (login.go, jwt.go, logout.go, oauth_token.go, wellknown.go).
func (s *Server) tokenRoutes() []route { return nil }
