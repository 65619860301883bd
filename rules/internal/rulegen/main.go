// Command rulegen writes rules/builtin_gen.go, the built-in rules as Go
// data (run by `go generate ./rules`).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"nhiscan/rules"
)

func main() {
	out := flag.String("o", "builtin_gen.go", "output file")
	flag.Parse()
	var b bytes.Buffer
	if err := rules.WriteGenerated(&b); err != nil {
		fmt.Fprintln(os.Stderr, "rulegen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "rulegen:", err)
		os.Exit(1)
	}
}
