package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"registro/cases"
	"registro/imports"
)

const sampleRegistry = "../../imports/testdata/registro-antiguo.csv"

// importedCount counts org's live cases.
func importedCount(tb testing.TB, a *app, org string) int {
	tb.Helper()
	all, err := a.cases.ListAll(context.Background(), cases.ListQuery{Limit: cases.MaxPage,
		Sources: []cases.Source{{Kind: "org", Org: org}}, Allow: func(cases.Summary) bool { return true }})
	if err != nil {
		tb.Fatal(err)
	}
	return len(all)
}

// withOrg opens the embedded store of a test with organization LIM in it.
func withOrg(tb testing.TB) func(string) string {
	tb.Helper()
	a, _, getenv := openEmbedded(tb)
	if _, err := a.accounts.CreateOrg(context.Background(), "LIM", "Colectivo Lima"); err != nil {
		tb.Fatal(err)
	}
	a.close()
	return getenv
}

// TestImportCommand runs the dry run, the import, and the same file again as CSV and
// as XLSX: the dry run stores nothing, the import stores the ready rows with their
// source, and the second and third runs create nothing.
func TestImportCommand(t *testing.T) {
	ctx := context.Background()
	getenv := withOrg(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "informe.xlsx")
	var out strings.Builder
	args := []string{"import", "-org", "LIM", "-report", report, sampleRegistry}
	if err := run(ctx, args, getenv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Dry run over 40 rows (nothing was stored)") {
		t.Errorf("dry run said:\n%s", out.String())
	}
	x, err := excelize.OpenFile(report)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	rows, _ := x.GetRows(x.GetSheetName(0))
	if len(rows) != 41 {
		t.Errorf("the report has %d rows, want the header and 40", len(rows))
	}
	x.Close()
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if n := importedCount(t, a, "LIM"); n != 0 {
		t.Fatalf("the dry run stored %d cases", n)
	}
	a.close()

	out.Reset()
	if err := run(ctx, append([]string{"import", "-org", "LIM", "-commit"}, sampleRegistry), getenv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var imported, total int
	if _, err := fmt.Sscanf(out.String(), "Imported %d of %d rows", &imported, &total); err != nil || total != 40 || imported == 0 {
		t.Fatalf("import said:\n%s", out.String())
	}
	a, err = open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if n := importedCount(t, a, "LIM"); n != imported {
		t.Errorf("the organization has %d cases, the command said %d", n, imported)
	}
	a.close()

	// The same rows again: as the same CSV, then as an XLSX made from it.
	xlsx := filepath.Join(dir, "registro.xlsx")
	csvToXLSX(t, sampleRegistry, xlsx)
	for _, file := range []string{sampleRegistry, xlsx} {
		out.Reset()
		if err := run(ctx, []string{"import", "-org", "LIM", "-commit", file}, getenv, nil, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "Imported 0 of 40 rows") || !strings.Contains(out.String(), fmt.Sprintf("imported before: %d", imported)) {
			t.Errorf("%s again said:\n%s", filepath.Base(file), out.String())
		}
	}
	a, err = open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if n := importedCount(t, a, "LIM"); n != imported {
		t.Errorf("after importing again the organization has %d cases, want %d", n, imported)
	}
}

// TestImportResumes: an import cut off after its first batch, then run again, stores
// every ready row exactly once.
func TestImportResumes(t *testing.T) {
	ctx := context.Background()
	getenv := withOrg(t)
	file := filepath.Join(t.TempDir(), "grande.csv")
	writeRegistry(t, file, 600, 7)
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	syn, err := loadSynonyms(a.cases.Vocabulary(), "")
	if err != nil {
		t.Fatal(err)
	}
	runOnce := func(ctx context.Context, commit bool, progress func(imports.Counts)) (imports.Counts, error) {
		src, err := imports.Open(file, "")
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		conv := imports.NewConverter(a.cases.Vocabulary(), syn, time.Now)
		return imports.Run(ctx, a.cases, src, conv, imports.Options{
			Actor: cases.Actor{UserID: "cli", Username: "registro import", Org: "LIM", Role: "admin"}, File: "grande.csv",
			Mapping: imports.Guess(src.Header()), Consent: imports.Consent{Statement: "Solo registro."},
			Commit: commit, Batch: "b", Progress: progress,
		})
	}
	dry, err := runOnce(ctx, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dry.Ready < 500 {
		t.Fatalf("the generated file has %d ready rows of 600: %+v", dry.Ready, dry)
	}
	cut, cancel := context.WithCancel(ctx)
	first, err := runOnce(cut, true, func(n imports.Counts) {
		if n.Imported > 0 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || first.Imported == 0 || first.Imported >= dry.Ready {
		t.Fatalf("the cut run: %+v, %v", first, err)
	}
	second, err := runOnce(ctx, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.Imported+second.Earlier != dry.Ready || second.Earlier < first.Imported {
		t.Errorf("the resumed run: %+v after the cut one %+v; want %d ready rows in all", second, first, dry.Ready)
	}
	if n := importedCount(t, a, "LIM"); n != dry.Ready {
		t.Errorf("the organization has %d cases, want %d", n, dry.Ready)
	}
}

// csvToXLSX writes the rows of a ";" CSV as an XLSX sheet, numbers as numbers (so the
// Excel serial dates arrive as a spreadsheet holds them).
func csvToXLSX(tb testing.TB, from, to string) {
	tb.Helper()
	src, err := imports.Open(from, "")
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	x := excelize.NewFile()
	defer x.Close()
	sheet := x.GetSheetName(0)
	put := func(row int, cells []string) {
		for i, c := range cells {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			var v any = c
			if num, err := strconv.Atoi(c); err == nil && len(c) == 5 {
				v = num // an Excel serial date, as a spreadsheet holds it
			}
			if err := x.SetCellValue(sheet, cell, v); err != nil {
				tb.Fatal(err)
			}
		}
	}
	put(1, src.Header())
	for {
		r, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		put(r.Number, r.Cells)
	}
	if err := x.SaveAs(to); err != nil {
		tb.Fatal(err)
	}
}

// writeRegistry writes n made-up rows in the sample's shape and words, about one in
// twelve with a problem, to path.
func writeRegistry(tb testing.TB, path string, n int, seed uint64) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := generateRegistry(f, n, seed); err != nil {
		tb.Fatal(err)
	}
}

// generateRegistry writes a registry of n rows as an organization keeps one.
func generateRegistry(w io.Writer, n int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	if _, err := fmt.Fprint(w, "N°;Fecha;Código;Distrito;Lugar;Agresor;Tipo de violencia;Edad;Nacionalidad;Identidad;Relato;¿Denunció?;Derivación;Estado\r\n"); err != nil {
		return err
	}
	letters := "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := 1; i <= n; i++ {
		code := ""
		for range 4 {
			code += string(letters[r.IntN(26)])
		}
		code += fmt.Sprintf("%02d%02d", 1+r.IntN(28), r.IntN(100))
		day, month, year := 1+r.IntN(28), 1+r.IntN(12), 2015+r.IntN(10)
		date := pick(fmt.Sprintf("%02d/%02d/%d", day, month, year), fmt.Sprintf("%d-%02d-%02d", year, month, day),
			fmt.Sprintf("%s %d", pick("enero", "marzo", "junio", "octubre"), year), fmt.Sprint(40000+r.IntN(5000)))
		age := pick("19", "23", "31", "35", "45", "treinta", "veinte", "")
		if r.IntN(12) == 0 {
			date = "30/02/2021" // a row with a problem
		}
		_, err := fmt.Fprintf(w, "%d;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s;%s\r\n", i, date, code,
			pick("SJL", "SMP", "VES", "Cercado de Lima", "Breña", "Rímac", "150115", "La Victoria", "Lince"),
			pick("calle", "hostal", "Bar", "vía pública", "parque", "hotel", "casa"),
			pick("policía", "PNP", "serenazgo", "cliente", "cliente / policía", "fiscalizador", "pareja"),
			pick("golpes", "robo", "extorsión", "violencia sexual", "insultos", "golpes, robo", "detención arbitraria"),
			age, pick("peruana", "venezolana", "VE", "Perú", "colombiana", ""), pick("mujer", "Mujer trans", "mujer cis", ""),
			fmt.Sprintf("Relato %d: %s", i, pick("la golpearon y le quitaron el dinero.", "la botaron de la zona.", "no quiso pagar.")),
			pick("No", "no", "Si - fiscalía", "sí, comisaría", ""), pick("legal", "salud", "ninguna", "legal y salud", ""),
			pick("abierto", "en seguimiento", "Cerrado - resuelto", ""))
		if err != nil {
			return err
		}
	}
	return nil
}
