package report

import (
	"math"
	"strconv"
	"strings"
)

// The trend charts of a crawl report are inline SVG computed here: the
// template receives only numbers and labels (escaped like any text), never
// markup.

type htmlTrend struct {
	Nights     int
	First      string
	Last       string
	Live       htmlChart // open and open-live secrets per night (lines)
	TimeToDead htmlChart // mean days from first seen to dead, per night (bars)
}

type htmlChart struct {
	W, H                  float64
	Left, Top, Right, Bot float64 // plot area
	Lines                 []htmlLine
	Bars                  []htmlBar
	XTicks, YTicks        []htmlTick
	Empty                 bool
	Legend                []htmlLegend
}

type htmlLegend struct {
	X, TextX     float64
	Class, Label string
}

type htmlLine struct {
	Class  string
	Points string // "x,y x,y …", numbers only
	Dots   []htmlDot
}

type htmlDot struct {
	X, Y  float64
	Label string
}

type htmlBar struct {
	X, Y, W, H float64
	Label      string
}

type htmlTick struct {
	X, Y  float64
	Label string
}

const (
	chartW     = 640
	chartH     = 220
	chartLeft  = 48
	chartRight = 628
	chartTop   = 16
	chartBot   = 186
)

func newChart() htmlChart {
	return htmlChart{W: chartW, H: chartH, Left: chartLeft, Top: chartTop, Right: chartRight, Bot: chartBot}
}

// niceMax rounds v up to an axis maximum whose quarters are round numbers:
// 4 at least, then 1, 2, 4, 6, 8 or 12 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 4 {
		return 4
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 4, 6, 8, 12} {
		if v <= m*p {
			return m * p
		}
	}
	return 12 * p
}

func fmtNum(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

func (c *htmlChart) yTicks(max float64) {
	for i := 0; i <= 4; i++ {
		v := max * float64(i) / 4
		c.YTicks = append(c.YTicks, htmlTick{X: c.Left, Y: c.y(v, max), Label: fmtNum(v)})
	}
}

func (c *htmlChart) y(v, max float64) float64 {
	return round1(c.Bot - (c.Bot-c.Top)*v/max)
}

// x is the centre of slot i of n.
func (c *htmlChart) x(i, n int) float64 {
	slot := (c.Right - c.Left) / float64(n)
	return round1(c.Left + slot*(float64(i)+0.5))
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func (c *htmlChart) xTicks(labels []string) {
	n := len(labels)
	step := (n + 7) / 8 // at most eight labels
	if step < 1 {
		step = 1
	}
	for i := 0; i < n; i += step {
		c.XTicks = append(c.XTicks, htmlTick{X: c.x(i, n), Y: c.Bot + 16, Label: labels[i]})
	}
}

func buildTrend(nights []Night) *htmlTrend {
	n := len(nights)
	t := &htmlTrend{Nights: n, Live: newChart(), TimeToDead: newChart()}
	if n == 0 {
		t.Live.Empty, t.TimeToDead.Empty = true, true
		return t
	}
	t.First = nights[0].Date.UTC().Format("2006-01-02")
	t.Last = nights[n-1].Date.UTC().Format("2006-01-02")
	labels := make([]string, n)
	days := make([]string, n)
	maxOpen, maxDays := 0.0, 0.0
	for i, nt := range nights {
		labels[i] = nt.Date.UTC().Format("01-02")
		days[i] = nt.Date.UTC().Format("2006-01-02")
		maxOpen = math.Max(maxOpen, float64(max(nt.Open, nt.OpenLive)))
		maxDays = math.Max(maxDays, nt.MeanTimeToDead.Hours()/24)
	}

	lc := &t.Live
	lc.Legend = []htmlLegend{
		{X: chartLeft, TextX: chartLeft + 14, Class: "s-live", Label: "open live"},
		{X: chartLeft + 110, TextX: chartLeft + 124, Class: "s-open", Label: "open (not dead)"},
	}
	ymax := niceMax(maxOpen)
	lc.yTicks(ymax)
	lc.xTicks(labels)
	var open, live htmlLine
	open.Class, live.Class = "s-open", "s-live"
	var po, pl []string
	for i, nt := range nights {
		x := lc.x(i, n)
		yo, yl := lc.y(float64(nt.Open), ymax), lc.y(float64(nt.OpenLive), ymax)
		po = append(po, fmtNum(x)+","+fmtNum(yo))
		pl = append(pl, fmtNum(x)+","+fmtNum(yl))
		open.Dots = append(open.Dots, htmlDot{X: x, Y: yo, Label: days[i] + ": " + strconv.Itoa(nt.Open) + " open"})
		live.Dots = append(live.Dots, htmlDot{X: x, Y: yl, Label: days[i] + ": " + strconv.Itoa(nt.OpenLive) + " open live"})
	}
	open.Points, live.Points = strings.Join(po, " "), strings.Join(pl, " ")
	lc.Lines = []htmlLine{open, live}

	dc := &t.TimeToDead
	dmax := niceMax(maxDays)
	dc.yTicks(dmax)
	dc.xTicks(labels)
	slot := (dc.Right - dc.Left) / float64(n)
	bw := round1(math.Max(1, slot*0.7))
	for i, nt := range nights {
		d := nt.MeanTimeToDead.Hours() / 24
		if d <= 0 {
			continue
		}
		y := dc.y(d, dmax)
		dc.Bars = append(dc.Bars, htmlBar{X: round1(dc.x(i, n) - bw/2), Y: y, W: bw, H: round1(dc.Bot - y),
			Label: days[i] + ": " + fmtNum(d) + " days from first seen to dead"})
	}
	if len(dc.Bars) == 0 {
		dc.Empty = true
	}
	return t
}
