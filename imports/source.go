package imports

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// Row is one row of a file: its number as the spreadsheet shows it (the header is row
// 1) and its cells, as many as the header has.
type Row struct {
	Number int
	Cells  []string
	// Extra holds the non-empty cells beyond the header's columns, a sign of a
	// misplaced separator.
	Extra int
}

// Source reads a file's rows in order, one at a time, so that a file of any size is
// read in constant memory.
type Source interface {
	Header() []string
	// Next returns the next row that is not blank, or io.EOF after the last.
	Next() (Row, error)
	Close() error
}

// ErrNoHeader is returned for a file whose first row is empty.
var ErrNoHeader = errors.New("the first row must hold the columns' titles")

// Open opens the CSV (.csv, .txt) or XLSX file at path; sheet names an XLSX sheet
// ("" for the first). It returns an error naming what is wrong with the file.
func Open(path, sheet string) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	src, err := OpenReader(f, filepath.Base(path), sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &closing{Source: src, f: f}, nil
}

type closing struct {
	Source
	f *os.File
}

func (c *closing) Close() error { return errors.Join(c.Source.Close(), c.f.Close()) }

// OpenReader reads a file named name (its extension tells the format) from r.
func OpenReader(r io.Reader, name, sheet string) (Source, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return openCSV(r)
	case ".xlsx":
		return openXLSX(r, sheet)
	}
	return nil, fmt.Errorf("%s: not a CSV (.csv) or Excel (.xlsx) file", name)
}

// csvSource reads a CSV file in UTF-8 (with or without a byte-order mark) or, when
// its first bytes are not UTF-8, Windows-1252, as Excel saves it on Windows.
type csvSource struct {
	r      *csv.Reader
	header []string
	// row is the spreadsheet's number of the last record; end is the file line it
	// ended on. Blank lines, which the CSV reader skips, are rows all the same.
	row, end int
}

func openCSV(in io.Reader) (Source, error) {
	br := bufio.NewReaderSize(in, 64<<10)
	peek, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	var r io.Reader = br
	switch {
	case bytes.HasPrefix(peek, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case !utf8.Valid(trimPartialRune(peek)):
		r = charmap.Windows1252.NewDecoder().Reader(br)
	}
	first := peek
	if i := bytes.IndexByte(peek, '\n'); i >= 0 {
		first = peek[:i]
	}
	cr := csv.NewReader(r)
	cr.Comma = separator(first)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	s := &csvSource{r: cr}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, ErrNoHeader
	}
	if err != nil {
		return nil, fmt.Errorf("row 1: %w", err)
	}
	s.row, s.end = 1, s.lastLine(header)
	s.header = trimHeader(header)
	if len(s.header) == 0 {
		return nil, ErrNoHeader
	}
	return s, nil
}

// trimPartialRune drops a rune cut by the end of a peeked buffer.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if r, _ := utf8.DecodeLastRune(b); r != utf8.RuneError {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

// separator is the one of ";", "," and tab the header line uses most.
func separator(line []byte) rune {
	best, count := ';', -1
	for _, c := range []rune{';', ',', '\t'} {
		if n := bytes.Count(line, []byte(string(c))); n > count {
			best, count = c, n
		}
	}
	return best
}

// trimHeader trims the titles and drops empty titles at the end.
func trimHeader(h []string) []string {
	out := make([]string, len(h))
	for i, t := range h {
		out[i] = strings.TrimSpace(t)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func (s *csvSource) Header() []string { return s.header }

func (s *csvSource) Next() (Row, error) {
	for {
		rec, err := s.r.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Row{}, fmt.Errorf("row %d: %w", s.row+1, err)
			}
			return Row{}, err
		}
		start, _ := s.r.FieldPos(0)
		s.row += 1 + max(0, start-s.end-1)
		s.end = s.lastLine(rec)
		if row, blank := fit(s.row, rec, len(s.header)); !blank {
			return row, nil
		}
	}
}

// lastLine is the file line on which the record just read ends.
func (s *csvSource) lastLine(rec []string) int {
	if len(rec) == 0 {
		return s.end
	}
	line, _ := s.r.FieldPos(len(rec) - 1)
	return line + strings.Count(rec[len(rec)-1], "\n")
}

func (s *csvSource) Close() error { return nil }

// fit makes a row of exactly n cells, counting the non-empty cells beyond them; blank
// is true for a row with nothing in it.
func fit(number int, cells []string, n int) (Row, bool) {
	row := Row{Number: number, Cells: make([]string, n)}
	blank := true
	for i, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		blank = false
		if i < n {
			row.Cells[i] = c
		} else {
			row.Extra++
		}
	}
	return row, blank
}

// xlsxSource reads a sheet with excelize's row iterator, which streams the sheet.
type xlsxSource struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	line   int
}

func openXLSX(r io.Reader, sheet string) (Source, error) {
	// Raw values: a date cell arrives as its serial number, which the date reader
	// takes, instead of a text formatted by the cell's style.
	f, err := excelize.OpenReader(r, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("not a readable Excel file: %w", err)
	}
	sheets := f.GetSheetList()
	if sheet == "" && len(sheets) > 0 {
		sheet = sheets[0]
	}
	idx, err := f.GetSheetIndex(sheet)
	if err != nil || idx < 0 {
		f.Close()
		return nil, fmt.Errorf("no sheet %q: the file has %s", sheet, strings.Join(sheets, ", "))
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &xlsxSource{f: f, rows: rows}
	for rows.Next() {
		s.line++
		cols, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			s.Close()
			return nil, err
		}
		if s.header = trimHeader(cols); len(s.header) > 0 {
			break
		}
	}
	if len(s.header) == 0 {
		s.Close()
		return nil, ErrNoHeader
	}
	return s, nil
}

func (s *xlsxSource) Header() []string { return s.header }

func (s *xlsxSource) Next() (Row, error) {
	for s.rows.Next() {
		s.line++
		cols, err := s.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return Row{}, fmt.Errorf("row %d: %w", s.line, err)
		}
		if row, blank := fit(s.line, cols, len(s.header)); !blank {
			return row, nil
		}
	}
	if err := s.rows.Error(); err != nil {
		return Row{}, err
	}
	return Row{}, io.EOF
}

func (s *xlsxSource) Close() error {
	return errors.Join(s.rows.Close(), s.f.Close())
}
