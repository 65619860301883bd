package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"nhiscan/finding"
	"nhiscan/internal/action"
	"nhiscan/internal/report"
	"nhiscan/internal/termsafe"
	"nhiscan/scanner"
)

func newActionCmd(g *globalOpts) *cobra.Command {
	var (
		eventName, eventPath, workspace, sarifPath, summaryPath string
	)
	cmd := &cobra.Command{
		Use:   "action",
		Short: "Run as a GitHub Action step: scan what the triggering event added",
		Long: `Scan the commits the GitHub event added, as the nhiscan GitHub Action does
(see action.yml). It reads GITHUB_EVENT_NAME, GITHUB_EVENT_PATH and
GITHUB_WORKSPACE and scans:

  pull_request, pull_request_target   base.sha..head.sha
  push                                before..after
  push creating a branch              the branch's commits not on the default branch
  force push                          the new commits not on the default branch
                                      (nor reachable from the old tip, if present)
  push of a tag                       the tag's commits not on the default branch
  workflow_dispatch, schedule         the whole history, every ref

A shallow checkout that lacks the range fails with an explanation: use
actions/checkout with fetch-depth: 0. It writes error annotations (file,
line, rule; secrets redacted), a job summary to GITHUB_STEP_SUMMARY, the
report to stdout, and SARIF to --sarif for github/codeql-action/upload-sarif.`,
		Example: `  scan action --sarif nhiscan.sarif
  GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH=event.json scan action --fail-on high
  scan action --verify --fail-on live       # fail only on credentials that work`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkVerifyFlags(); err != nil {
				return err
			}
			if eventName == "" || eventPath == "" {
				return errors.New("GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are not set (or pass --event-name and --event): `scan action` runs inside GitHub Actions; elsewhere use `scan git --range A..B`")
			}
			if workspace == "" {
				workspace = "."
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			f, err := os.Open(eventPath)
			if err != nil {
				return fmt.Errorf("event payload: %w", err)
			}
			ev, err := action.ParseEvent(eventName, f)
			f.Close()
			if err != nil {
				return err
			}
			plan, err := action.Decide(ev, action.CLIGit{Ctx: cmd.Context(), Dir: workspace})
			if err != nil {
				fmt.Fprintf(out, "::error title=nhiscan::%s\n", escapeData(err.Error()))
				return err
			}
			for _, n := range plan.Notes {
				fmt.Fprintf(out, "::warning title=nhiscan::%s\n", escapeData(n))
			}
			fmt.Fprintf(errOut, "nhiscan: %s\n", termsafe.Line(plan.Description))
			if plan.Empty {
				fmt.Fprintf(out, "::notice title=nhiscan::%s\n", escapeData("Nothing to scan: "+plan.Description))
				return writeSummaryFile(summaryPath, plan, nil, finding.Stats{})
			}
			if !plan.Full {
				fmt.Fprintf(errOut, "nhiscan: %d commits in range: %s\n", plan.Commits, termsafe.Clean(strings.Join(plan.Revs, " ")))
			}
			s, err := g.setup(cmd, workspace)
			if err != nil {
				return err
			}
			res, err := s.ScanHistory(cmd.Context(), workspace, scanner.HistoryOptions{Revs: plan.Revs})
			if err != nil {
				return err
			}
			g.repoURL = g.repoURLFor(cmd.Context(), workspace)
			// finish applies the baseline (in place), verifies (--verify),
			// keeps live findings only (--only-verified) and prints the
			// report; the exit code is decided by --fail-on below, once the
			// SARIF file, annotations and summary are written.
			// Text from the repository (paths, authors) must not be read as
			// workflow commands: stop command processing around the report.
			token := stopToken()
			fmt.Fprintf(out, "::stop-commands::%s\n", token)
			err = g.finish(cmd, s, res)
			fmt.Fprintf(out, "::%s::\n", token)
			if err != nil && !errors.As(err, new(exitCodeError)) {
				return err
			}
			if sarifPath != "" {
				if err := writeSARIFFile(sarifPath, g, s, res); err != nil {
					return err
				}
			}
			if err := action.WriteAnnotations(out, res.Findings); err != nil {
				return err
			}
			if err := writeSummaryFile(summaryPath, plan, res.Findings, res.Stats); err != nil {
				return err
			}
			if g.failing(res.Findings, ruleInfos(s.Engine.Rules())) {
				code := g.exitCode
				if code == 0 {
					code = 1
				}
				return exitCodeError{code}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&eventName, "event-name", os.Getenv("GITHUB_EVENT_NAME"), "the event that triggered the workflow (default $GITHUB_EVENT_NAME)")
	fl.StringVar(&eventPath, "event", os.Getenv("GITHUB_EVENT_PATH"), "the event payload JSON file (default $GITHUB_EVENT_PATH)")
	fl.StringVar(&workspace, "workspace", os.Getenv("GITHUB_WORKSPACE"), "the checkout to scan (default $GITHUB_WORKSPACE, else .)")
	fl.StringVar(&summaryPath, "summary", os.Getenv("GITHUB_STEP_SUMMARY"), "append a markdown job summary to this file (default $GITHUB_STEP_SUMMARY)")
	fl.StringVar(&sarifPath, "sarif", "", "also write a SARIF report to this file (for github/codeql-action/upload-sarif)")
	return cmd
}

func stopToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "nhiscan-" + hex.EncodeToString(b)
}

func escapeData(s string) string {
	return termsafe.Line(strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s))
}

func writeSARIFFile(path string, g *globalOpts, s *scanner.Scanner, res *finding.Result) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("--sarif: %w", err)
		}
	}
	opts := report.Options{ToolVersion: toolVersion(), Rules: ruleInfos(s.Engine.Rules()), RepoURL: g.repoURL}
	if err := writeFileWhole(path, func(w io.Writer) error { return report.Write(w, "sarif", *res, opts) }); err != nil {
		return fmt.Errorf("--sarif: %w", err)
	}
	return nil
}

func writeSummaryFile(path string, p action.Plan, fs []finding.Finding, st finding.Stats) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|noFollow, 0o644)
	if err != nil {
		return fmt.Errorf("job summary: %w", err)
	}
	if err := action.WriteSummary(f, p, fs, st); err != nil {
		f.Close()
		return fmt.Errorf("job summary: %w", err)
	}
	return f.Close()
}
