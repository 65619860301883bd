//go:build !unix

package scanner

const noFollow = 0
