// Package bench is `latchkey bench`: a load generator for latchkey or any
// FusionAuth-compatible server (FusionAuth itself included). It logs in,
// refreshes (the refresh_token cookie at /api/jwt/refresh, or the OAuth
// refresh_token grant at /oauth2/token), validates access tokens, or mixes
// the three, in a closed loop (N clients) or an open loop (R requests per
// second, latency measured from the intended send time), and reports
// throughput, latency percentiles, errors by status, and the server's CPU
// and memory when it runs on the same machine.
//
// It talks to the server only over HTTP in FusionAuth's wire format, the way
// a third party would: it must not import any other latchkey package
// (internal/archtest enforces this), so what it measures is what any client
// sees, and it works against FusionAuth unchanged.
package bench
