package docgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// CLIReference renders the command tree under root as Markdown: the
// global flags once, then every visible command (depth first, in cobra's
// order) with its description, examples and own flags. Hidden commands and
// flags are left out; defaults that name the user's home or XDG folders
// are written with ~ and the variable's name, so the output is the same on
// every machine.
func CLIReference(root *cobra.Command) []byte {
	var b bytes.Buffer
	name := root.Name()
	fmt.Fprintf(&b, "# `%s` command reference\n\n", name)
	b.WriteString("<!-- Generated from the command tree by go generate ./... (internal/docgen); do not edit. -->\n\n")
	b.WriteString("Every command also accepts `--help`. For what the commands are for, start at the [README](../README.md).\n\n")
	cmds := visible(root)
	for _, c := range cmds[1:] {
		fmt.Fprintf(&b, "- [%s](#%s) — %s\n", c.CommandPath(), Slug(c.CommandPath()), c.Short)
	}
	b.WriteString("\n## Global flags\n\n")
	b.WriteString("Accepted by every command.\n\n")
	flagTable(&b, root.PersistentFlags())
	for _, c := range cmds[1:] {
		fmt.Fprintf(&b, "## %s\n\n", c.CommandPath())
		if c.Short != "" {
			b.WriteString(sentence(c.Short) + "\n\n")
		}
		// Plain text, not code: a usage line is a pattern, not a command
		// to copy.
		b.WriteString("Usage: " + strings.TrimSpace(c.UseLine()) + "\n\n")
		if long := strings.TrimSpace(c.Long); long != "" && long != strings.TrimSpace(c.Short) {
			b.WriteString("```text\n" + long + "\n```\n\n")
		}
		if ex := c.Example; strings.TrimSpace(ex) != "" {
			b.WriteString("Examples:\n\n```sh\n" + trimIndent(ex) + "\n```\n\n")
		}
		if c.HasAvailableLocalFlags() {
			flagTable(&b, c.LocalFlags())
		}
		if subs := visible(c)[1:]; len(subs) > 0 && c.HasAvailableSubCommands() {
			b.WriteString("Subcommands: ")
			var links []string
			for _, s := range c.Commands() {
				if s.IsAvailableCommand() {
					links = append(links, fmt.Sprintf("[%s](#%s)", s.Name(), Slug(s.CommandPath())))
				}
			}
			b.WriteString(strings.Join(links, ", ") + ".\n\n")
		}
	}
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n')
}

// visible returns c and every available command below it, depth first.
func visible(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() {
			out = append(out, visible(s)...)
		}
	}
	return out
}

// flagTable writes fs's visible flags as a table.
func flagTable(b *bytes.Buffer, fs *pflag.FlagSet) {
	b.WriteString("| flag | default | meaning |\n|---|---|---|\n")
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "--" + f.Name
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			name = "-" + f.Shorthand + ", " + name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if varname != "" && varname != "bool" {
			name += " " + varname
		}
		def := defaultValue(f)
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", name, def, cell(usage))
	})
	b.WriteString("\n")
}

// defaultValue is f's default as shown to the reader: empty values as —,
// machine-specific folders as ~ or $XDG_….
func defaultValue(f *pflag.Flag) string {
	switch d := f.DefValue; d {
	case "", "[]", "false":
		return "—"
	default:
		return "`" + cell(portable(d)) + "`"
	}
}

// portable rewrites the folders of the machine generating the docs into
// the form every reader understands.
func portable(s string) string {
	for _, v := range []struct{ env, fallback string }{
		{"XDG_CACHE_HOME", ".cache"}, {"XDG_CONFIG_HOME", ".config"}, {"XDG_STATE_HOME", ".local/state"},
	} {
		if dir := os.Getenv(v.env); dir != "" && strings.HasPrefix(s, dir) {
			return "$" + v.env + s[len(dir):]
		}
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" && home != "/" {
		if s == home || strings.HasPrefix(s, home+string(filepath.Separator)) {
			return "~" + s[len(home):]
		}
	}
	return s
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// trimIndent removes the indentation common to every non-empty line.
func trimIndent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if len(l) >= indent && indent > 0 {
			lines[i] = l[indent:]
		}
		lines[i] = strings.TrimRight(lines[i], " \t")
	}
	return strings.Join(lines, "\n")
}
