package keys

// Manager is a placeholder until the real implementation lands.
type Manager struct{}
