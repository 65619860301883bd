package main

import (
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile to $NHISCAN_CPUPROFILE when set; it is
// for benchmarking nhiscan itself and prints nothing else.
func startProfile() func() {
	path := os.Getenv("NHISCAN_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
