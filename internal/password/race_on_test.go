//go:build race

package password

// raceEnabled: the race detector's instrumentation allocates inside
// crypto/sha256 (AppendBinary's zero padding), so allocation counts are
// only meaningful without -race.
const raceEnabled = true
