package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"nhiscan/finding"
	"nhiscan/internal/egress"
	"nhiscan/internal/store"
	"nhiscan/scanner/github"
)

// orgOpts are the flags of `scan org`.
type orgOpts struct {
	users, repos          []string
	apiURL                string
	appID, appInstall     int64
	appKeyFile            string
	cacheDir, state       string
	concurrency           int
	checkConcurrency      int
	shard                 string
	sinceLastRun          bool
	reverify              bool
	skipUnpushed          bool
	fullCheckEvery        time.Duration
	skipForks, skipArch   bool
	visibility, topics    []string
	include, exclude      []string
	noConditionalRequests bool
}

func newOrgCmd(g *globalOpts) *cobra.Command {
	o := &orgOpts{}
	cmd := &cobra.Command{
		Use:   "org [ORG]",
		Short: "Crawl every repository of a GitHub organisation (incremental, resumable, nightly)",
		Long: `Crawl the repositories of a GitHub organisation (or --user, or --repository
OWNER/NAME), keeping bare mirrors in a clone cache and state in a store, so a
nightly run fetches and scans only the commits pushed since the last one.

Credentials: the GITHUB_TOKEN environment variable, or a GitHub App
(--app-id and --app-key-file; the installation is found from the org, user
or repo unless --app-installation-id). Never a token on the command line.
Without either, only public repositories are reachable, with a small API
budget.

State: --state is an SQLite file (default ~/.local/state/nhiscan/state.db) or
a postgres:// URL shared by several crawlers (--shard K/N each). Put the
Postgres password in PGPASSWORD or ~/.pgpass, or in NHISCAN_STATE instead of
the flag. Each repository's result is committed on its own: a killed crawl
started again resumes the same run and rescans nothing that was finished.

Rate limits are waited out (primary: until X-RateLimit-Reset; secondary:
Retry-After), and listings are conditional requests (ETag) cached in the
cache folder.

The report holds every secret known in the crawled repositories, with its
current status and its locations (paths prefixed with OWNER/NAME), or with
--since-last-run only what is new since the last finished run: secrets never
seen before, known secrets at new places, and secrets live again (with --verify --reverify, known secrets
are re-checked every run, so deaths and resurrections are noticed). A
summary line per crawl goes to stderr.`,
		Example: `  GITHUB_TOKEN=... scan org acme                       # crawl; report every known secret of the org
  scan org acme --since-last-run --format sarif -r new.sarif
  scan org acme --verify --since-last-run              # check new secrets with their providers
  scan org acme --verify --reverify --since-last-run   # and re-check known ones: dead? live again?
  scan org acme --verify --since-last-run --remediate plan   # what would be revoked, rotated, ticketed
  scan org acme --shard 0/4 --state postgres://crawler@db/nhiscan
  scan org --user octocat --repository acme/api --repository acme/web
  scan org acme --skip-forks --skip-archived --exclude 'sandbox-*'
  scan org acme --api-url https://ghe.example.com/api/v3/ --app-id 12 --app-key-file app.pem`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("repo") {
				fmt.Fprintln(cmd.ErrOrStderr(), "scan org: --repo is deprecated here (it names a path in every other command): use --repository OWNER/NAME")
			}
			t := github.Target{User: firstOf(o.users), Repos: o.repos}
			if len(args) == 1 {
				t.Org = args[0]
			}
			if len(o.users) > 1 {
				return errors.New("--user: give one user per crawl")
			}
			if t.Org == "" && t.User == "" && len(t.Repos) == 0 {
				return errors.New("name an organisation, or --user NAME, or --repository OWNER/NAME")
			}
			return runOrg(cmd, g, o, t)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.users, "user", nil, "crawl the repositories a user owns instead of (or besides) an org")
	f.StringArrayVar(&o.repos, "repository", nil, "crawl this repository, OWNER/NAME (repeatable)")
	// --repo is a path everywhere else: here it was OWNER/NAME.
	f.StringArrayVar(&o.repos, "repo", nil, "crawl this repository, OWNER/NAME")
	_ = f.MarkHidden("repo")
	f.StringVar(&o.apiURL, "api-url", "", "REST API base for GitHub Enterprise Server, e.g. https://ghe.example.com/api/v3/")
	f.Int64Var(&o.appID, "app-id", 0, "authenticate as this GitHub App (with --app-key-file) instead of GITHUB_TOKEN")
	f.StringVar(&o.appKeyFile, "app-key-file", "", "the GitHub App's private key (PEM file)")
	f.Int64Var(&o.appInstall, "app-installation-id", 0, "the App's installation id (default: looked up for the org, user or first repo)")
	f.StringVar(&o.cacheDir, "cache-dir", "", "clone cache of bare mirrors, created 0700 (default: the user cache folder's nhiscan/mirrors)")
	f.StringVar(&o.state, "state", "", "store: an SQLite file, or postgres://… (default: $NHISCAN_STATE, else ~/.local/state/nhiscan/state.db)")
	f.IntVar(&o.concurrency, "concurrency", 4, "repositories cloned, fetched and scanned at once (bounds memory)")
	f.IntVar(&o.checkConcurrency, "check-concurrency", 0, "repositories asked at once whether a ref moved (network-bound; default 4 × --concurrency)")
	f.StringVar(&o.shard, "shard", "", "crawl only shard K of N (K/N, 0 <= K < N; stable by name hash), e.g. a Kubernetes JOB_COMPLETION_INDEX")
	f.BoolVar(&o.sinceLastRun, "since-last-run", false, "report only what is new since the last finished run: new secrets, reappearances, secrets live again")
	f.BoolVar(&o.reverify, "reverify", false, "with --verify, also re-check the secrets already known in each crawled repository (re-read from its mirror), to notice those that died or came back to life")
	f.BoolVar(&o.skipUnpushed, "skip-unpushed", true, "skip, with no request, repositories whose pushed_at is older than their last scan; pull-request refs moved from forks (pushed_at stays) are then seen at the next push or --full-check-every later (--skip-unpushed=false: ask every repository)")
	f.DurationVar(&o.fullCheckEvery, "full-check-every", 7*24*time.Hour, "with --skip-unpushed, ask a repository anyway when it was last confirmed up to date this long ago")
	f.BoolVar(&o.skipForks, "skip-forks", false, "leave forks out")
	f.BoolVar(&o.skipArch, "skip-archived", false, "leave archived repositories out")
	f.StringSliceVar(&o.visibility, "visibility", nil, "keep only these visibilities: public, private, internal (repeatable)")
	f.StringSliceVar(&o.topics, "topic", nil, "keep only repositories with one of these topics (repeatable)")
	f.StringSliceVar(&o.include, "include", nil, "keep only repositories whose name (or OWNER/NAME) matches one of these globs")
	f.StringSliceVar(&o.exclude, "exclude", nil, "leave out repositories whose name (or OWNER/NAME) matches one of these globs")
	f.BoolVar(&o.noConditionalRequests, "no-conditional-requests", false, "do not cache API answers for ETag conditional requests")
	return cmd
}

