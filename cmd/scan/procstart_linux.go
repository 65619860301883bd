package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// kernelStart is when the kernel started this process, from /proc: the
// moment a server's hook time limit starts counting, before the Go runtime
// and package initialisation (a few hundred milliseconds on a busy host)
// that processStart cannot see. ok is false when /proc cannot tell.
func kernelStart(now time.Time) (time.Time, bool) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return time.Time{}, false
	}
	// Fields after the command name, which may hold spaces, in parentheses;
	// starttime is field 22 of the line, the 20th after ')'.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return time.Time{}, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return time.Time{}, false
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return time.Time{}, false
	}
	upf := strings.Fields(string(up))
	if len(upf) == 0 {
		return time.Time{}, false
	}
	uptime, err := strconv.ParseFloat(upf[0], 64)
	if err != nil {
		return time.Time{}, false
	}
	// Clock ticks are 100 a second on every Linux configuration Go runs on
	// (USER_HZ); both values count from boot.
	age := time.Duration((uptime - float64(ticks)/100) * float64(time.Second))
	return now.Add(-age), true
}
