// Package demo owns `latchkey demo`: it wires the identity server
// (internal/app on SQLite, seeded by the demo's own Kickstart) with the Store
// and Forums example applications. The example applications themselves
// (demo/store, demo/forums, and demo/appkit, what they share) must not import
// anything of latchkey but jwtverify and appkit; this package may import
// internal/app and internal/config.
package demo
