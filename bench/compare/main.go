// Command compare prints the set difference of unique secrets between an
// nhiscan JSON report and a gitleaks JSON report of the same repository:
//
//	go run ./bench/compare -nhiscan nh.json -gitleaks gl.json
//
// Both reports must be written with raw secrets (nhiscan --show-secrets;
// gitleaks without --redact). Secrets are compared by SHA-256 and printed
// redacted with their rule, path and commit.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"nhiscan/finding"
	"os"
	"sort"
)

type glFinding struct {
	RuleID, Secret, File, Commit string
	StartLine                    int
}

type nhReport struct {
	Findings []struct {
		RuleID    string `json:"rule_id"`
		Secret    string `json:"secret"`
		Locations []struct {
			Path   string `json:"path"`
			Commit string `json:"commit"`
			Line   int    `json:"line"`
		} `json:"locations"`
	} `json:"findings"`
}

type where struct{ rule, path, commit string }

func main() {
	nhPath := flag.String("nhiscan", "", "nhiscan JSON report (--show-secrets)")
	glPath := flag.String("gitleaks", "", "gitleaks JSON report")
	verbose := flag.Bool("v", false, "list every difference")
	flag.Parse()
	var nh nhReport
	var gl []glFinding
	must(readJSON(*nhPath, &nh))
	must(readJSON(*glPath, &gl))
	nhSet := map[[32]byte]where{}
	for _, f := range nh.Findings {
		w := where{rule: f.RuleID}
		if len(f.Locations) > 0 {
			w.path, w.commit = f.Locations[0].Path, f.Locations[0].Commit
		}
		nhSet[sha256.Sum256([]byte(f.Secret))] = w
	}
	glSet := map[[32]byte]where{}
	glRaw := map[[32]byte]string{}
	for _, f := range gl {
		k := sha256.Sum256([]byte(f.Secret))
		glSet[k] = where{f.RuleID, f.File, f.Commit}
		glRaw[k] = f.Secret
	}
	onlyGL, onlyNH := diff(glSet, nhSet), diff(nhSet, glSet)
	fmt.Printf("unique secrets: nhiscan %d, gitleaks %d (%d findings); both %d\n", len(nhSet), len(glSet), len(gl), len(glSet)-len(onlyGL))
	fmt.Printf("gitleaks only: %d\nnhiscan only: %d\n", len(onlyGL), len(onlyNH))
	if *verbose {
		for _, w := range onlyGL {
			fmt.Printf("  gitleaks-only %-28s %s %s\n", w.rule, short(w.commit), w.path)
		}
		for _, w := range onlyNH {
			fmt.Printf("  nhiscan-only  %-28s %s %s\n", w.rule, short(w.commit), w.path)
		}
	}
	_ = glRaw
	_ = finding.Redact
}

func diff(a, b map[[32]byte]where) []where {
	var out []where
	for k, w := range a {
		if _, ok := b[k]; !ok {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rule+out[i].path < out[j].rule+out[j].path })
	return out
}

func short(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
}
