package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"nhiscan/providers/all"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"nhiscan/finding"
	"nhiscan/rules"
	"nhiscan/scanner"
)

// newRulesCmd is `scan rules`: what the rule set holds, and what it does on
// a file.
func newRulesCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rules, or show which rules fire on a file and why others do not",
		Long: `The rules are gitleaks' default rule set plus nhiscan's NHI pack, or the
rules of --config. "rules list" prints each rule's id, provider, severity and
whether nhiscan can verify its secrets; "rules test FILE" runs the rules on one
file and explains every match: reported, or stopped by an allowlist, the
entropy threshold, a checksum, a path condition or a more specific rule.`,
		Example: `  scan rules list
  scan rules list --format json
  scan rules test config/production.env
  scan rules test --as deploy/.netrc ./netrc-sample   # judge it under another path`,
	}
	cmd.AddCommand(newRulesListCmd(g), newRulesTestCmd(g))
	return cmd
}

type ruleRow struct {
	ID          string   `json:"id"`
	Provider    string   `json:"provider"`
	Severity    string   `json:"severity"`
	Verifier    bool     `json:"has_verifier"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Remediation string   `json:"remediation"`
	Keywords    []string `json:"keywords,omitempty"`
	Path        string   `json:"path,omitempty"`
}

func newRulesListCmd(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the rules: id, provider, severity, has-verifier",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format := strings.ToLower(g.format)
			if format != "text" && format != "json" && format != "csv" {
				return fmt.Errorf("--format %q: rules list writes text, json or csv", g.format)
			}
			rs, err := rules.Load(rules.Options{ConfigPath: g.configPath, EnableRules: g.enableRules})
			if err != nil {
				return err
			}
			reg := all.Default()
			var rows []ruleRow
			for _, id := range rs.IDs() {
				r := rs.Config.Rules[id]
				m := rs.Meta(id)
				_, ok := reg.Lookup(m.Provider)
				row := ruleRow{ID: id, Provider: m.Provider, Severity: m.Severity, Verifier: m.Provider != "" && ok,
					Description: r.Description, Tags: append(append([]string{}, r.Tags...), m.Tags...), Remediation: m.Remediation, Keywords: r.Keywords}
				if r.Path != nil {
					row.Path = r.Path.String()
				}
				rows = append(rows, row)
			}
			out := cmd.OutOrStdout()
			switch format {
			case "json":
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			case "csv":
				w := csv.NewWriter(out)
				_ = w.Write([]string{"id", "provider", "severity", "has_verifier", "description", "tags"})
				for _, r := range rows {
					_ = w.Write([]string{r.ID, r.Provider, r.Severity, strconv.FormatBool(r.Verifier), r.Description, strings.Join(r.Tags, " ")})
				}
				w.Flush()
				return w.Error()
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPROVIDER\tSEVERITY\tVERIFIER")
			verified := 0
			for _, r := range rows {
				p, v := r.Provider, "-"
				if p == "" {
					p = "-"
				}
				if r.Verifier {
					v, verified = "yes", verified+1
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, p, r.Severity, v)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if !g.quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d rules (%s); %d with a verifier\n", len(rows), rs.Source, verified)
			}
			return nil
		},
	}
}

func newRulesTestCmd(g *globalOpts) *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "test FILE",
		Short: "Show which rules fire on a file, and why the other matches do not",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f := strings.ToLower(g.format); f != "text" && f != "json" {
				return fmt.Errorf("--format %q: rules test writes text or json", g.format)
			}
			rs, err := rules.Load(rules.Options{ConfigPath: g.configPath, EnableRules: g.enableRules})
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("rules test: %w", err)
			}
			path := as
			if path == "" {
				path = filepath.ToSlash(filepath.Clean(args[0]))
			}
			e := scanner.NewEngine(rs, g.maxDecode)
			traces := e.Trace(cmd.Context(), path, data)
			show := func(s string) string {
				if g.showSecrets {
					return s
				}
				return finding.Redact(s)
			}
			out := cmd.OutOrStdout()
			if strings.EqualFold(g.format, "json") {
				type row struct {
					Rule     string `json:"rule_id"`
					Provider string `json:"provider"`
					Line     int    `json:"line"`
					Column   int    `json:"column"`
					Secret   string `json:"secret"`
					Fired    bool   `json:"fired"`
					Why      string `json:"why"`
				}
				rows := []row{}
				for _, t := range traces {
					rows = append(rows, row{t.RuleID, rs.Meta(t.RuleID).Provider, t.Line, t.Column, show(t.Secret), t.Fired, t.Why})
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			fmt.Fprintf(out, "%s (as %s)\n", args[0], path)
			var nf, nn int
			for _, fired := range []bool{true, false} {
				if fired {
					fmt.Fprintln(out, "fired:")
				} else {
					fmt.Fprintln(out, "matched but not reported:")
				}
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				for _, t := range traces {
					if t.Fired != fired {
						continue
					}
					m := rs.Meta(t.RuleID)
					where := "-"
					if t.Line > 0 {
						where = fmt.Sprintf("%d:%d", t.Line, t.Column)
					}
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", where, t.RuleID, orDash(m.Provider), orDash(show(t.Secret)), t.Why)
					if fired {
						nf++
					} else {
						nn++
					}
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if (fired && nf == 0) || (!fired && nn == 0) {
					fmt.Fprintln(out, "  (none)")
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "judge the file as if it were at this `PATH` (path conditions and path allowlists)")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
