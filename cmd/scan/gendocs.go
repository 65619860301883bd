package main

// The CLI reference (docs/cli-reference.md) and the provider table in
// docs/providers.md are generated from the code by TestGeneratedDocs
// (gendocs_test.go), which fails when the committed files differ from what
// it generates; with -update-docs it rewrites them instead.
//go:generate go test -run ^TestGeneratedDocs$ -count=1 . -args -update-docs
