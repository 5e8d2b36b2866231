package server

// sdkRoutes serves the browser SDK at a stable path. Owned by the demo/SDK work.
func (s *Server) sdkRoutes() []route { return nil }
