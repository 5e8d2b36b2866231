// Command latchkey is an identity server that speaks FusionAuth's HTTP API.
//
// main only connects the process to run: arguments, environment, output and
// a context cancelled by SIGINT/SIGTERM.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	lazyFreeFailed = execLazyFree()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal starts a graceful drain; restoring the default
		// handling lets a second one stop the process at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