// privateDir creates dir 0700, or makes an existing one 0700: the mirrors
// of private repositories and the API answers are kept there.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("%s is mode %o and cannot be made private: %w", dir, fi.Mode().Perm(), err)
		}
	}
	return nil
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// orgVisibilities are the values --visibility accepts.
var orgVisibilities = []string{"public", "private", "internal"}

// checkOrgFlags validates what the crawl is told before anything is opened.
func checkOrgFlags(o *orgOpts, t github.Target) error {
	for _, full := range t.Repos {
		owner, name, ok := strings.Cut(full, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("--repository %q: want OWNER/NAME (scan org takes GitHub repositories; for a local one use scan git PATH)", full)
		}
	}
	for _, v := range o.visibility {
		if !slices.Contains(orgVisibilities, strings.ToLower(v)) {
			return fmt.Errorf("--visibility %q: choose from %s", v, strings.Join(orgVisibilities, ", "))
		}
	}
	return nil
}

func runOrg(cmd *cobra.Command, g *globalOpts, o *orgOpts, t github.Target) error {
	ctx := cmd.Context()
	start := time.Now()
	if err := checkOrgFlags(o, t); err != nil {
		return err
	}
	g.crawl = true
	if err := g.validate(); err != nil {
		return err
	}
	shard, err := github.ParseShard(o.shard)
	if err != nil {
		return err
	}
	filter := github.Filter{SkipForks: o.skipForks, SkipArchived: o.skipArch, Visibility: o.visibility, Topics: o.topics,
		Include: o.include, Exclude: o.exclude}
	if err := filter.ValidateGlobs(); err != nil {
		return err
	}
	if o.reverify && !g.verify {
		return errors.New("--reverify needs --verify")
	}
	if o.concurrency < 1 || o.checkConcurrency < 0 {
		return errors.New("--concurrency must be at least 1, --check-concurrency not negative")
	}
	// Before anything is opened or sent: the token goes over https to the
	// configured GitHub host only.
	host, err := github.ParseHost(o.apiURL)
	if err != nil {
		return err
	}
	cacheDir := o.cacheDir
	if cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("--cache-dir: no user cache folder: %w", err)
		}
		cacheDir = filepath.Join(base, "nhiscan", "mirrors")
	}
	if err := privateDir(cacheDir); err != nil {
		return fmt.Errorf("--cache-dir: %w", err)
	}
	// No scanned tree here: a .gitleaksignore comes only from
	// --gitleaks-ignore-path (or the cache folder's root).
	s, err := g.setup(cmd, cacheDir)
	if err != nil {
		return err
	}
	log := g.logger(cmd)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	location := o.state
	if location == "" {
		location = os.Getenv("NHISCAN_STATE")
	}
	if location == "" {
		if location, err = store.DefaultPath(); err != nil {
			return err
		}
	}
	st, err := store.Open(ctx, location)
	if err != nil {
		return err
	}
	defer st.Close()
	// The store's fingerprint key, shared by every shard that uses it
	// (unless NHISCAN_FINGERPRINT_KEY says otherwise).
	key, err := fingerprintKey(ctx, st)
	if err != nil {
		return err
	}
	s.Fingerprints = finding.NewFingerprinter(key)
	g.fp, g.fpSet = s.Fingerprints, true

	// Every request and clone carrying the token goes through this client:
	// the egress transport under a guard for the GitHub host's API and git
	// hosts, https only.
	hc, err := github.NewHTTPClient(host, egress.TransportOptions{NoProxy: g.egressNoProxy()})
	if err != nil {
		return err
	}
	var tokens github.TokenSource
	switch {
	case o.appID != 0 || o.appKeyFile != "":
		if o.appID == 0 || o.appKeyFile == "" {
			return errors.New("a GitHub App needs both --app-id and --app-key-file")
		}
		key, err := github.LoadAppKey(o.appKeyFile)
		if err != nil {
			return err
		}
		tokens = &github.App{ID: o.appID, Key: key, InstallationID: o.appInstall, Org: t.Org, User: t.User,
			Repo: firstOf(t.Repos), APIURL: host.API.String(), HTTP: hc}
	default:
		if tk := github.TokenFromEnv(); tk != nil {
			tokens = tk
		} else {
			log.Warn("GITHUB_TOKEN is not set: anonymous access, public repositories only")
		}
	}
	base := hc.Transport
	var etags *github.ETagCache
	if !o.noConditionalRequests {
		etags = &github.ETagCache{Base: base, Dir: filepath.Join(cacheDir, ".api")}
		base = etags
	}
	tr := &github.Transport{Base: base, Tokens: tokens, Host: host.APIHost()}
	client, err := github.NewClient(&http.Client{Transport: tr, CheckRedirect: hc.CheckRedirect}, host.API.String())
	if err != nil {
		return err
	}
	waiter := &github.Waiter{OnWait: func(reason string, d time.Duration) {
		log.Warn("waiting for the GitHub API", "reason", reason, "for", d.Round(time.Second))
	}}
	c := &github.Crawler{
		Lister:           &github.Lister{Client: client, Wait: waiter, Host: host, Log: log},
		Cache:            &github.Cache{Dir: cacheDir, Tokens: tokens, Host: host, HTTP: hc},
		Store:            st,
		Scanner:          s,
		Concurrency:      o.concurrency,
		CheckConcurrency: o.checkConcurrency,
		SkipUnpushed:     o.skipUnpushed,
		FullCheckEvery:   o.fullCheckEvery,
		Shard:            shard,
		Log:              log,
		Progress:         orgProgress(cmd, g),
	}
	if g.verify {
		c.Verify = g.verifyFindings
		if o.reverify {
			rs := s.Engine.Rules()
			c.Recheck = func(ctx context.Context, dir string, res *finding.Result) error {
				return g.reverify(ctx, rs, &secretSource{dir: dir}, res)
			}
		}
	}
	rep, err := c.Crawl(ctx, t, filter)
	if rep != nil && !g.quiet {
		fmt.Fprintln(cmd.ErrOrStderr(), summaryLine(rep, tr, etags, time.Since(start)))
	}
	if err != nil {
		if rep != nil && ctx.Err() != nil {
			return fmt.Errorf("crawl interrupted (%v): finished repositories are saved; run the same command again to resume", ctx.Err())
		}
		return err
	}
	res := &finding.Result{}
	if o.sinceLastRun {
		res.Findings, err = github.FindingsOf(ctx, st, rep)
	} else {
		res.Findings, err = github.Inventory(ctx, st, rep)
	}
	if err != nil {
		return err
	}
	for _, rr := range rep.Repos {
		res.Stats.Commits += rr.Commits
		res.Stats.Blobs += rr.Blobs
		switch rr.Outcome {
		case github.Failed:
			res.Stats.Errors++
			res.Stats.Warnings = append(res.Stats.Warnings, fmt.Sprintf("%s: %s", rr.Repo.FullName, rr.Err))
		case github.Gone:
			res.Stats.Warnings = append(res.Stats.Warnings, fmt.Sprintf("%s: deleted upstream (its secrets are kept in the store)", rr.Repo.FullName))
		}
	}
	// --remediate plan|apply (remediate.go): actions and tickets go to this
	// crawl's store unless --remediate-state names another.
	if v, ok := scanRemediations.Load(g); ok {
		if r, ok := v.(*scanRemediation); ok && r.mode != "" && r.state == "" {
			r.state = location
		}
	}
	g.remediateScan(cmd, res)
	return g.output(cmd, ruleInfos(s.Engine.Rules()), res)
}

