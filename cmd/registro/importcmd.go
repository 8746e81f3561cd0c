package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"registro/audit"
	"registro/cases"
	"registro/imports"
	"registro/vocabulary"
)

const importUsage = "usage: registro import -org ORG [-map MAP.json] [-save-map MAP.json] [-sheet NAME] [-synonyms FILE.json]\n" +
	"         [-report REPORT.xlsx] [-statistics] [-legal-sharing] [-consent TEXT] [-confirm-minors ROWS] [-commit] FILE"

// defaultConsentStatement is the consent recorded when the coordinator states nothing
// else: the survivors agreed to be recorded, and to nothing more.
const defaultConsentStatement = "Registro anterior de la organización: consintieron solo el registro del caso (sin estadísticas ni envío a abogados)."

// importCommand brings an organization's old registry (CSV or XLSX) in. Without
// -commit it is a dry run: it checks every row, prints the counts and writes the
// report, and stores nothing. The exit status is 0 whenever it ran to the end,
// whatever the rows held: their problems are in the counts and the report.
func importCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "organization code (required)")
	mapFile := fs.String("map", "", "column mapping (JSON); default: the organization's saved mapping, then the headers recognised")
	saveMap := fs.String("save-map", "", "write the mapping used to this file")
	sheet := fs.String("sheet", "", "the sheet of an XLSX file (default: the first)")
	synFile := fs.String("synonyms", "", "the organization's own synonyms (JSON), added to the built-in table")
	report := fs.String("report", "", "write the row-by-row report to this XLSX file")
	statsConsent := fs.Bool("statistics", false, "the survivors agreed to be counted in statistics")
	legalConsent := fs.Bool("legal-sharing", false, "the survivors agreed to their cases being shared with lawyers")
	statement := fs.String("consent", defaultConsentStatement, "what the survivors agreed to, in the coordinator's words")
	minors := fs.String("confirm-minors", "", "rows about someone under 18 to import anyway, comma-separated (e.g. 8,13)")
	commit := fs.Bool("commit", false, "import the ready rows (without it: a dry run)")
	lang := fs.String("lang", "es", "language of the report: es or en")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *org == "" || fs.NArg() != 1 || (*lang != "es" && *lang != "en") {
		return errors.New(importUsage)
	}
	confirmed, err := parseRows(*minors)
	if err != nil {
		return err
	}
	path := fs.Arg(0)
	a, o, err := openOrg(ctx, getenv, *org)
	if err != nil {
		return err
	}
	defer a.close()
	syn, err := loadSynonyms(a.cases.Vocabulary(), *synFile)
	if err != nil {
		return err
	}
	src, err := imports.Open(path, *sheet)
	if err != nil {
		return err
	}
	defer src.Close()
	mappings := imports.NewMappings(a.db.Database)
	m, err := resolveMapping(ctx, mappings, o.Code, *mapFile, src.Header())
	if err != nil {
		return err
	}
	if err := m.Check(src.Header()); err != nil {
		return fmt.Errorf("mapping: %w", err)
	}
	if *saveMap != "" {
		if err := writeMapping(*saveMap, m); err != nil {
			return err
		}
	}
	total, err := countRows(path, *sheet)
	if err != nil {
		return err
	}
	opt := imports.Options{
		Actor:   cases.Actor{UserID: "cli", Username: "registro import", Org: o.Code, Role: "admin", Client: "local"},
		File:    filepath.Base(path),
		Mapping: m,
		Consent: imports.Consent{Statistics: *statsConsent, LegalSharing: *legalConsent, Statement: *statement},
		Commit:  *commit,
		Minors:  confirmed,
		Batch:   uuid.NewString(),
		Progress: func(n imports.Counts) {
			fmt.Fprintf(stderr, "\r%s", progressBar(n.Rows, total))
		},
	}
	var out *os.File
	if *report != "" {
		if out, err = os.Create(*report); err != nil {
			return err
		}
		defer out.Close()
		if opt.Report, err = imports.NewReport(out, src.Header(), *lang, a.cases.Vocabulary()); err != nil {
			return err
		}
	}
	conv := imports.NewConverter(a.cases.Vocabulary(), syn, func() time.Time { return time.Now().UTC() })
	started := time.Now()
	n, err := imports.Run(ctx, a.cases, src, conv, opt)
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	if opt.Report != nil {
		if err := opt.Report.Close(); err != nil {
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	if *commit {
		if err := mappings.Save(ctx, o.Code, m); err != nil {
			return err
		}
		if _, err := a.audit.Append(ctx, audit.Entry{Org: o.Code, ActorName: "cli", Action: "import.run",
			Object: opt.Batch, Outcome: "ok", Detail: n.LogDetail(opt.File)}); err != nil {
			return err
		}
	}
	printCounts(stdout, n, *commit, time.Since(started))
	if *report != "" {
		fmt.Fprintf(stdout, "Report: %s\n", *report)
	}
	return nil
}

// printCounts tells the outcome of a run.
func printCounts(w io.Writer, n imports.Counts, commit bool, took time.Duration) {
	if commit {
		fmt.Fprintf(w, "Imported %d of %d rows in %s.\n", n.Imported, n.Rows, took.Round(time.Second))
	} else {
		fmt.Fprintf(w, "Dry run over %d rows (nothing was stored): %d ready to import.\n", n.Rows, n.Ready)
	}
	fmt.Fprintf(w, "  with problems (not imported): %d\n", n.Problems)
	fmt.Fprintf(w, "  repeating an earlier row of the file: %d\n", n.Duplicates)
	fmt.Fprintf(w, "  imported before: %d\n", n.Earlier)
	fmt.Fprintf(w, "  about someone under 18, waiting for -confirm-minors: %d\n", n.Minors)
	if n.Erased > 0 {
		fmt.Fprintf(w, "  imported before and erased since (never imported again): %d\n", n.Erased)
	}
}

// progressBar draws done of total rows as a bar ("" total: a count only).
func progressBar(done, total int) string {
	if total <= 0 {
		return fmt.Sprintf("%d rows", done)
	}
	const width = 30
	full := min(width, done*width/total)
	return fmt.Sprintf("[%s%s] %d/%d rows", strings.Repeat("#", full), strings.Repeat(".", width-full), done, total)
}

// countRows reads the file once for the progress bar's total.
func countRows(path, sheet string) (int, error) {
	src, err := imports.Open(path, sheet)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	n := 0
	for {
		_, err := src.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		n++
	}
}

// parseRows reads "8, 13" as row numbers.
func parseRows(s string) ([]int, error) {
	var rows []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 2 {
			return nil, fmt.Errorf("-confirm-minors: %q is not a row number of the file (the header is row 1)", f)
		}
		rows = append(rows, n)
	}
	return rows, nil
}

// resolveMapping is the mapping file when given; else the organization's saved
// mapping for the headers it knows, and the recognised names for the rest.
func resolveMapping(ctx context.Context, saved *imports.Mappings, org, file string, header []string) (imports.Mapping, error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return imports.Mapping{}, err
		}
		defer f.Close()
		m, err := imports.ReadMapping(f)
		if err != nil {
			return imports.Mapping{}, fmt.Errorf("mapping file %s: %w", file, err)
		}
		return m, nil
	}
	prior, err := saved.Load(ctx, org)
	if err != nil {
		return imports.Mapping{}, err
	}
	return imports.Guess(header).With(prior, header), nil
}

func writeMapping(path string, m imports.Mapping) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := m.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loadSynonyms is the built-in synonym table, with the organization's file if any.
func loadSynonyms(v *vocabulary.Vocabulary, path string) (*vocabulary.Synonyms, error) {
	if path == "" {
		return vocabulary.BaselineSynonyms(v)
	}
	return vocabulary.LoadSynonyms(v, path)
}
