package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the whole run, printed as text or JSON.
type report struct {
	Mode        string        `json:"mode"` // load or fault
	Started     time.Time     `json:"started"`
	Target      string        `json:"target"`
	Binary      string        `json:"binary,omitempty"`
	DataDir     string        `json:"data_dir,omitempty"`
	Org         string        `json:"org"`
	Clients     int           `json:"clients"`
	Users       int           `json:"users"`
	Mix         string        `json:"mix"`
	Duration    string        `json:"duration,omitempty"`
	Cases       int           `json:"cases,omitempty"`
	Seed        uint64        `json:"seed"`
	Raw         *rawReport    `json:"raw,omitempty"`
	API         *apiPhase     `json:"api"`
	IntakeToRaw float64       `json:"intake_to_raw,omitempty"`
	Server      serverFigures `json:"server"`
	Fault       *faultReport  `json:"fault,omitempty"`
	Notes       []string      `json:"notes,omitempty"`
	Failures    []string      `json:"failures,omitempty"`
	Pass        bool          `json:"pass"`
}

// serverFigures are sampled every 200 ms from /proc/PID/status and the data directory.
type serverFigures struct {
	PeakRSSBytes          int64   `json:"peak_rss_bytes"`
	PeakRSSRawBytes       int64   `json:"peak_rss_raw_bytes,omitempty"`
	PeakRSSAPIBytes       int64   `json:"peak_rss_api_bytes"`
	HWMBytes              int64   `json:"vm_hwm_bytes"`
	PeakWALBytes          int64   `json:"peak_wal_bytes"`
	PeakWALAPIBytes       int64   `json:"peak_wal_api_bytes"`
	DataDirBytes          int64   `json:"data_dir_bytes"`
	DataDirBytesAfterStop int64   `json:"data_dir_bytes_after_stop,omitempty"`
	StopSeconds           float64 `json:"stop_seconds,omitempty"` // SIGTERM to exit, at the end
}

func (env *runEnv) newReport() *report {
	o := env.o
	r := &report{Started: time.Now().UTC(), Target: env.base, Binary: env.bin, DataDir: env.dataDir, Org: env.org,
		Clients: o.clients, Users: o.users, Mix: o.mix.String(), Cases: o.cases, Seed: o.seed}
	if o.cases == 0 || o.durationSet {
		r.Duration = o.duration.String()
	}
	if o.kill > 0 {
		r.Mix, r.Duration, r.Cases = "create=100", "", 0
	}
	return r
}

// finish takes the server's figures and decides which invariants failed.
func (r *report) finish(env *runEnv) {
	s := &r.Server
	all, raw, api := env.sampler.get("all"), env.sampler.get("raw"), env.sampler.get("api")
	s.PeakRSSBytes, s.PeakRSSRawBytes, s.PeakRSSAPIBytes = all.RSS, raw.RSS, api.RSS
	s.PeakWALBytes, s.PeakWALAPIBytes = all.WAL, api.WAL
	if env.srv != nil {
		s.HWMBytes = env.srv.maxHWM()
		s.StopSeconds = env.srv.lastStop.Seconds()
	} else {
		s.HWMBytes = procStatus(env.o.pid, "VmHWM")
	}
	if r.Raw != nil && r.Raw.RatePerSec > 0 && r.API != nil {
		r.IntakeToRaw = r.API.IntakePerSec / r.Raw.RatePerSec
	}
	if f := r.Fault; f != nil {
		r.Failures = append(r.Failures, f.failures()...)
	}
	if r.API != nil && r.API.All.Count == 0 {
		r.Failures = append(r.Failures, "no request was made")
	}
	r.Pass = len(r.Failures) == 0
}

