package verifiers

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

// Config is the operator's verification configuration. It is the only way
// a host outside a provider's fixed official list can be reached: nothing
// read from scanned content adds one.
//
// In a TOML config file:
//
//	[verify.hosts]
//	github = ["ghe.example.com"]          # GitHub Enterprise Server
//	gitlab = ["gitlab.example.com"]      # GitLab self-managed
//	vault = ["vault.example.com:8200"]
//	databricks = ["adb-1234567890123456.7.azuredatabricks.net"]
//	grafana = ["example.grafana.net"]
//	jira = ["example.atlassian.net"]
//
//	[verify]
//	canary_aws_accounts = ["123456789012"]
//
// and the same keys under `verify:` in YAML.
type Config struct {
	// Hosts names the self-hosted instances that may receive credentials,
	// by product: github (Enterprise Server), gitlab (self-managed), vault,
	// databricks, grafana, jira. Entries are host names, with a port when
	// it is not 443; no scheme, path or wildcard.
	Hosts map[string][]string `toml:"hosts" yaml:"hosts"`
	// CanaryAWSAccounts adds AWS account ids whose keys are honeytokens
	// (flagged "canary" and never called) to the built-in list.
	CanaryAWSAccounts []string `toml:"canary_aws_accounts" yaml:"canary_aws_accounts"`
}

// SelfHosted lists the products whose hosts come from Config.Hosts.
var SelfHosted = []string{"databricks", "github", "gitlab", "grafana", "jira", "vault"}

var awsAccountID = LazyRegexp(`^\d{12}$`)

// Validate checks every host and account id; errors name the bad entry.
func (c Config) Validate() error {
	for product, hosts := range c.Hosts {
		if !slices.Contains(SelfHosted, product) {
			return fmt.Errorf("verify.hosts: unknown product %q (want one of %s)", product, strings.Join(SelfHosted, ", "))
		}
		for _, h := range hosts {
			if err := validHost(h); err != nil {
				return fmt.Errorf("verify.hosts.%s: %w", product, err)
			}
		}
	}
	for _, a := range c.CanaryAWSAccounts {
		if !awsAccountID.MatchString(a) {
			return fmt.Errorf("verify.canary_aws_accounts: %q is not a 12-digit account id", a)
		}
	}
	return nil
}

// HostsOf returns the configured hosts of product, normalised (lower
// case, ":443" dropped, sorted, no duplicates): a self-hosted provider's
// constructor takes them from here.
func (c Config) HostsOf(product string) []string {
	var out []string
	for _, h := range c.Hosts[product] {
		h = strings.TrimSuffix(strings.ToLower(h), ":443")
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

var hostLabel = LazyRegexp(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// validHost accepts "name" or "name:port": a DNS name or IP address, no
// scheme, user info, path or wildcard.
func validHost(h string) error {
	name, port := strings.ToLower(h), ""
	if strings.ContainsAny(h, "/@?#*\\ \t") {
		return fmt.Errorf("host %q: a host name only (no scheme, path, user or wildcard)", h)
	}
	hasPort := false
	if hn, p, err := net.SplitHostPort(name); err == nil {
		name, port, hasPort = hn, p, true
	}
	if hasPort {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
			return fmt.Errorf("host %q: bad port (want 1-65535)", h)
		}
	}
	if net.ParseIP(name) != nil {
		return nil
	}
	if name == "" || len(name) > 253 {
		return fmt.Errorf("host %q: empty or too long", h)
	}
	for _, l := range strings.Split(name, ".") {
		if !hostLabel.MatchString(l) {
			return fmt.Errorf("host %q: not a host name", h)
		}
	}
	return nil
}

// ParseConfig reads the `verify` section of a TOML or YAML document
// (format "toml" or "yaml"); other sections are ignored. The result is
// validated.
func ParseConfig(data []byte, format string) (Config, error) {
	var doc struct {
		Verify Config `toml:"verify" yaml:"verify"`
	}
	var err error
	switch format {
	case "toml":
		err = toml.NewDecoder(bytes.NewReader(data)).Decode(&doc)
	case "yaml", "yml":
		err = yaml.Unmarshal(data, &doc)
	default:
		return Config{}, fmt.Errorf("verify config: unknown format %q", format)
	}
	if err != nil {
		return Config{}, fmt.Errorf("verify config: %w", err)
	}
	if err := doc.Verify.Validate(); err != nil {
		return Config{}, fmt.Errorf("verify config: %w", err)
	}
	return doc.Verify, nil
}

// LoadConfig reads the `verify` section of a TOML (.toml) or YAML (.yaml,
// .yml) file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("verify config: %w", err)
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format == "yml" {
		format = "yaml"
	}
	c, err := ParseConfig(data, format)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
