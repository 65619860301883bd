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
	return func() { pprof.StopCPUProfile(); f.Close(); writeAllocProfile() }
}

// writeAllocProfile writes the allocation profile to $NHISCAN_MEMPROFILE
// when set (with $NHISCAN_CPUPROFILE).
func writeAllocProfile() {
	path := os.Getenv("NHISCAN_MEMPROFILE")
	if path == "" {
		return
	}
	if f, err := os.Create(path); err == nil {
		pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
}
