package scanner

import (
	"context"
	"strings"

	"github.com/zricethezav/gitleaks/v8/config"

	"nhiscan/finding"
	"nhiscan/rules"
)

// assemble turns per-blob hits into Findings: one per secret, located at
// every commit that added it to a path. A blob whose parent version at the
// same path already held the secret adds no location (the secret was only
// carried along), which matches what a diff-based scanner reports.
func (hs *historyScan) assemble(hist *history, head map[oid]struct{}, unreachable bool) *finding.Result {
	// Place lines met again after their first scan.
	for _, s := range hs.sights {
		for _, a := range hs.anchors[s.h] {
			h := a.h
			start := int(s.sg.line) + 1 + a.lineDiff
			h.EndLine += start - h.StartLine
			h.StartLine = start
			hs.hits[s.sg.blob] = append(hs.hits[s.sg.blob], h)
		}
	}
	type secretKey struct{ rule, secret string }
	held := make(map[int32]map[secretKey]bool, len(hs.hits))
	for b, hits := range hs.hits {
		hits = dedupHits(hits)
		hs.hits[b] = hits
		m := make(map[secretKey]bool, len(hits))
		for _, h := range hits {
			m[secretKey{h.RuleID, h.Secret}] = true
		}
		held[b] = m
	}

	// A secret is in HEAD when any blob of the default branch's tip holds
	// it, whichever commit added it.
	inHeadSecret := map[secretKey]bool{}
	for id := range head {
		if idx, ok := hs.index[id]; ok {
			for k := range held[idx] {
				inHeadSecret[k] = true
			}
		}
	}
	cfg := &hs.s.Engine.rules.Config
	b := hs.s.newBuilder()
	b.sup = hs.sup
	placed := map[int32]bool{}
	for _, c := range hist.changes {
		idx, ok := hs.index[c.new]
		if !ok {
			continue
		}
		hits := hs.hits[idx]
		if len(hits) == 0 {
			continue
		}
		placed[idx] = true
		oldIdx, hasOld := hs.index[c.old]
		ci := hist.commits[c.commit]
		for _, h := range hits {
			if hasOld && c.old != zeroOID && held[oldIdx][secretKey{h.RuleID, h.Secret}] {
				continue
			}
			if !locationAllowed(cfg, h, c.path, ci.SHA, hs.sup) {
				continue
			}
			inHead := inHeadSecret[secretKey{h.RuleID, h.Secret}]
			b.add(h, finding.Location{
				Commit: ci.SHA, Blob: c.new.String(), Path: c.path,
				Line: h.StartLine, Column: h.StartCol, EndLine: h.EndLine, EndColumn: h.EndCol,
				Author: ci.Author, Email: ci.Email, Date: ci.Date,
			}, inHead)
		}
	}
	// Blobs with hits that no walked commit adds: dangling objects, or
	// content only a merge introduced. Path rules cannot be applied.
	for idx, hits := range hs.hits {
		if !unreachable || placed[idx] || len(hits) == 0 {
			continue
		}
		id := hs.blobs[idx]
		for _, h := range hits {
			inHead := inHeadSecret[secretKey{h.RuleID, h.Secret}]
			if !locationAllowed(cfg, h, "", "", hs.sup) {
				continue
			}
			b.add(h, finding.Location{Blob: id.String(), Line: h.StartLine, Column: h.StartCol,
				EndLine: h.EndLine, EndColumn: h.EndCol, Unreachable: true}, inHead)
		}
	}
	// Path-only rules (e.g. a PKCS#12 file): the path is the finding.
	pathRules := pathOnlyRules(cfg)
	if len(pathRules) > 0 {
		for _, c := range hist.changes {
			if c.old != zeroOID {
				continue
			}
			ci := hist.commits[c.commit]
			for _, r := range pathRules {
				if !r.Path.MatchString(c.path) {
					continue
				}
				h := hit{RuleID: r.RuleID, Secret: "", Match: "file detected: " + c.path}
				if !locationAllowed(cfg, h, c.path, ci.SHA, hs.sup) {
					continue
				}
				_, inHead := head[c.new]
				b.addPath(h, finding.Location{Commit: ci.SHA, Blob: c.new.String(), Path: c.path,
					Author: ci.Author, Email: ci.Email, Date: ci.Date}, inHead)
			}
		}
	}
	return &finding.Result{Findings: b.findings()}
}

