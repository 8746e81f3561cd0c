package imports

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"registro/cases"
	"registro/validation"
)

// ConsentTextVersion marks the consent of an imported case: it was not read from
// Registro's consent text but stated by the coordinator for the whole file.
const ConsentTextVersion = "registro-anterior"

// batchSize is how many rows are read, checked and written at once: enough for the
// workers to fill the store's group commits, few enough that memory stays flat.
const batchSize = 128

// Consent is what the survivors of a whole file agreed to when the old registry was
// kept, as the coordinator states it. Every imported case was agreed to be recorded;
// statistics and legal sharing only when she says so.
type Consent struct {
	Statistics   bool
	LegalSharing bool
	// Statement is her own words, kept with every case as the consent's source.
	Statement string
}

// Options describe one import of one file into one organization.
type Options struct {
	Actor cases.Actor
	// File is the file's name as recorded with each case (no directory).
	File    string
	Mapping Mapping
	Consent Consent
	// Commit writes the cases; without it the run only checks and reports.
	Commit bool
	// Minors are the rows about someone under 18 that the coordinator confirmed are
	// to be imported (the organization follows its own protocol for them).
	Minors []int
	// Batch names this run in each case's import record.
	Batch string
	// Workers write cases in parallel (default 8).
	Workers int
	// Report, when set, gets every row with its outcome.
	Report *ReportWriter
	// Progress, when set, is called after every batch of rows.
	Progress func(Counts)
	// Flagged, when set, is called with the number of every row about a minor that
	// waits for the coordinator's confirmation.
	Flagged func(row int)
}

// Counts are the outcome of a run, row by row.
type Counts struct {
	Rows int `json:"rows"`
	// Ready rows have no problem: a dry run would import them.
	Ready int `json:"ready"`
	// Problems rows have at least one problem and are not imported.
	Problems int `json:"problems"`
	// Duplicates repeat an earlier row of the same file.
	Duplicates int `json:"duplicates"`
	// Earlier rows were imported by an earlier run (or this one, interrupted).
	Earlier int `json:"earlier"`
	// Minors are about someone under 18 and wait for the coordinator's confirmation.
	Minors int `json:"minors"`
	// Imported cases were written by this run.
	Imported int `json:"imported"`
	// Erased rows were imported before and their cases erased since: never again.
	Erased int `json:"erased"`
}

// The statuses of a row in the report.
const (
	StatusReady     = "ready"
	StatusProblems  = "problems"
	StatusDuplicate = "duplicate"
	StatusEarlier   = "earlier"
	StatusMinor     = "minor"
	StatusImported  = "imported"
	StatusErased    = "erased"
)

// Store is what an import needs of the case store.
type Store interface {
	ImportKey(ctx context.Context, org, mapping string, content []string) (string, error)
	WasImported(ctx context.Context, key string) (bool, error)
	CheckInput(a cases.Actor, in cases.Input) error
	Import(ctx context.Context, a cases.Actor, in cases.Input, src cases.Imported, key string) (*cases.Case, bool, error)
}

// item is one row on its way through a batch.
type item struct {
	row    Row
	res    Result
	key    string
	status string
}

