// Command gentoken prints a format-valid fake GitHub token (random, with a
// correct checksum, belonging to no one) for benchmarks.
package main

import (
	"fmt"
	"math/rand/v2"

	"nhiscan/fixtures"
)

func main() { fmt.Println(fixtures.NewGen(rand.Uint64()).GitHubToken("ghp_")) }