// summaryLine is the one line per crawl: what happened to the repositories,
// what was found, what the API cost.
func summaryLine(rep *github.Report, tr *github.Transport, etags *github.ETagCache, took time.Duration) string {
	by := rep.ByOutcome()
	api := fmt.Sprintf("%d API requests", tr.Requests())
	if etags != nil && etags.NotModified() > 0 {
		api += fmt.Sprintf(" (%d not modified)", etags.NotModified())
	}
	return fmt.Sprintf("%s: %d repositories (%d scanned, %d unchanged, %d failed, %d gone); %d findings, %d new secrets, %d reappeared, %d live again; %s; %s",
		rep.Scope, rep.Counts.ReposTotal, by[github.Scanned], by[github.Unchanged], by[github.Failed], by[github.Gone],
		len(rep.Findings), rep.Counts.NewSecrets, rep.Counts.Reappeared, rep.Counts.LiveAgain, api, took.Round(time.Millisecond))
}

func orgProgress(cmd *cobra.Command, g *globalOpts) github.Progress {
	w := cmd.ErrOrStderr()
	if g.quiet {
		return nil // -q: nothing but the report and errors, whatever --progress says
	}
	switch g.progress {
	case "none":
		return nil
	case "bar":
		return github.NewProgress(w, true)
	case "lines":
		return github.NewProgress(w, false)
	}
	if inCI() || !isTerminal(w) {
		return github.NewProgress(w, false)
	}
	return github.NewProgress(w, true)
}