// Run reads every row of src, converts it, and with opt.Commit imports the rows that
// are ready, at most once each however often the file is imported (an interrupted
// run is resumed by running it again). It returns the counts, and an error only when
// the run itself failed: a file, the store or the context; problems in rows are
// counted and reported, never an error.
func Run(ctx context.Context, store Store, src Source, conv *Converter, opt Options) (Counts, error) {
	var n Counts
	header := src.Header()
	if err := opt.Mapping.Check(header); err != nil {
		return n, err
	}
	if opt.Workers <= 0 {
		opt.Workers = 8
	}
	digest := opt.Mapping.Digest()
	seen := make(rowsSeen)
	batch := make([]*item, 0, batchSize)
	for eof := false; !eof; {
		batch = batch[:0]
		for len(batch) < batchSize {
			row, err := src.Next()
			if errors.Is(err, io.EOF) {
				eof = true
				break
			}
			if err != nil {
				return n, err
			}
			it := &item{row: row, res: conv.Convert(header, opt.Mapping, row)}
			if it.key, err = store.ImportKey(ctx, opt.Actor.Org, digest, it.res.Content); err != nil {
				return n, err
			}
			batch = append(batch, it)
		}
		if err := runBatch(ctx, store, opt, batch, seen); err != nil {
			return n, err
		}
		for _, it := range batch {
			n.add(it.status)
			if it.status == StatusMinor && opt.Flagged != nil {
				opt.Flagged(it.row.Number)
			}
			if opt.Report != nil {
				if err := opt.Report.Add(it.row, it.res, it.status); err != nil {
					return n, err
				}
			}
		}
		if opt.Progress != nil {
			opt.Progress(n)
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// LogDetail is the access-log detail of a run over file: its counts and the file's
// name, never a cell.
func (n Counts) LogDetail(file string) string {
	return fmt.Sprintf("%s: %d rows, %d imported, %d imported before, %d with problems, %d duplicates, %d minors waiting, %d erased since",
		file, n.Rows, n.Imported, n.Earlier, n.Problems, n.Duplicates, n.Minors, n.Erased)
}

func (n *Counts) add(status string) {
	n.Rows++
	switch status {
	case StatusReady:
		n.Ready++
	case StatusProblems:
		n.Problems++
	case StatusDuplicate:
		n.Duplicates++
	case StatusEarlier:
		n.Earlier++
	case StatusMinor:
		n.Minors++
	case StatusImported:
		n.Imported++
	case StatusErased:
		n.Erased++
	}
}

// rowsSeen finds a row that repeats an earlier row of the same file. It is the one
// part of a run that grows with the file: 16 bytes of the row's key and its number,
// about 30 bytes a row with the map's overhead (3 MB for 100,000 rows). Sixteen bytes
// of a SHA-256 make a false match, which would skip a row, as likely as none at all.
type rowsSeen map[[16]byte]int32

// first returns the number of the earlier row with key, or records row as its first.
func (s rowsSeen) first(key string, row int) (int, bool) {
	sum := sha256.Sum256([]byte(key))
	fp := [16]byte(sum[:16])
	if earlier, dup := s[fp]; dup {
		return int(earlier), true
	}
	s[fp] = int32(row)
	return 0, false
}

// runBatch settles the status of every row of batch, importing the ready ones when
// the run commits.
func runBatch(ctx context.Context, store Store, opt Options, batch []*item, seen rowsSeen) error {
	var todo []*item
	for _, it := range batch {
		if first, dup := seen.first(it.key, it.row.Number); dup {
			it.status = StatusDuplicate
			it.res.Problems = append(it.res.Problems, Problem{Code: "duplicate_row", Value: fmt.Sprint(first)})
			continue
		}
		if len(nonMinor(it.res.Problems)) == 0 {
			if err := store.CheckInput(opt.Actor, withConsent(it.res.Input, opt.Consent)); err != nil {
				var v *validation.Error
				if !errors.As(err, &v) {
					return err
				}
				it.res.Problems = append(it.res.Problems, recordProblems(v, opt.Mapping, it)...)
			}
		}
		switch {
		case len(nonMinor(it.res.Problems)) > 0:
			it.status = StatusProblems
		case it.res.Minor && !slices.Contains(opt.Minors, it.row.Number):
			it.status = StatusMinor
		default:
			it.status = StatusReady
			todo = append(todo, it)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if !opt.Commit {
		// A dry run still tells which rows an earlier run has imported.
		for _, it := range todo {
			was, err := store.WasImported(ctx, it.key)
			if err != nil {
				return err
			}
			if was {
				it.status = StatusEarlier
			}
		}
		return nil
	}
	return importAll(ctx, store, opt, todo)
}

// importAll writes the ready rows with opt.Workers writers at once.
func importAll(ctx context.Context, store Store, opt Options, todo []*item) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan *item)
	)
	for range min(opt.Workers, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				if err := importOne(ctx, store, opt, it); err != nil {
					mu.Lock()
					first = errors.Join(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, it := range todo {
		next <- it
	}
	close(next)
	wg.Wait()
	return first
}

// importOne writes one ready row and sets its status.
func importOne(ctx context.Context, store Store, opt Options, it *item) error {
	src := cases.Imported{File: opt.File, Row: it.row.Number, Batch: opt.Batch,
		NoCode: it.res.NoCode, Minor: it.res.Minor, ConsentSource: opt.Consent.Statement}
	_, existed, err := store.Import(ctx, opt.Actor, withConsent(it.res.Input, opt.Consent), src, it.key)
	switch {
	case errors.Is(err, cases.ErrErasedSinceImport):
		it.status = StatusErased
	case err != nil:
		var v *validation.Error
		if !errors.As(err, &v) {
			return err
		}
		it.status = StatusProblems
		it.res.Problems = append(it.res.Problems, recordProblems(v, opt.Mapping, it)...)
	case existed:
		it.status = StatusEarlier
	default:
		it.status = StatusImported
	}
	return nil
}

// withConsent gives in the consent the coordinator stated for the whole file.
func withConsent(in cases.Input, c Consent) cases.Input {
	yes := true
	in.Consent = cases.ConsentInput{Record: &yes, Statistics: c.Statistics, LegalSharing: c.LegalSharing,
		TextVersion: ConsentTextVersion}
	return in
}

// nonMinor drops the minor flag, which holds a row back only until it is confirmed.
func nonMinor(ps []Problem) []Problem {
	var out []Problem
	for _, p := range ps {
		if p.Code != "minor" {
			out = append(out, p)
		}
	}
	return out
}

// fieldOf names the import field behind a field of the case record.
var fieldOf = map[string]Field{
	"uic": FieldUIC, "incident.date": FieldDate, "incident.date_precision": FieldDate,
	"incident.district": FieldDistrict, "incident.place": FieldPlace,
	"perpetrators": FieldPerpetrators, "violations": FieldViolations,
	"survivor.age_band": FieldAge, "survivor.gender": FieldGender,
	"survivor.nationality": FieldNationality, "survivor.work_setting": FieldWorkSetting,
	"narrative": FieldNarrative, "response.reported_to": FieldReportedTo,
	"response.referrals": FieldReferrals, "response.status": FieldStatus,
	"response.outcome": FieldOutcome,
}

// recordProblems places the case record's own objections in the row's columns.
func recordProblems(v *validation.Error, m Mapping, it *item) []Problem {
	var out []Problem
	for path, text := range v.Fields {
		p := Problem{Code: "record_rejected", Detail: path + ": " + text.English()}
		for col, f := range m.Columns {
			if f == fieldOf[path] && f != "" {
				p.Column = col
			}
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Problem) int { return strings.Compare(a.Detail, b.Detail) })
	return out
}
