package github

import (
	"context"
	"sort"

	"nhiscan/finding"
	"nhiscan/internal/store"
)

// withRepoPaths returns f with its own copy of the locations, each path
// prefixed with the repository's OWNER/NAME, so one report can hold the
// secrets of a whole organisation.
func withRepoPaths(f finding.Finding, fullName string) finding.Finding {
	locs := make([]finding.Location, len(f.Locations))
	for i, l := range f.Locations {
		if l.Path == "" {
			l.Path = fullName
		} else {
			l.Path = fullName + "/" + l.Path
		}
		locs[i] = l
	}
	f.Locations = locs
	return f
}

// names maps repository URLs to OWNER/NAME.
func names(ctx context.Context, st store.Store) (map[string]string, error) {
	repos, err := st.Repos(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(repos))
	for _, r := range repos {
		if r.Name != "" {
			m[r.URL] = r.Name
		}
	}
	return m, nil
}

// storedFinding rebuilds a report finding from the store: no raw secret,
// only the redacted form; the locations in the repositories keep (all when
// keep is nil), paths prefixed with OWNER/NAME.
func storedFinding(ctx context.Context, st store.Store, sec store.Secret, nameOf map[string]string, keep map[string]bool) (finding.Finding, error) {
	locs, err := st.Locations(ctx, sec.Fingerprint)
	if err != nil {
		return finding.Finding{}, err
	}
	f := findingFromStore(sec, nil, "")
	for _, l := range locs {
		if keep != nil && !keep[l.Repo] {
			continue
		}
		name := nameOf[l.Repo]
		if name == "" {
			name = l.Repo
		}
		one := findingFromStore(sec, []store.Location{l}, "")
		f.Locations = append(f.Locations, withRepoPaths(one, name).Locations...)
	}
	return f, nil
}

// overlay keeps what this run knows better than the store: the raw secret
// (for --show-secrets) and the text around it, and a fresh verification.
func overlay(f *finding.Finding, run *finding.Finding) {
	if run == nil {
		return
	}
	f.Secret, f.Context = run.Secret, run.Context
	f.Description, f.Tags, f.Entropy = run.Description, run.Tags, run.Entropy
	if run.Verification != nil {
		f.Verification = run.Verification
	}
}

// FindingsOf turns a report's changes into findings for a since-last-run
// report: secrets new to the store, known ones at new places and ones live
// again, each with its locations in every repository, from the store (an
// interrupted and resumed run found some of them before the restart), with
// this run's raw secret and verification where it has them.
func FindingsOf(ctx context.Context, st store.Store, rep *Report) ([]finding.Finding, error) {
	run := map[string]*finding.Finding{}
	for i := range rep.Findings {
		run[rep.Findings[i].Fingerprint] = &rep.Findings[i]
	}
	nameOf, err := names(ctx, st)
	if err != nil {
		return nil, err
	}
	var out []finding.Finding
	for _, ch := range rep.Changes {
		sec, err := st.Secret(ctx, ch.Fingerprint)
		if err != nil {
			return nil, err
		}
		f, err := storedFinding(ctx, st, sec, nameOf, nil)
		if err != nil {
			return nil, err
		}
		overlay(&f, run[ch.Fingerprint])
		out = append(out, f)
	}
	return out, nil
}

// Inventory is every secret the store knows in the repositories of a crawl
// (all but those gone upstream), with its current status and its locations
// in those repositories: the report of `scan org` without
// --since-last-run. It reads the store in a few queries, whatever the
// number of repositories.
func Inventory(ctx context.Context, st store.Store, rep *Report) ([]finding.Finding, error) {
	run := map[string]*finding.Finding{}
	for i := range rep.Findings {
		run[rep.Findings[i].Fingerprint] = &rep.Findings[i]
	}
	nameOf, err := names(ctx, st)
	if err != nil {
		return nil, err
	}
	var urls []string
	for _, rr := range rep.Repos {
		if rr.Outcome != Gone {
			urls = append(urls, rr.Repo.CloneURL)
		}
	}
	if len(urls) == 0 {
		return nil, nil
	}
	locs, err := st.RepoLocations(ctx, urls...)
	if err != nil {
		return nil, err
	}
	byFP := map[string][]store.Location{}
	for _, l := range locs {
		byFP[l.Fingerprint] = append(byFP[l.Fingerprint], l)
	}
	secrets, err := st.Secrets(ctx, store.SecretFilter{})
	if err != nil {
		return nil, err
	}
	sort.Slice(secrets, func(i, j int) bool { return secrets[i].Fingerprint < secrets[j].Fingerprint })
	var out []finding.Finding
	for _, sec := range secrets {
		ls := byFP[sec.Fingerprint]
		if len(ls) == 0 {
			continue
		}
		f := findingFromStore(sec, nil, "")
		for _, l := range ls {
			name := nameOf[l.Repo]
			if name == "" {
				name = l.Repo
			}
			f.Locations = append(f.Locations, withRepoPaths(findingFromStore(sec, []store.Location{l}, ""), name).Locations...)
		}
		overlay(&f, run[sec.Fingerprint])
		out = append(out, f)
	}
	return out, nil
}
