package stats

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// bom starts a CSV file so that Excel reads it as UTF-8 and shows the accents.
const bom = "\uFEFF"

// withReasons reports whether any hidden row carries its reason (coordinators only).
func (r *Report) withReasons() bool {
	for _, rows := range [][]Row{r.Cells, r.Totals} {
		for _, row := range rows {
			if row.Reason != "" {
				return true
			}
		}
	}
	return false
}

// header is the table's column names in the report's language.
func (r *Report) header() []string {
	h := []string{}
	if len(r.Dimensions) == 0 {
		h = append(h, "") // the grand total's label column
	}
	for _, d := range r.Dimensions {
		h = append(h, d.Label)
	}
	h = append(h, text(r.Lang, "incidents"), text(r.Lang, "survivors"))
	if r.withReasons() {
		h = append(h, text(r.Lang, "reason"))
	}
	return h
}

// records are the report's rows as text: cells, then totals; a hidden number is
// written as the word for hidden (with the reason beside it for coordinators).
func (r *Report) records() [][]string {
	reasons := r.withReasons()
	var out [][]string
	for _, rows := range [][]Row{r.Cells, r.Totals} {
		for _, row := range rows {
			rec := []string{}
			if len(row.Key) == 0 {
				rec = append(rec, text(r.Lang, "total"))
			}
			for _, v := range row.Key {
				rec = append(rec, v.Label)
			}
			if row.Suppressed {
				rec = append(rec, text(r.Lang, "suppressed"), text(r.Lang, "suppressed"))
			} else {
				rec = append(rec, strconv.Itoa(*row.Incidents), strconv.Itoa(*row.Survivors))
			}
			if reasons {
				rec = append(rec, ReasonText(row.Reason, r.Threshold, r.Lang))
			}
			out = append(out, rec)
		}
	}
	return out
}

// preamble is the lines above the table: title, organization, period and version,
// the internal mark for exact numbers, and the note.
func (r *Report) preamble() [][]string {
	title := []string{text(r.Lang, "title"), r.Org, text(r.Lang, "period") + ": " + r.Label}
	if r.Release != nil {
		title = append(title, text(r.Lang, "version")+" "+strconv.Itoa(r.Release.Version))
	}
	lines := [][]string{title}
	if r.Internal {
		lines = append(lines, []string{strings.ToUpper(text(r.Lang, "internal"))})
	}
	return append(lines, []string{r.Note}, []string{})
}

// WriteCSV writes the report as CSV (UTF-8 with a byte-order mark): the preamble, a
// blank line, then the table.
func (r *Report) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return fmt.Errorf("stats: write CSV: %w", err)
	}
	cw := csv.NewWriter(w)
	lines := append(r.preamble(), r.header())
	lines = append(lines, r.records()...)
	if err := cw.WriteAll(lines); err != nil {
		return fmt.Errorf("stats: write CSV: %w", err)
	}
	return nil
}

// WriteXLSX writes the report as one spreadsheet: the same lines as the CSV, numbers
// stored as numbers.
func (r *Report) WriteXLSX(w io.Writer) error {
	return writeWorkbook(w, r.Lang, nil, []*Report{r})
}

// WriteReleaseXLSX writes every table of a release as one workbook: a first sheet
// with the notes and the method, then one sheet per table.
func WriteReleaseXLSX(w io.Writer, lang string, tables []*Report) error {
	if len(tables) == 0 {
		return fmt.Errorf("stats: write XLSX: no table")
	}
	first := tables[0]
	notes := [][]string{
		{text(lang, "title"), first.Org},
		{text(lang, "period"), first.Label},
	}
	if first.Release != nil {
		notes = append(notes, []string{text(lang, "version"), strconv.Itoa(first.Release.Version)},
			[]string{"", first.Release.Published.Format("2006-01-02")})
	}
	notes = append(notes, []string{}, []string{first.Note}, []string{fmt.Sprintf(text(lang, "method"), first.Threshold)})
	return writeWorkbook(w, lang, notes, tables)
}

// writeWorkbook writes an optional notes sheet, then one sheet per report.
func writeWorkbook(w io.Writer, lang string, notes [][]string, tables []*Report) error {
	f := excelize.NewFile()
	defer f.Close()
	used := map[string]bool{}
	sheetName := func(r *Report) string {
		var parts []string
		for _, d := range r.Dimensions {
			parts = append(parts, d.Label)
		}
		name := strings.Join(parts, " × ")
		if name == "" {
			name = text(lang, "total")
		}
		if rs := []rune(name); len(rs) > 28 {
			name = string(rs[:28])
		}
		for base, i := name, 2; used[name]; i++ {
			name = fmt.Sprintf("%s %d", base, i)
		}
		used[name] = true
		return name
	}
	var sheets []string
	if notes != nil {
		sheets = append(sheets, []string{"Notas", "Notes"}[langIndex(lang)])
		used[sheets[0]] = true
	}
	for _, r := range tables {
		sheets = append(sheets, sheetName(r))
	}
	if err := f.SetSheetName("Sheet1", sheets[0]); err != nil {
		return fmt.Errorf("stats: write XLSX: %w", err)
	}
	for _, s := range sheets[1:] {
		if _, err := f.NewSheet(s); err != nil {
			return fmt.Errorf("stats: write XLSX: %w", err)
		}
	}
	write := func(sheet string, rows [][]any) error {
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &row); err != nil {
				return fmt.Errorf("stats: write XLSX: %w", err)
			}
		}
		return nil
	}
	i := 0
	if notes != nil {
		var rows [][]any
		for _, n := range notes {
			rows = append(rows, toAny(n))
		}
		if err := write(sheets[0], rows); err != nil {
			return err
		}
		i = 1
	}
	for _, r := range tables {
		var rows [][]any
		for _, l := range append(r.preamble(), r.header()) {
			rows = append(rows, toAny(l))
		}
		first := max(len(r.Dimensions), 1)
		for _, rec := range r.records() {
			row := toAny(rec)
			for j := first; j < first+2; j++ {
				if n, err := strconv.Atoi(rec[j]); err == nil {
					row[j] = n
				}
			}
			rows = append(rows, row)
		}
		if err := write(sheets[i], rows); err != nil {
			return err
		}
		i++
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("stats: write XLSX: %w", err)
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
