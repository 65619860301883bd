// Command scan finds leaked non-human-identity credentials (API keys, bot and
// service tokens, cloud keys, private keys) in git history, working trees and
// staged changes. See `scan --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"
)

// Exit codes.
const (
	exitClean       = 0
	exitError       = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells report an interrupted command
)

func main() {
	if slices.Contains(os.Args[1:], "staged") && os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// The pre-commit path allocates a few tens of MB and exits: garbage
		// collection would only add latency. A memory limit still bounds a
		// huge staged change.
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(512 << 20)
	}
	hookStart = budgetStart() // prereceive.go: a hook's time limit counts from the process's start
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C cancels the run (child processes are stopped
		// with the context); a second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	stopProfile := startProfile()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

// exitCodeError carries the exit code chosen after a successful scan.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// codeOf maps a command's error to the process exit code.
func codeOf(err error) int {
	if err == nil {
		return exitClean
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	return exitError
}
