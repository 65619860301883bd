package rules

import (
	"hash/crc32"
	"strings"
)

// Checksum validation: some token formats carry a checksum, so a value that
// fails it was never issued and is not reported (PROVIDERS.md, "Checksum
// definition"). GitHub's gh?_ tokens and npm's npm_ tokens end in 6
// characters: the CRC-32 (IEEE) of the 30 random characters before them,
// in base 62 (0-9A-Za-z), left-padded with '0'.

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// checksummedPrefixes are the formats checked: prefix + 30 + 6 characters.
var checksummedPrefixes = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_"}

// ChecksumOK reports whether secret passes its format's checksum. Secrets of
// formats without a checksum (or of another length, such as the 76-character
// ghr_ refresh tokens) pass.
func ChecksumOK(secret string) bool {
	for _, p := range checksummedPrefixes {
		if !strings.HasPrefix(secret, p) {
			continue
		}
		body := secret[len(p):]
		if len(body) != 36 {
			return true
		}
		return base62CRC32(body[:30]) == body[30:]
	}
	return true
}

func base62CRC32(s string) string {
	v := crc32.ChecksumIEEE([]byte(s))
	var out [6]byte
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return string(out[:])
}
