package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"nhiscan/scanner"
)

// progressModes are the values --progress accepts. "lines" prints a status
// line every few seconds (for logs that keep every line); "bar" forces the
// bar even when stderr is not a terminal.
var progressModes = []string{"auto", "bar", "lines", "none"}

// progressEvery is how often the display polls the scan's counters: the
// scan itself only adds to atomic counters, so the display costs it nothing
// measurable.
const progressEvery = 150 * time.Millisecond

// linesEvery is the interval of --progress lines.
const linesEvery = 5 * time.Second

// isTerminal reports whether w (unwrapped from the run's stderr lock) is a
// terminal.
func isTerminal(w io.Writer) bool {
	if lw, ok := w.(*lockedWriter); ok {
		w = lw.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// inCI reports whether the process runs in a CI system (CI=true, as GitHub
// Actions, GitLab and most others set it).
func inCI() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv("CI")))
	return v != "" && v != "false" && v != "0"
}

// progressMode resolves --progress for a run writing to stderr w: "bar",
// "lines" or "none". auto is a bar on a terminal, nothing otherwise, and
// nothing with --quiet or in CI.
func (g *globalOpts) progressMode(w io.Writer) string {
	switch g.progress {
	case "bar", "lines", "none":
		return g.progress
	}
	if g.quiet || inCI() || !isTerminal(w) {
		return "none"
	}
	return "bar"
}

func checkProgress(mode string) error {
	if !slices.Contains(progressModes, mode) {
		return fmt.Errorf("--progress %q: choose one of %s", mode, strings.Join(progressModes, ", "))
	}
	return nil
}

// progressDisplay shows the progress of long work on stderr until stop.
type progressDisplay struct {
	snap  func() (done, total, bytes int64)
	what  string // "objects", "files", "secrets"
	bytes bool   // show the bytes read
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// startProgress starts the display of s's progress (s.Progress is set
// here) when the run shows one; stop it before the report is written.
func (g *globalOpts) startProgress(w io.Writer, s *scanner.Scanner, label, what string) {
	p := &scanner.Progress{}
	if g.startDisplay(w, label, what, true, p.Snapshot) {
		s.Progress = p
	}
}

// startCount shows a count of total things done (verification), when
// the run shows progress.
func (g *globalOpts) startCount(w io.Writer, label, what string, total int64, done *atomic.Int64) {
	g.startDisplay(w, label, what, false, func() (int64, int64, int64) { return done.Load(), total, 0 })
}

func (g *globalOpts) startDisplay(w io.Writer, label, what string, bytes bool, snap func() (int64, int64, int64)) bool {
	mode := g.progressMode(w)
	if mode == "none" {
		return false
	}
	g.stopProgress()
	d := &progressDisplay{snap: snap, what: what, bytes: bytes, done: make(chan struct{})}
	g.display = d
	d.wg.Add(1)
	if mode == "lines" {
		go d.lines(w, label)
	} else {
		go d.bar(w, label)
	}
	return true
}

// stopProgress ends the display (clearing the bar); idempotent.
func (g *globalOpts) stopProgress() {
	if g.display == nil {
		return
	}
	d := g.display
	d.once.Do(func() { close(d.done) })
	d.wg.Wait()
}

func (d *progressDisplay) bar(w io.Writer, label string) {
	defer d.wg.Done()
	var bar *progressbar.ProgressBar
	newBar := func(total int64) {
		max := total
		if max <= 0 {
			max = -1 // a spinner until the total is known
		}
		bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionSetItsString(d.what),
			progressbar.OptionShowIts(),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetWidth(24),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
			// No spinner goroutine: every render happens here, on this
			// goroutine (the library's own ticker renders unsynchronised
			// with Clear, and outlives a replaced bar).
			progressbar.OptionSetSpinnerChangeInterval(0),
		)
	}
	var total int64
	newBar(0)
	update := func() {
		done, tot, bytes := d.snap()
		if tot != total && tot > 0 {
			_ = bar.Clear()
			total = tot
			newBar(total)
		}
		if d.bytes {
			bar.Describe(fmt.Sprintf("%s %s", label, mb(bytes)))
		}
		if total > 0 && done > total {
			done = total
		}
		_ = bar.Set64(done)
	}
	update()
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	for {
		select {
		case <-d.done:
			update()
			_ = bar.Clear()
			return
		case <-t.C:
			update()
		}
	}
}

func (d *progressDisplay) lines(w io.Writer, label string) {
	defer d.wg.Done()
	start := time.Now()
	t := time.NewTicker(linesEvery)
	defer t.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-t.C:
		}
		done, total, bytes := d.snap()
		el := time.Since(start)
		rate := float64(done) / el.Seconds()
		line := fmt.Sprintf("%s: %d %s, %s, %.0f %s/s", label, done, d.what, mb(bytes), rate, d.what)
		if total > 0 && rate > 0 && done < total {
			eta := time.Duration(float64(total-done)/rate) * time.Second
			line = fmt.Sprintf("%s: %d/%d %s (%d%%), %s, %.0f %s/s, about %s left", label, done, total, d.what,
				100*done/total, mb(bytes), rate, d.what, eta.Round(time.Second))
		}
		fmt.Fprintln(w, line)
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
