package imports

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

func readAll(tb testing.TB, src Source) []Row {
	tb.Helper()
	var rows []Row
	for {
		r, err := src.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			tb.Fatal(err)
		}
		rows = append(rows, r)
	}
}

func TestCSVVariants(t *testing.T) {
	utf := "Fecha;Distrito;Relato\r\n15/03/2021;Rímac;\"Dijo \"\"no\"\" y se fue\nal rato\"\r\n\r\n2021;SJL;\r\n"
	win, err := charmap.Windows1252.NewEncoder().String(strings.ReplaceAll(utf, ";", ","))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"UTF-8 ;":        utf,
		"UTF-8 with BOM": "\xef\xbb\xbf" + utf,
		"Windows-1252 ,": win,
		"tab":            strings.ReplaceAll(utf, ";", "\t"),
	} {
		src, err := OpenReader(strings.NewReader(body), "x.csv", "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff([]string{"Fecha", "Distrito", "Relato"}, src.Header()); diff != "" {
			t.Errorf("%s: header (-want +got):\n%s", name, diff)
		}
		rows := readAll(t, src)
		// The blank line is skipped; row numbers stay the spreadsheet's.
		if len(rows) != 2 || rows[0].Number != 2 || rows[1].Number != 4 || rows[0].Cells[1] != "Rímac" ||
			rows[0].Cells[2] != "Dijo \"no\" y se fue\nal rato" {
			t.Errorf("%s: rows %+v", name, rows)
		}
	}
}

func TestCSVRaggedRows(t *testing.T) {
	src, err := OpenReader(strings.NewReader("a;b;c\n1;2\n1;2;3;4\n"), "x.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, src)
	if len(rows) != 2 || len(rows[0].Cells) != 3 || rows[0].Extra != 0 || rows[1].Extra != 1 {
		t.Errorf("rows %+v", rows)
	}
}

func TestOpenRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ name, body, want string }{
		"ErrFormat":  {"x.pdf", "%PDF", "not a CSV"},
		"ErrNoTitle": {"x.csv", "\n\n", "first row"},
		"ErrXLSX":    {"x.xlsx", "not a zip", "not a readable Excel file"},
	} {
		if _, err := OpenReader(strings.NewReader(tc.body), tc.name, ""); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", name, err, tc.want)
		}
	}
}

