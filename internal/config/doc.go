// Package config owns latchkey's operator configuration: the one Config struct,
// its defaults (which run out of the box), loading from LATCHKEY_* environment
// variables and command-line flags (flag beats environment beats default), and
// Validate, which reports every problem at once so an operator fixes them in
// one go.
//
// It must not import any other latchkey package: everything else depends on it.
package config
