package auth

// Service is a placeholder until the real implementation lands.
type Service struct{}
