package github

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress is told what a crawl does. Implementations are safe for
// concurrent use (repositories run in parallel).
type Progress interface {
	Start(total int)
	Begin(repo string)
	Done(repo string, r RepoResult)
	Finish()
}

type nopProgress struct{}

func (nopProgress) Start(int)               {}
func (nopProgress) Begin(string)            {}
func (nopProgress) Done(string, RepoResult) {}
func (nopProgress) Finish()                 {}

// NewProgress returns a one-line progress bar redrawn in place (repos
// done/total, the repository being crawled, findings so far, ETA) when tty
// is true, and one plain log line per finished repository otherwise.
func NewProgress(w io.Writer, tty bool) Progress {
	return &lineProgress{w: w, tty: tty, now: time.Now}
}

type lineProgress struct {
	w   io.Writer
	tty bool
	now func() time.Time

	mu       sync.Mutex
	total    int
	done     int
	findings int
	failed   int
	current  string
	start    time.Time
	last     time.Time
	width    int
}

func (p *lineProgress) Start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.start = total, p.now()
	if !p.tty {
		fmt.Fprintf(p.w, "crawl: %d repositories\n", total)
	}
}

func (p *lineProgress) Begin(repo string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current = repo
	if p.tty {
		p.draw(false)
	}
}

func (p *lineProgress) Done(repo string, r RepoResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.findings += r.Findings
	if r.Outcome == Failed {
		p.failed++
	}
	if p.tty {
		p.draw(p.done == p.total)
		return
	}
	line := fmt.Sprintf("crawl: [%d/%d] %s %s", p.done, p.total, repo, r.Outcome)
	if r.Outcome == Scanned {
		line += fmt.Sprintf(" (%d commits, %d findings, %d new)", r.Commits, r.Findings, r.New)
	}
	if r.Err != "" {
		line += ": " + r.Err
	}
	fmt.Fprintln(p.w, line)
}

func (p *lineProgress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.width > 0 {
		fmt.Fprint(p.w, "\n")
		p.width = 0
	}
}

// draw redraws the bar, at most ten times a second unless forced.
func (p *lineProgress) draw(force bool) {
	now := p.now()
	if !force && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	const barWidth = 24
	filled := 0
	if p.total > 0 {
		filled = barWidth * p.done / p.total
	}
	eta := "--"
	if p.done > 0 && p.done < p.total {
		per := now.Sub(p.start) / time.Duration(p.done)
		eta = (per * time.Duration(p.total-p.done)).Round(time.Second).String()
	} else if p.done == p.total {
		eta = "0s"
	}
	cur := p.current
	if len(cur) > 32 {
		cur = "…" + cur[len(cur)-31:]
	}
	line := fmt.Sprintf("[%s%s] %d/%d repos  %d findings  %d failed  ETA %s  %s",
		strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), p.done, p.total, p.findings, p.failed, eta, cur)
	pad := ""
	if n := p.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprint(p.w, "\r"+line+pad)
	p.width = len(line)
}
