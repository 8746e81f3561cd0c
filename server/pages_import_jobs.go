package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"registro/audit"
	"registro/cases"
	"registro/imports"
)

// An import on the page is a job: the upload, sealed on disk under a key in memory,
// is checked in the background (a dry run with its report), mapped again as often as
// the coordinator wants, then imported; the page follows it with a progress line. A
// job lives in the server that took the upload, for jobTTL: if the server stops, the
// coordinator sends the file again, and the rows imported already are skipped.

// jobTTL is how long a job and its sealed files are kept after its last step.
const jobTTL = 2 * time.Hour

// maxUpload bounds an uploaded registry: 100,000 rows with short narratives.
const maxUpload = 64 << 20

// maxMinorRows is how many rows about minors the page lists for confirmation.
const maxMinorRows = 500

type importJob struct {
	ID      string
	Org     string
	UserID  string
	File    string
	Sheet   string
	Lang    string // of the report
	Header  []string
	Mapping imports.Mapping
	Consent imports.Consent
	// Confirmed are the minors' rows the coordinator confirmed.
	Confirmed []int

	mu      sync.Mutex
	state   string // "checking", "checked", "importing", "imported", "failed"
	counts  imports.Counts
	total   int
	minors  []int // rows flagged in the last check
	problem string
	touched time.Time
	upload  *imports.Sealed
	report  *imports.Sealed
}

// jobView is a consistent copy of a job's progress for the page.
type jobView struct {
	State   string
	Counts  imports.Counts
	Total   int
	Minors  []int
	Problem string
	Report  bool
}

func (j *importJob) view() jobView {
	j.mu.Lock()
	defer j.mu.Unlock()
	return jobView{State: j.state, Counts: j.counts, Total: j.total, Minors: slices.Clone(j.minors),
		Problem: j.problem, Report: j.report != nil && (j.state == "checked" || j.state == "imported")}
}

// importJobs holds the running and recent jobs of this server.
type importJobs struct {
	mu   sync.Mutex
	jobs map[string]*importJob
}

func (js *importJobs) add(j *importJob) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.jobs == nil {
		js.jobs = map[string]*importJob{}
	}
	js.jobs[j.ID] = j
}

// get returns the job id of org's user, or nil: another coordinator's job is not hers
// to see, since its report holds the file's rows.
func (js *importJobs) get(id, org, user string) *importJob {
	js.mu.Lock()
	defer js.mu.Unlock()
	j := js.jobs[id]
	if j == nil || j.Org != org || j.UserID != user {
		return nil
	}
	return j
}

// sweep removes the jobs left alone for jobTTL, with their sealed files.
func (js *importJobs) sweep(now time.Time) {
	js.mu.Lock()
	defer js.mu.Unlock()
	for id, j := range js.jobs {
		j.mu.Lock()
		idle := j.state != "checking" && j.state != "importing" && now.Sub(j.touched) > jobTTL
		if idle {
			j.drop()
		}
		j.mu.Unlock()
		if idle {
			delete(js.jobs, id)
		}
	}
}

// drop removes the job's files; the caller holds j.mu.
func (j *importJob) drop() {
	if j.upload != nil {
		_ = j.upload.Remove()
	}
	if j.report != nil {
		_ = j.report.Remove()
	}
	j.upload, j.report = nil, nil
}

func newJobID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startRun checks (commit false) or imports (commit true) the job's file in the
// background, writing a fresh report.
func (s *Server) startRun(j *importJob, actor cases.Actor, commit bool) {
	j.mu.Lock()
	j.state, j.problem, j.counts, j.touched = "checking", "", imports.Counts{}, s.Now()
	if commit {
		j.state = "importing"
	}
	j.mu.Unlock()
	go func() {
		err := s.runJob(context.Background(), j, actor, commit)
		j.mu.Lock()
		defer j.mu.Unlock()
		j.touched = s.Now()
		switch {
		case err != nil:
			j.state, j.problem = "failed", err.Error()
			s.log.Warn("import failed", slog.String("job", j.ID), slog.String("org", j.Org), slog.String("error", err.Error()))
		case commit:
			j.state = "imported"
		default:
			j.state = "checked"
		}
	}()
}

// open reads the sealed upload as the file it is; closing the source closes the file.
func (j *importJob) open() (imports.Source, error) {
	in, err := j.upload.Open()
	if err != nil {
		return nil, err
	}
	src, err := imports.OpenReader(in, j.File, j.Sheet)
	if err != nil {
		in.Close()
		return nil, err
	}
	return closingSource{Source: src, in: in}, nil
}

type closingSource struct {
	imports.Source
	in io.Closer
}

func (c closingSource) Close() error { return errors.Join(c.Source.Close(), c.in.Close()) }

func (s *Server) runJob(ctx context.Context, j *importJob, actor cases.Actor, commit bool) error {
	src, err := j.open()
	if err != nil {
		return err
	}
	defer src.Close()
	report, out, err := imports.NewSealed(s.TempDir)
	if err != nil {
		return err
	}
	rw, err := imports.NewReport(out, src.Header(), j.Lang, s.Cases.Vocabulary())
	if err != nil {
		out.Close()
		_ = report.Remove()
		return err
	}
	var minors []int
	opt := imports.Options{
		Actor: actor, File: j.File, Mapping: j.Mapping, Consent: j.Consent, Commit: commit,
		Minors: j.Confirmed, Batch: j.ID, Report: rw,
		Progress: func(n imports.Counts) {
			j.mu.Lock()
			j.counts = n
			j.mu.Unlock()
		},
		Flagged: func(row int) {
			if len(minors) < maxMinorRows {
				minors = append(minors, row)
			}
		},
	}
	conv := imports.NewConverter(s.Cases.Vocabulary(), s.Synonyms, s.Now)
	n, runErr := imports.Run(ctx, s.Cases, src, conv, opt)
	err = errors.Join(runErr, rw.Close(), out.Close())
	j.mu.Lock()
	if j.report != nil {
		_ = j.report.Remove()
	}
	j.report, j.counts, j.minors = report, n, minors
	j.mu.Unlock()
	if commit {
		outcome := "ok"
		if runErr != nil {
			outcome = outcomeOf(runErr)
		}
		if _, aerr := s.Audit.Append(ctx, audit.Entry{Org: actor.Org, Actor: actor.UserID, ActorName: actor.Username,
			Action: "import.run", Object: j.ID, Outcome: outcome, Client: actor.Client, Detail: n.LogDetail(j.File)}); aerr != nil {
			err = errors.Join(err, aerr)
		}
		if runErr == nil {
			err = errors.Join(err, imports.NewMappings(s.DB.Database).Save(ctx, actor.Org, j.Mapping))
		}
	}
	return err
}

// copyUpload seals r into a new file, refusing more than maxUpload bytes.
func copyUpload(dir string, r io.Reader) (*imports.Sealed, int64, error) {
	sealed, w, err := imports.NewSealed(dir)
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(w, io.LimitReader(r, maxUpload+1))
	err = errors.Join(err, w.Close())
	if err == nil && n > maxUpload {
		err = errUploadTooLarge
	}
	if err != nil {
		_ = sealed.Remove()
		return nil, 0, err
	}
	return sealed, n, nil
}

var errUploadTooLarge = errors.New("the file is larger than 64 MB")
