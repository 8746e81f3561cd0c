package stats

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// header is the table's column names in the report's language.
func (r *Report) header() []string {
	h := []string{}
	if len(r.Dimensions) == 0 {
		h = append(h, "") // the grand total's label column
	}
	for _, d := range r.Dimensions {
		h = append(h, d.Label)
	}
	return append(h, text(r.Lang, "incidents"), text(r.Lang, "survivors"), text(r.Lang, "reason"))
}

// records are the report's rows as text: cells, then totals; a hidden number is
// written as the word for hidden, with the reason beside it.
func (r *Report) records() [][]string {
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
				rec = append(rec, text(r.Lang, "suppressed"), text(r.Lang, "suppressed"), text(r.Lang, row.Reason))
			} else {
				rec = append(rec, strconv.Itoa(*row.Incidents), strconv.Itoa(*row.Survivors), "")
			}
			out = append(out, rec)
		}
	}
	return out
}

// WriteCSV writes the report as CSV: a line with the title, period and threshold, the
// note, a blank line, then the table.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	lines := [][]string{
		{text(r.Lang, "title"), r.Org, text(r.Lang, "period") + " " + r.Label, fmt.Sprintf("%s = %d", text(r.Lang, "threshold"), r.Threshold)},
		{r.Note},
		{},
		r.header(),
	}
	lines = append(lines, r.records()...)
	if err := cw.WriteAll(lines); err != nil {
		return fmt.Errorf("stats: write CSV: %w", err)
	}
	return nil
}

// WriteXLSX writes the report as one spreadsheet: the same lines as the CSV, numbers
// stored as numbers.
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := text(r.Lang, "title")[len("Registro: "):]
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("stats: write XLSX: %w", err)
	}
	rows := [][]any{
		{text(r.Lang, "title"), r.Org, text(r.Lang, "period") + " " + r.Label, fmt.Sprintf("%s = %d", text(r.Lang, "threshold"), r.Threshold)},
		{r.Note},
		{},
		toAny(r.header()),
	}
	for _, rec := range r.records() {
		row := toAny(rec)
		first := max(len(r.Dimensions), 1)
		for i := first; i < first+2; i++ {
			if n, err := strconv.Atoi(rec[i]); err == nil {
				row[i] = n
			}
		}
		rows = append(rows, row)
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return fmt.Errorf("stats: write XLSX: %w", err)
		}
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
