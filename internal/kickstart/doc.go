// Package kickstart applies a FusionAuth-format Kickstart file
// (kickstart.mdx; fusionauth-api.md §7.6) to a fresh latchkey instance:
// `variables` with #{name}, #{ENV.NAME} and #{UUID()} substitution, @{file}
// text and &{file} JSON includes confined to the Kickstart file's folder and
// size-bounded, `apiKeys` checked (tenant, endpoints, methods) and created
// directly in storage, and `requests` executed in-process against the
// server's handler with the first key. It runs once per database
// (storage.KickstartStore's two-phase claim: other nodes wait until it is
// done, a dead node's stale claim is taken over). The whole file is first
// applied to a scratch database supplied by the caller (Options.Scratch), so
// a failing request stops start-up with the real database untouched; and,
// as in FusionAuth, only a database without users, API keys or
// applications is kickstarted.
//
// It may import internal/storage and internal/manage (for the API-key hash
// and the default tenant id); it must not import internal/server,
// internal/app or a storage backend.
package kickstart