func (f *faultReport) failures() []string {
	var out []string
	for _, rr := range f.Rounds {
		if rr.Error != "" {
			out = append(out, fmt.Sprintf("round %d: %s", rr.Round, rr.Error))
		}
		if c := rr.Checks; c != nil {
			if !c.Check.OK {
				out = append(out, fmt.Sprintf("round %d: registro check: %s", rr.Round, c.Check.summary()))
			}
			if !c.Verify.OK {
				out = append(out, fmt.Sprintf("round %d: registro audit verify: %s", rr.Round, c.Verify.summary()))
			}
		}
	}
	if len(f.Rounds) < f.Kills {
		out = append(out, fmt.Sprintf("only %d of %d kill rounds ran", len(f.Rounds), f.Kills))
	}
	if c := f.Final; c != nil {
		if !c.Check.OK {
			out = append(out, "final registro check: "+c.Check.summary())
		}
		if !c.Verify.OK {
			out = append(out, "final registro audit verify: "+c.Verify.summary())
		}
	}
	if f.StopError != "" {
		out = append(out, "final clean stop: "+f.StopError)
	}
	if !f.Verified {
		out = append(out, "the acknowledged cases were not verified (the server was not running at the end)")
		return out
	}
	if f.Lost > 0 {
		out = append(out, fmt.Sprintf("%d acknowledged cases lost (not readable or not listed)", f.Lost))
	}
	if f.Duplicates > 0 {
		out = append(out, fmt.Sprintf("%d duplicates (listed twice, a reference on several cases, a key answered with two cases, or an unacknowledged case in the list)", f.Duplicates))
	}
	if f.WrongContent > 0 {
		out = append(out, fmt.Sprintf("%d acknowledged cases read back with another reference or narrative", f.WrongContent))
	}
	if f.ListError != "" {
		out = append(out, "listing the organization: "+f.ListError)
	}
	if f.Rejected > 0 {
		out = append(out, fmt.Sprintf("%d creates refused with a 4xx (e.g. %s)", f.Rejected, f.Rejections[0]))
	}
	if f.Unresolved > 0 {
		out = append(out, fmt.Sprintf("%d creates never answered", f.Unresolved))
	}
	return out
}

func (r *report) writeText(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("Registro load report (%s mode), %s", r.Mode, r.Started.Format("2006-01-02 15:04 MST"))
	what := r.Duration
	if r.Cases > 0 {
		what = fmt.Sprintf("until %d cases acknowledged", r.Cases)
		if r.Duration != "" {
			what += " (limit " + r.Duration + ")"
		}
	}
	if r.Mode == "fault" {
		what = fmt.Sprintf("%d kills every %s", r.Fault.Kills, r.Fault.KillEvery)
	}
	p("  target %s, org %s, %d clients over %d worker accounts, %s, mix %s, seed %d", r.Target, r.Org, r.Clients, r.Users, what, r.Mix, r.Seed)
	if r.Binary != "" {
		p("  binary %s, data %s", r.Binary, r.DataDir)
	}
	p("")

	if raw := r.Raw; raw != nil {
		p("Raw store baseline: InsertOne of %d-byte sealed-case documents into %s over %s", raw.DocBytes, raw.Database, raw.Socket)
		p("  %d clients, %.1fs: %d inserts, %.1f/s, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms, errors: %s",
			raw.Clients, raw.Seconds, raw.Inserts, raw.RatePerSec, raw.P50Ms, raw.P95Ms, raw.P99Ms, raw.MaxMs, orNone(errorList(raw.Errors)))
		p("")
	}

	if a := r.API; a != nil {
		title := "API phase"
		if r.Mode == "fault" {
			title = "Intake under kills (every attempt, retries included; latencies of answered creates)"
		}
		stored := ""
		if a.StoredBytes > 0 {
			stored = fmt.Sprintf(", stored case documents %d bytes", a.StoredBytes)
		}
		p("%s: %.1fs, create bodies %d bytes on average%s", title, a.Seconds, a.BodyBytes, stored)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  op\tcount\tok\tok/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\terrors\t")
		for _, o := range append(a.Ops, a.All) {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t\n", o.Op, o.Count, o.OK, o.RatePerSec, o.P50Ms, o.P95Ms, o.P99Ms, o.MaxMs, o.Count-o.OK)
		}
		tw.Flush()
		var errLines []string
		for _, o := range a.Ops {
			if len(o.Errors) > 0 {
				errLines = append(errLines, fmt.Sprintf("%s: %s", o.Op, errorList(o.Errors)))
			}
		}
		p("  errors by status: %s", orNone(strings.Join(errLines, "; ")))
		line := fmt.Sprintf("  intake: %d cases acknowledged, %.1f/s", a.Acknowledged, a.IntakePerSec)
		if r.Raw != nil && r.Raw.RatePerSec > 0 {
			line += fmt.Sprintf(" = %.1f %% of the raw baseline (%.1f/s)", 100*r.IntakeToRaw, r.Raw.RatePerSec)
		}
		p("%s", line)
		p("")
	}

	if f := r.Fault; f != nil {
		r.writeFault(w, f)
	}

	s := r.Server
	p("Server")
	rss := fmt.Sprintf("  peak RSS %s (polled every 200 ms", mb(s.PeakRSSBytes))
	if s.PeakRSSRawBytes > 0 {
		rss += fmt.Sprintf("; raw baseline %s, API phase %s", mb(s.PeakRSSRawBytes), mb(s.PeakRSSAPIBytes))
	}
	p("%s), VmHWM %s", rss, mb(s.HWMBytes))
	p("  peak WAL %s (sum of sqlite/*-wal; API phase %s)", mb(s.PeakWALBytes), mb(s.PeakWALAPIBytes))
	dd := fmt.Sprintf("  data directory %s at the end", mb(s.DataDirBytes))
	if s.DataDirBytesAfterStop > 0 {
		dd += fmt.Sprintf(", %s after the clean stop (SIGTERM to exit %.1fs)", mb(s.DataDirBytesAfterStop), s.StopSeconds)
	}
	p("%s", dd)
	for _, n := range r.Notes {
		p("  note: %s", n)
	}
	p("")
	if r.Pass {
		p("RESULT: PASS")
		return
	}
	p("RESULT: FAIL")
	for _, f := range r.Failures {
		p("  - %s", f)
	}
}

