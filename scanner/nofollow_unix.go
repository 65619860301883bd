//go:build unix

package scanner

import "syscall"

const noFollow = syscall.O_NOFOLLOW