func pathOnlyRules(cfg *config.Config) []config.Rule {
	var out []config.Rule
	for _, id := range cfg.OrderedRules {
		r := cfg.Rules[id]
		if r.Regex == nil && r.Path != nil {
			out = append(out, r)
		}
	}
	return out
}

// builder collects hits into Findings, one per rule and secret, then
// (findings) one per credential.
type builder struct {
	sup    *suppressCounts // may be nil
	e      *Engine
	ignore *IgnoreList
	parts  PartFinder
	fp     finding.Fingerprinter
	byFP   map[string]*finding.Finding
	order  []string
	locs   map[string]map[locKey]bool
}

type locKey struct {
	commit, blob, path string
	line, col          int
}

func (s *Scanner) newBuilder() *builder {
	return &builder{e: s.Engine, ignore: s.Ignore, parts: s.Parts, fp: s.Fingerprints,
		byFP: map[string]*finding.Finding{}, locs: map[string]map[locKey]bool{}}
}

func (b *builder) add(h hit, loc finding.Location, inHead bool) {
	b.put(h, finding.Fingerprint(h.RuleID, h.Secret), loc, inHead)
}

func (b *builder) addPath(h hit, loc finding.Location, inHead bool) {
	b.put(h, finding.Fingerprint(h.RuleID, "path:"+loc.Path), loc, inHead)
}

func (b *builder) put(h hit, fp string, loc finding.Location, inHead bool) {
	if b.ignore.Ignored(fp, h.RuleID, loc) {
		b.sup.note(b.sup.ignoreCounter(), loc.Path, loc.Line, h.RuleID, ".gitleaksignore")
		return
	}
	f, ok := b.byFP[fp]
	if !ok {
		rule := b.e.rules.Config.Rules[h.RuleID]
		meta := b.e.rules.Meta(h.RuleID)
		f = &finding.Finding{
			Fingerprint: fp, RuleID: h.RuleID, Description: rule.Description,
			Provider: meta.Provider, Severity: meta.Severity,
			Tags:   append(append([]string{}, rule.Tags...), meta.Tags...),
			Secret: h.Secret, Redacted: finding.Redact(h.Secret), Entropy: h.Entropy,
			Context: h.Context,
		}
		if h.Secret == "" {
			f.Redacted = strings.TrimPrefix(h.Match, "file detected: ")
		}
		b.byFP[fp] = f
		b.order = append(b.order, fp)
		b.locs[fp] = map[locKey]bool{}
	}
	k := locKey{loc.Commit, loc.Blob, loc.Path, loc.Line, loc.Column}
	if b.locs[fp][k] {
		return
	}
	b.locs[fp][k] = true
	f.Locations = append(f.Locations, loc)
	f.InHead = f.InHead || inHead
}

func (b *builder) findings() []finding.Finding {
	fs := make([]*finding.Finding, len(b.order))
	for i, fp := range b.order {
		fs[i] = b.byFP[fp]
	}
	fs = credentials(fs, b.order, b.e.rules, b.parts, b.fp)
	out := make([]finding.Finding, 0, len(fs))
	for _, f := range fs {
		if b.ignore.IgnoredFinding(f) {
			l := f.FirstLocation()
			b.sup.note(b.sup.ignoreCounter(), l.Path, l.Line, f.RuleID, ".gitleaksignore")
			continue
		}
		f.SortLocations()
		noisyOnly(f)
		out = append(out, *f)
	}
	finding.SortFindings(out)
	return out
}

// noisyOnly lowers the severity of a finding seen only in vendored,
// generated or lock files (rules.NoisyPath) by one level and tags it: such
// a credential is still leaked, but it is less often the team's own.
func noisyOnly(f *finding.Finding) {
	if len(f.Locations) == 0 {
		return
	}
	for _, l := range f.Locations {
		if l.Path == "" || !rules.NoisyPath(l.Path) {
			return
		}
	}
	f.Severity = rules.LowerSeverity(f.Severity)
	f.Tags = append(f.Tags, rules.NoisyPathTag)
}

// headBlobs lists the blobs at the tip of the default branch (HEAD).
func headBlobs(ctx context.Context, dir string, useCLI bool) (map[oid]struct{}, error) {
	if useCLI {
		return lsTree(ctx, dir, "HEAD")
	}
	return goGitHeadBlobs(dir)
}