// TestXLSXAsCSV: the sample saved as a workbook, its serial dates as numbers, reads
// and converts as the CSV does; a sheet that does not exist is named.
func TestXLSXAsCSV(t *testing.T) {
	csvSrc, err := Open("testdata/registro-antiguo.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	header := csvSrc.Header()
	rows := readAll(t, csvSrc)
	csvSrc.Close()
	x := excelize.NewFile()
	_ = x.SetSheetName("Sheet1", "Casos 2021")
	_, _ = x.NewSheet("Otra")
	put := func(row int, cells []string) {
		for i, c := range cells {
			ref, _ := excelize.CoordinatesToCellName(i+1, row)
			var v any = c
			if n, err := strconv.Atoi(c); err == nil && len(c) == 5 {
				v = n
			}
			if err := x.SetCellValue("Casos 2021", ref, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(1, header)
	for _, r := range rows {
		put(r.Number, r.Cells)
	}
	path := filepath.Join(t.TempDir(), "registro.xlsx")
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, "Casos 2020"); err == nil || !strings.Contains(err.Error(), "Casos 2021, Otra") {
		t.Errorf("an unknown sheet: %v", err)
	}
	xsrc, err := Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer xsrc.Close()
	got := convertAll(t, xsrc)
	csvSrc, _ = Open("testdata/registro-antiguo.csv", "")
	defer csvSrc.Close()
	want := convertAll(t, csvSrc)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("XLSX converts differently from CSV (-csv +xlsx):\n%s", diff)
	}
}

func TestGuessAndCheck(t *testing.T) {
	header := []string{"N°", "Fecha", "Código", "Distrito", "Lugar", "Agresor", "Tipo de violencia", "Edad", "Nacionalidad", "Identidad", "Relato", "¿Denunció?", "Derivación", "Estado", "Comentario"}
	m := Guess(header)
	want := map[string]Field{"N°": FieldIgnore, "Fecha": FieldDate, "Código": FieldUIC, "Distrito": FieldDistrict, "Lugar": FieldPlace,
		"Agresor": FieldPerpetrators, "Tipo de violencia": FieldViolations, "Edad": FieldAge, "Nacionalidad": FieldNationality,
		"Identidad": FieldGender, "Relato": FieldNarrative, "¿Denunció?": FieldReportedTo, "Derivación": FieldReferrals,
		"Estado": FieldStatus, "Comentario": FieldIgnore}
	if diff := cmp.Diff(want, m.Columns); diff != "" {
		t.Errorf("Guess (-want +got):\n%s", diff)
	}
	if err := m.Check(header); err != nil {
		t.Errorf("Check of the guess: %v", err)
	}
	english := Guess([]string{"Date", "District", "Perpetrator", "Narrative"})
	if english.Columns["Date"] != FieldDate || english.Columns["Narrative"] != FieldNarrative {
		t.Errorf("English titles: %v", english.Columns)
	}
	for name, tc := range map[string]struct {
		m    Mapping
		want string
	}{
		"ErrUnmapped": {Mapping{Columns: map[string]Field{"Fecha": FieldDate}}, `column "Lugar" is not mapped`},
		"ErrTwice":    {Mapping{Columns: map[string]Field{"Fecha": FieldDate, "Lugar": FieldDate}}, `both hold date`},
		"ErrNoDate":   {Mapping{Columns: map[string]Field{"Fecha": FieldIgnore, "Lugar": FieldPlace}}, "no column holds the date"},
		"ErrField":    {Mapping{Columns: map[string]Field{"Fecha": FieldDate, "Lugar": "lugar"}}, `unknown field "lugar"`},
		"ErrDefault":  {Mapping{Columns: map[string]Field{"Fecha": FieldDate, "Lugar": FieldPlace}, Defaults: map[Field]string{FieldNarrative: "x"}}, "default value"},
	} {
		if err := tc.m.Check([]string{"Fecha", "Lugar"}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", name, err, tc.want)
		}
	}
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadMapping(&buf)
	if err != nil || back.Digest() != m.Digest() {
		t.Errorf("a mapping written and read back: %v, digest %s != %s", err, back.Digest(), m.Digest())
	}
	other := Guess(header)
	other.Columns["Relato"] = FieldIgnore
	if other.Digest() == m.Digest() {
		t.Error("two mappings with the same digest")
	}
}

func TestReport(t *testing.T) {
	conv := mustConverter(t)
	header := []string{"Fecha", "Distrito", "Lugar", "Agresor", "Tipo de violencia"}
	m := Guess(header)
	var buf bytes.Buffer
	rw, err := NewReport(&buf, header, "es", conv.v)
	if err != nil {
		t.Fatal(err)
	}
	good := Row{Number: 2, Cells: []string{"2021", "SJL", "calle", "PNP", "golpes"}}
	bad := Row{Number: 3, Cells: []string{"30/02/2021", "SJL", "calle", "PNP", "golpes"}}
	if err := rw.Add(good, conv.Convert(header, m, good), StatusReady); err != nil {
		t.Fatal(err)
	}
	if err := rw.Add(bad, conv.Convert(header, m, bad), StatusProblems); err != nil {
		t.Fatal(err)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("Filas")
	if err != nil || len(rows) != 3 {
		t.Fatalf("rows %v, %v", rows, err)
	}
	if rows[0][5] != "Estado en Registro" || rows[1][5] != "lista" || !strings.Contains(rows[1][7], "Distrito: San Juan de Lurigancho") ||
		!strings.Contains(rows[1][7], "Agresor: Policía") {
		t.Errorf("the ready row: %q", rows[1])
	}
	if rows[2][0] != "30/02/2021" || !strings.Contains(rows[2][6], "Fecha: 30/02/2021 — Esa fecha no existe en el calendario.") {
		t.Errorf("the row with a problem: %q", rows[2])
	}
	style, _ := x.GetCellStyle("Filas", "A3")
	plain, _ := x.GetCellStyle("Filas", "B3")
	if style == plain {
		t.Error("the cell with the problem is not marked")
	}
}

// TestSealedFile: an attacker who copies the temporary file reads nothing of it.
func TestSealedFile(t *testing.T) {
	dir := t.TempDir()
	s, w, err := NewSealed(dir)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.Repeat("Relato: la golpearon en la comisaría. ", 100)
	if _, err := io.WriteString(w, secret); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	raw, _ := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if len(raw) != len(secret) || bytes.Contains(raw, []byte("comisar")) {
		t.Fatalf("the file holds %d bytes, clear text %v", len(raw), bytes.Contains(raw, []byte("comisar")))
	}
	r, err := s.Open()
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(r)
	r.Close()
	if string(back) != secret {
		t.Error("the sealed file does not read back")
	}
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Error("Remove left the file")
	}
}