func (r *report) writeFault(w io.Writer, f *faultReport) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	when := map[string]string{"down": "between kill and restart (store as the crash left it)",
		"restart": "after the restart, with the server stopped cleanly"}[f.CheckWhen]
	p("Kill rounds: SIGKILL every %s; registro check and audit verify %s", f.KillEvery, when)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  round\tkilled at\tacked\tacked since ready\tdown\trestart\tcheck\taudit verify")
	for _, rr := range f.Rounds {
		check, verify := "-", "-"
		if c := rr.Checks; c != nil {
			check, verify = c.Check.summary(), c.Verify.summary()
		}
		if rr.Error != "" {
			check = "ERROR: " + rr.Error
		}
		rate := 0.0
		if rr.UpSeconds > 0 {
			rate = float64(rr.AckedInRound) / rr.UpSeconds
		}
		fmt.Fprintf(tw, "  %d\t%.1fs\t%d\t%d in %.1fs (%.0f/s)\t%.2fs\t%.2fs\t%s\t%s\n", rr.Round, rr.At, rr.AckedBefore,
			rr.AckedInRound, rr.UpSeconds, rate, rr.DownSeconds, rr.RestartSeconds, check, verify)
	}
	if c := f.Final; c != nil {
		fmt.Fprintf(tw, "  final\t\t%d\t\t\t\t%s\t%s\n", f.Acknowledged, c.Check.summary(), c.Verify.summary())
	}
	tw.Flush()
	p("  creates: %d acknowledged (%d as replays of an earlier attempt), %d retries with the same key, %d refused, %d never answered",
		f.Acknowledged, f.Replayed, f.Retries, f.Rejected, f.Unresolved)
	if !f.Verified {
		p("  verification: not done")
	} else {
		p("  read back: %d/%d intact (failed: %s; wrong ref or narrative: %d)", f.ReadOK, f.Read, orNone(errorList(f.ReadFailed)), f.WrongContent)
		list := fmt.Sprintf("  org list: %d entries; acknowledged but not listed %d, listed more than once %d, references on several cases %d, listed but never acknowledged %d",
			f.Listed, f.NotListed, f.ListedTwice, f.RefsTwice, f.Unacked)
		if f.ListError != "" {
			list += " (LIST FAILED: " + f.ListError + ")"
		}
		p("%s", list)
		p("  lost: %d   duplicates: %d", f.Lost, f.Duplicates)
	}
	for _, rr := range f.Rounds {
		if c := rr.Checks; c != nil && (!c.Check.OK || !c.Verify.OK) {
			p("  round %d output:", rr.Round)
			for _, res := range []cliResult{c.Check, c.Verify} {
				if !res.OK {
					p("    $ %s\n%s", res.Command, indent(res.Output, "      "))
				}
			}
		}
	}
	if c := f.Final; c != nil && (!c.Check.OK || !c.Verify.OK) {
		p("  final output:")
		for _, res := range []cliResult{c.Check, c.Verify} {
			if !res.OK {
				p("    $ %s\n%s", res.Command, indent(res.Output, "      "))
			}
		}
	}
	if len(f.Examples) > 0 {
		p("  examples:")
		for _, e := range f.Examples {
			p("    %s", e)
		}
	}
	p("")
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 20 {
		lines = append(lines[:20], fmt.Sprintf("… %d more lines", len(lines)-20))
	}
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
