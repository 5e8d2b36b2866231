// Package userimport is `latchkey import FILE`: it reads a FusionAuth user
// import file ({"encryptionScheme", "factor", "validateDbConstraints",
// "users": [...]}, the body of POST /api/user/import) as a stream, one user
// at a time, and sends the users in batches to POST /api/user/import of a
// running server, so a file of millions of users needs memory for one batch
// only. Each batch is one transaction on the server: a refused batch names
// its bad records by their index in the file, and nothing of it was
// imported, while the batches before it were; --skip resumes after them.
//
// Like internal/bench it is a client of the HTTP API and nothing more: it
// imports no other latchkey package (internal/archtest), so it imports into
// FusionAuth unchanged, and into any latchkey node of a cluster.
package userimport
