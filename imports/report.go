package imports

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"registro/vocabulary"
)

// ReportWriter writes the report of a run as an XLSX workbook, one row per row of the
// file: its original cells, then its status, its problems and what its cells became.
// It streams, so a report of any size is written in constant memory.
type ReportWriter struct {
	w      io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	lang   string
	v      *vocabulary.Vocabulary
	header []string
	bad    int // the style of a cell with a problem
	row    int
}

// reportWords are the report's own texts.
var reportWords = map[string][2]string{
	"sheet":           {"Filas", "Rows"},
	"status":          {"Estado en Registro", "Status in Registro"},
	"problems":        {"Problemas", "Problems"},
	"becomes":         {"Se importa como", "Imported as"},
	"ready":           {"lista", "ready"},
	"problems_status": {"con problemas: no se importa", "with problems: not imported"},
	"duplicate":       {"repetida en el archivo", "repeated in the file"},
	"earlier":         {"importada antes", "imported before"},
	"minor":           {"menor de 18: espera su confirmación", "under 18: waiting for your confirmation"},
	"imported":        {"importada", "imported"},
	"erased":          {"importada antes y borrada: no vuelve", "imported before and erased: never again"},
	"default":         {"(valor por omisión)", "(default value)"},
}

func (r *ReportWriter) word(key string) string {
	w := reportWords[key]
	if r.lang == "en" {
		return w[1]
	}
	return w[0]
}

// NewReport starts a report for a file with header, in lang ("es" or "en"), labels
// from v. It returns excelize's error.
func NewReport(w io.Writer, header []string, lang string, v *vocabulary.Vocabulary) (*ReportWriter, error) {
	r := &ReportWriter{w: w, f: excelize.NewFile(), lang: lang, v: v, header: header}
	sheet := r.word("sheet")
	if err := r.f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	var err error
	if r.sw, err = r.f.NewStreamWriter(sheet); err != nil {
		return nil, err
	}
	if r.bad, err = r.f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FCE4D6"}}}); err != nil {
		return nil, err
	}
	bold, err := r.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	cells := make([]any, 0, len(header)+3)
	for _, h := range header {
		cells = append(cells, excelize.Cell{Value: h, StyleID: bold})
	}
	for _, k := range []string{"status", "problems", "becomes"} {
		cells = append(cells, excelize.Cell{Value: r.word(k), StyleID: bold})
	}
	r.row = 1
	return r, r.sw.SetRow("A1", cells)
}

// Add writes row with its result and status (StatusReady, StatusProblems, ...). Rows
// must come in the file's order.
func (r *ReportWriter) Add(row Row, res Result, status string) error {
	badCol := map[string]bool{}
	var problems []string
	for _, p := range res.Problems {
		badCol[p.Column] = true
		text := Message(p, r.lang)
		if p.Column != "" {
			text = fmt.Sprintf("%s: %s — %s", p.Column, p.Value, text)
		}
		problems = append(problems, text)
	}
	cells := make([]any, 0, len(r.header)+3)
	for i, h := range r.header {
		v := ""
		if i < len(row.Cells) {
			v = row.Cells[i]
		}
		c := excelize.Cell{Value: v}
		if badCol[h] {
			c.StyleID = r.bad
		}
		cells = append(cells, c)
	}
	st := r.word(status)
	if status == StatusProblems {
		st = r.word("problems_status")
	}
	statusCell := excelize.Cell{Value: st}
	if status == StatusProblems || status == StatusMinor {
		statusCell.StyleID = r.bad
	}
	cells = append(cells, statusCell, strings.Join(problems, "\n"), r.becomes(res))
	r.row++
	cell, err := excelize.CoordinatesToCellName(1, max(r.row, row.Number))
	if err != nil {
		return err
	}
	r.row = max(r.row, row.Number)
	return r.sw.SetRow(cell, cells)
}

// becomes says what each cell became, with the vocabulary's labels.
func (r *ReportWriter) becomes(res Result) string {
	var out []string
	for _, ch := range res.Changes {
		var labels []string
		for _, code := range ch.Codes {
			labels = append(labels, r.label(ch.Field, code))
		}
		text := fmt.Sprintf("%s: %s", ch.Column, strings.Join(labels, ", "))
		if ch.Default {
			text += " " + r.word("default")
		}
		out = append(out, text)
	}
	return strings.Join(out, "\n")
}

// listOf names the vocabulary list of a field's codes.
var listOf = map[Field]vocabulary.List{
	FieldDistrict: vocabulary.Districts, FieldPlace: vocabulary.Places, FieldPerpetrators: vocabulary.Perpetrators,
	FieldViolations: vocabulary.Violations, FieldAge: vocabulary.AgeBands, FieldGender: vocabulary.Genders,
	FieldNationality: vocabulary.Nationalities, FieldWorkSetting: vocabulary.WorkSettings,
	FieldReportedTo: vocabulary.ReportedTo, FieldReferrals: vocabulary.Referrals, FieldStatus: vocabulary.Statuses,
	FieldOutcome: vocabulary.Outcomes,
}

func (r *ReportWriter) label(f Field, code string) string {
	if f == FieldStatus {
		if l := r.v.Label(vocabulary.Statuses, code, r.lang); l != code {
			return l
		}
		return r.v.Label(vocabulary.Outcomes, code, r.lang)
	}
	if l, ok := listOf[f]; ok {
		return r.v.Label(l, code, r.lang)
	}
	return code
}

// Close finishes the workbook and writes it.
func (r *ReportWriter) Close() error {
	if err := r.sw.Flush(); err != nil {
		return err
	}
	if err := r.f.Write(r.w); err != nil {
		return err
	}
	return r.f.Close()
}
