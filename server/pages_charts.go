package server

import (
	"fmt"
	"html/template"
	"strings"
	"unicode/utf8"
)

// Charts are drawn on the server as small inline SVG (no script, no library), with
// presentation attributes only: the Content-Security-Policy forbids style attributes.
// The viewBox is 360 units wide, a phone's width, so text drawn at 14 units stays
// readable there and the chart grows with width="100%" on larger screens.

// chartBar is one bar: its label and counts, or hidden. A hidden bar has no counts at
// all (the report withholds them), so no value can reach the drawing.
type chartBar struct {
	Label                string
	Code                 string // the value's code: a quarter "2026-Q2" for the trend's axis
	Incidents, Survivors *int
	Hidden               bool
	Reason               string // "primary" or "complementary" when hidden, for coordinators only
}

// chartWords are the chart's words in the reader's language.
type chartWords struct {
	Hidden, Incidents, Survivors string
}

const (
	chartW     = 360
	chartTrack = 316 // longest bar; the rest holds its number
	// chartStub is the length of a hidden value's mark: short and the same for every
	// hidden value, so that its size says nothing about the number behind it.
	chartStub   = 18
	colIncident = "#6a1b6d"
	colSurvivor = "#b4569d"
	colInk      = "#1b1b1f"
)

// hatch defines the grey striped fill of hidden marks; id is unique on the page.
func hatch(id string) string {
	return `<defs><pattern id="` + id + `" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
		`<rect width="8" height="8" fill="#ebe8ef"/><path d="M0 0V8" stroke="#a9a3b4" stroke-width="3"/></pattern></defs>`
}

func svgOpen(b *strings.Builder, id, title string, height int) {
	fmt.Fprintf(b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s-t" font-size="14" fill="%s">`,
		id, chartW, height, id, colInk)
	fmt.Fprintf(b, `<title id="%s-t">%s</title>`, id, template.HTMLEscapeString(title))
}

// barChart draws horizontal bars, incidents above survivors, one row per bar with its
// label on a line of its own so long labels fit a phone.
func barChart(id, title string, bars []chartBar, w chartWords) template.HTML {
	maxV := 1
	for _, br := range bars {
		if br.Incidents != nil && *br.Incidents > maxV {
			maxV = *br.Incidents
		}
	}
	var rows strings.Builder
	y := 34
	for _, br := range bars {
		rows.WriteString(`<g>`)
		for _, line := range wrapLabel(br.Label, 44) {
			fmt.Fprintf(&rows, `<text x="0" y="%d">%s</text>`, y+13, template.HTMLEscapeString(line))
			y += 18
		}
		y += 2
		if br.Hidden || br.Incidents == nil || br.Survivors == nil {
			fmt.Fprintf(&rows, `<rect class="hidden-mark" y="%d" width="%d" height="30" fill="url(#%s-hatch)" stroke="%s" stroke-dasharray="3 2"/>`,
				y, chartStub, id, colInk)
			fmt.Fprintf(&rows, `<text x="%d" y="%d" font-weight="700" font-style="italic">%s</text>`,
				chartStub+6, y+20, template.HTMLEscapeString(w.Hidden))
		} else {
			for i, v := range []int{*br.Incidents, *br.Survivors} {
				col, by := colIncident, y+i*16
				if i == 1 {
					col = colSurvivor
				}
				bw := v * chartTrack / maxV
				fmt.Fprintf(&rows, `<rect y="%d" width="%d" height="14" fill="%s"/><text x="%d" y="%d">%d</text>`,
					by, bw, col, bw+4, by+12, v)
			}
		}
		rows.WriteString(`</g>`)
		y += 30 + 12
	}
	var b strings.Builder
	svgOpen(&b, id, title, y)
	b.WriteString(hatch(id + "-hatch"))
	fmt.Fprintf(&b, `<rect y="4" width="14" height="14" fill="%s"/><text x="20" y="16">%s</text>`,
		colIncident, template.HTMLEscapeString(w.Incidents))
	fmt.Fprintf(&b, `<rect x="170" y="4" width="14" height="14" fill="%s"/><text x="190" y="16">%s</text>`,
		colSurvivor, template.HTMLEscapeString(w.Survivors))
	b.WriteString(rows.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// trendChart draws incidents per quarter as vertical bars, oldest first. A quarter
// (the bar's code, "2026-Q2") is written on two lines, "Q2" over "2026". A hidden
// quarter is a short marked stub on the base line, labelled.
func trendChart(id, title string, bars []chartBar, w chartWords) template.HTML {
	const top, base = 26, 170
	maxV := 1
	for _, br := range bars {
		if br.Incidents != nil && *br.Incidents > maxV {
			maxV = *br.Incidents
		}
	}
	var b strings.Builder
	svgOpen(&b, id, title, 212)
	b.WriteString(hatch(id + "-hatch"))
	col := chartW / max(len(bars), 1)
	for i, br := range bars {
		cx := i*col + col/2
		b.WriteString(`<g text-anchor="middle">`)
		if br.Hidden || br.Incidents == nil {
			fmt.Fprintf(&b, `<rect class="hidden-mark" x="%d" y="%d" width="26" height="%d" fill="url(#%s-hatch)" stroke="%s" stroke-dasharray="3 2"/>`,
				cx-13, base-chartStub, chartStub, id, colInk)
			fmt.Fprintf(&b, `<text transform="rotate(-90 %d %d)" x="%d" y="%d" font-weight="700" font-style="italic" text-anchor="start">%s</text>`,
				cx, base-chartStub-6, cx, base-chartStub-1, template.HTMLEscapeString(w.Hidden))
		} else {
			h := *br.Incidents * (base - top) / maxV
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="26" height="%d" fill="%s"/><text x="%d" y="%d">%d</text>`,
				cx-13, base-h, h, colIncident, cx, base-h-5, *br.Incidents)
		}
		year, q, _ := strings.Cut(orDefault(br.Code, br.Label), "-")
		fmt.Fprintf(&b, `<text x="%d" y="188">%s</text><text x="%d" y="206">%s</text></g>`,
			cx, template.HTMLEscapeString(q), cx, template.HTMLEscapeString(year))
	}
	fmt.Fprintf(&b, `<path d="M0 %dH%d" stroke="%s"/></svg>`, base, chartW, colInk)
	return template.HTML(b.String())
}

// wrapLabel splits a label into at most two lines of about width characters, at
// spaces, ending the second with "…" when the label is longer still.
func wrapLabel(s string, width int) []string {
	if utf8.RuneCountInString(s) <= width {
		return []string{s}
	}
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	lines = append(lines, line)
	if len(lines) > 2 {
		lines = append(lines[:1], strings.Join(lines[1:], " "))
	}
	if r := []rune(lines[len(lines)-1]); len(r) > width {
		lines[len(lines)-1] = string(r[:width-1]) + "…"
	}
	return lines
}
