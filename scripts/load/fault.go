package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// faultReport is what fault mode saw: each kill-and-restart round, the intake, and the
// check of every acknowledged case afterwards.
type faultReport struct {
	Kills     int           `json:"kills"`
	KillEvery string        `json:"kill_every"`
	CheckWhen string        `json:"check_when"`
	Rounds    []roundReport `json:"rounds"`
	Final     *roundChecks  `json:"final,omitempty"` // after the last clean stop
	Intake    *apiPhase     `json:"-"`               // the report's api

	Acknowledged int      `json:"acknowledged"`
	Replayed     int      `json:"acknowledged_as_replay"`
	Retries      int      `json:"retries"`
	Rejected     int      `json:"rejected"`
	Rejections   []string `json:"rejections,omitempty"`
	Unresolved   int      `json:"unresolved"`
	KeyTwoIDs    int      `json:"keys_answered_with_two_ids"`

	Read         int            `json:"read"`
	ReadOK       int            `json:"read_ok"`
	ReadFailed   map[string]int `json:"read_failed_by_status,omitempty"`
	WrongContent int            `json:"read_wrong_ref_or_narrative"`
	Listed       int            `json:"listed"`
	ListError    string         `json:"list_error,omitempty"`
	NotListed    int            `json:"acknowledged_not_listed"`
	ListedTwice  int            `json:"listed_more_than_once"`
	RefsTwice    int            `json:"refs_on_several_cases"`
	Unacked      int            `json:"listed_not_acknowledged"`
	Verified     bool           `json:"verified"`
	Lost         int            `json:"lost"`
	Duplicates   int            `json:"duplicates"`
	Examples     []string       `json:"examples,omitempty"`
	DataDirBytes int64          `json:"-"` // at the end of intake, before the clean stop
	StopError    string         `json:"stop_error,omitempty"`
	StopSeconds  float64        `json:"final_stop_seconds"`
}

type roundChecks struct {
	Check  cliResult `json:"check"`
	Verify cliResult `json:"audit_verify"`
}

type roundReport struct {
	Round          int          `json:"round"`
	At             float64      `json:"at_seconds"`
	AckedBefore    int          `json:"acknowledged_before"`
	AckedInRound   int          `json:"acknowledged_in_round"` // since the server was last ready
	UpSeconds      float64      `json:"up_seconds"`            // from ready to this kill
	DownSeconds    float64      `json:"down_seconds"`
	RestartSeconds float64      `json:"restart_seconds"`
	Checks         *roundChecks `json:"checks,omitempty"`
	Error          string       `json:"error,omitempty"`
}

type ack struct {
	id, ref, marker string
	worker          int
	replay          bool // first acknowledged by a replay (200) of an earlier attempt
}

// how says how a case was acknowledged, for the examples.
func (a ack) how() string {
	if a.replay {
		return "acknowledged as a replay after a broken attempt"
	}
	return "acknowledged with 201"
}

type fault struct {
	env      *runEnv
	o        config
	mu       sync.Mutex
	acks     map[string]ack // by Idempotency-Key
	rep      *faultReport
	stopNew  atomic.Bool
	hardStop atomic.Int64 // unix nanoseconds after which retries give up; 0 = none
	acked    atomic.Int64
	requests atomic.Int64
	errs     atomic.Int64
	retries  atomic.Int64
	replays  atomic.Int64
}

// runFault records cases from every client (creates only, each with an
// Idempotency-Key, retried with the same key until answered), kills the server with
// SIGKILL every -kill-every and restarts it, -kill times; then reads back every
// acknowledged case and pages through the organization's list.
func runFault(ctx context.Context, env *runEnv, o config, logf func(string, ...any)) *faultReport {
	f := &fault{env: env, o: o, acks: map[string]ack{}, rep: &faultReport{Kills: o.kill, KillEvery: o.killEvery.String(), CheckWhen: o.checkWhen}}
	logf("fault mode: %d clients recording cases; SIGKILL every %s, %d times; check and audit verify %s", o.clients, o.killEvery, o.kill,
		map[string]string{"down": "between kill and restart", "restart": "after each restart, with the server stopped cleanly"}[o.checkWhen])
	start := time.Now()
	stopProgress := make(chan struct{})
	go progress(env, start, &f.requests, &f.errs, &f.acked, stopProgress)
	recs := make([]recorder, o.clients)
	var bodyBytes, bodies atomic.Int64
	var wg sync.WaitGroup
	for i := range o.clients {
		recs[i] = recorder{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			gen := newCaseGen(env.vocab, o.seed, i)
			rng := rand.New(rand.NewPCG(o.seed, uint64(1000+i)))
			for !f.stopNew.Load() && ctx.Err() == nil {
				key := "load-" + env.run + "-" + strconv.Itoa(i) + "-" + strconv.FormatUint(rng.Uint64(), 36)
				body := gen.next(key)
				bodyBytes.Add(int64(len(body)))
				bodies.Add(1)
				f.createUntilAnswered(ctx, recs[i], i%len(env.workers), key, body)
			}
		}()
	}

	f.killRounds(ctx, start)
	if env.srv.pid.Load() == 0 {
		// The server did not come back: nobody will answer the clients.
		f.hardStop.Store(time.Now().UnixNano())
	} else if ctx.Err() == nil {
		// Intake goes on on the restarted server for one more period.
		select {
		case <-ctx.Done():
		case <-time.After(o.killEvery):
		}
	}
	f.hardStop.Store(time.Now().Add(2 * time.Minute).UnixNano())
	f.stopNew.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	close(stopProgress)
	f.rep.Intake = buildPhase(recs, elapsed, int(f.acked.Load()), bodyBytes.Load(), bodies.Load())
	f.rep.Acknowledged = len(f.acks)
	f.rep.Replayed, f.rep.Retries = int(f.replays.Load()), int(f.retries.Load())
	logf("fault mode: intake over after %.1fs: %d cases acknowledged (%d as replays), %d retries, %d rejected, %d unresolved",
		elapsed.Seconds(), f.rep.Acknowledged, f.rep.Replayed, f.rep.Retries, f.rep.Rejected, f.rep.Unresolved)

	if ctx.Err() == nil && env.srv.pid.Load() != 0 {
		f.verify(ctx, logf)
		f.rep.Verified = true
	}
	// The last word: the store after a clean stop.
	rep := f.rep
	env.sampler.setPhase("")
	rep.DataDirBytes = dirSize(env.dataDir)
	if err := env.srv.stop(); err != nil {
		rep.StopError = err.Error()
	}
	final := &roundChecks{Check: env.srv.cli("check"), Verify: env.srv.cli("audit", "verify")}
	rep.Final = final
	rep.StopSeconds = env.srv.lastStop.Seconds()
	logf("final (server stopped cleanly in %.1fs): check %s; audit verify %s", rep.StopSeconds, final.Check.summary(), final.Verify.summary())
	return rep
}

// killRounds kills and restarts the server o.kill times, o.killEvery apart.
func (f *fault) killRounds(ctx context.Context, start time.Time) {
	env, o, srv := f.env, f.o, f.env.srv
	ready, readyAcked := start, 0
	for round := 1; round <= o.kill; round++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(o.killEvery):
		}
		t0 := time.Now()
		rr := roundReport{Round: round, At: t0.Sub(start).Seconds(), AckedBefore: int(f.acked.Load()), UpSeconds: t0.Sub(ready).Seconds()}
		rr.AckedInRound = rr.AckedBefore - readyAcked
		if err := srv.kill(); err != nil {
			rr.Error = "kill: " + err.Error()
			f.rep.Rounds = append(f.rep.Rounds, rr)
			return
		}
		env.logf("round %d: SIGKILL after %d acknowledged cases", round, rr.AckedBefore)
		if o.checkWhen == "down" {
			rr.Checks = &roundChecks{Check: srv.cli("check"), Verify: srv.cli("audit", "verify")}
		}
		t1 := time.Now()
		err := srv.start()
		if err == nil {
			err = srv.waitReady(ctx, 2*time.Minute)
		}
		rr.RestartSeconds = time.Since(t1).Seconds()
		rr.DownSeconds = time.Since(t0).Seconds()
		if err == nil && o.checkWhen == "restart" {
			if err = srv.stop(); err == nil {
				rr.Checks = &roundChecks{Check: srv.cli("check"), Verify: srv.cli("audit", "verify")}
				if err = srv.start(); err == nil {
					err = srv.waitReady(ctx, 2*time.Minute)
				}
			}
			rr.DownSeconds = time.Since(t0).Seconds()
		}
		if err != nil {
			rr.Error = "restart: " + err.Error()
			env.logf("round %d: %s", round, rr.Error)
			f.rep.Rounds = append(f.rep.Rounds, rr)
			return
		}
		checks := ""
		if rr.Checks != nil {
			checks = fmt.Sprintf("; check %s; audit verify %s", rr.Checks.Check.summary(), rr.Checks.Verify.summary())
		}
		env.logf("round %d: ready again after %.2fs (restart %.2fs)%s", round, rr.DownSeconds, rr.RestartSeconds, checks)
		f.rep.Rounds = append(f.rep.Rounds, rr)
		ready, readyAcked = time.Now(), int(f.acked.Load())
	}
}

// createUntilAnswered posts one case and, like a phone on a bad connection, sends it
// again with the same Idempotency-Key until the server answers it.
func (f *fault) createUntilAnswered(ctx context.Context, rec recorder, worker int, key string, body []byte) {
	acc := f.env.workers[worker]
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			f.retries.Add(1)
		}
		token := acc.current()
		r := f.env.api.do(ctx, http.MethodPost, "/api/v1/cases", token, body, "Idempotency-Key", key)
		if ctx.Err() != nil {
			return
		}
		ok := r.err == nil && (r.status == http.StatusCreated || r.status == http.StatusOK)
		rec.add(opCreate, r, ok)
		f.requests.Add(1)
		if ok {
			var k struct {
				ID        string `json:"id"`
				Ref       string `json:"ref"`
				Narrative string `json:"narrative"`
			}
			if err := json.Unmarshal(r.body, &k); err != nil || k.ID == "" {
				f.reject(key, r)
				return
			}
			f.ack(key, ack{id: k.ID, ref: k.Ref, marker: key, worker: worker, replay: r.status == http.StatusOK}, r.status == http.StatusOK)
			return
		}
		f.errs.Add(1)
		switch {
		case r.err == nil && r.status == http.StatusUnauthorized:
			_ = acc.renew(ctx, f.env.api, token)
		case r.err != nil || r.status >= 500 || r.status == http.StatusTooManyRequests:
			// A broken connection or a server restarting: send it again.
		default:
			f.reject(key, r)
			return
		}
		if hs := f.hardStop.Load(); hs != 0 && time.Now().UnixNano() > hs {
			f.mu.Lock()
			f.rep.Unresolved++
			f.example(fmt.Sprintf("create %s never answered: last %s", key, r))
			f.mu.Unlock()
			return
		}
		time.Sleep(time.Duration(50+rand.IntN(100)) * time.Millisecond)
	}
}

func (f *fault) ack(key string, a ack, replay bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if replay {
		f.replays.Add(1)
	}
	if prior, ok := f.acks[key]; ok {
		if prior.id != a.id {
			f.rep.KeyTwoIDs++
			f.example(fmt.Sprintf("Idempotency-Key %s answered with case %s and later %s", key, prior.id, a.id))
		}
		return
	}
	f.acks[key] = a
	f.acked.Add(1)
}

func (f *fault) reject(key string, r result) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rep.Rejected++
	if len(f.rep.Rejections) < 5 {
		f.rep.Rejections = append(f.rep.Rejections, fmt.Sprintf("%s: %s", key, r))
	}
}

// example keeps a few concrete cases of each problem for the report (f.mu held).
func (f *fault) example(s string) {
	if len(f.rep.Examples) < 20 {
		f.rep.Examples = append(f.rep.Examples, s)
	}
}

// verify reads back every acknowledged case as the coordinator, and pages through the
// organization's list.
func (f *fault) verify(ctx context.Context, logf func(string, ...any)) {
	env, rep := f.env, f.rep
	if err := env.coord.login(ctx, env.api, time.Minute); err != nil {
		rep.ListError = err.Error()
		return
	}
	logf("verify: reading back %d acknowledged cases and listing organization %s", len(f.acks), env.org)
	type job struct {
		key string
		a   ack
	}
	jobs := make(chan job)
	unreadable := map[string]bool{}
	var wg sync.WaitGroup
	rep.ReadFailed = map[string]int{}
	for range f.o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := f.getWithRetry(ctx, "/api/v1/cases/"+j.a.id)
				f.mu.Lock()
				rep.Read++
				switch {
				case r.err != nil || r.status != http.StatusOK:
					rep.ReadFailed[r.key()]++
					unreadable[j.a.id] = true
					f.example(fmt.Sprintf("case %s (%s, key %s, %s): GET answers %s", j.a.id, j.a.ref, j.key, j.a.how(), r))
				default:
					var k struct {
						Ref       string `json:"ref"`
						Narrative string `json:"narrative"`
					}
					_ = json.Unmarshal(r.body, &k)
					if k.Ref != j.a.ref || !strings.Contains(k.Narrative, "["+j.a.marker+"]") {
						rep.WrongContent++
						f.example(fmt.Sprintf("acknowledged case %s: ref %q, read back as %q (narrative marker found: %v)",
							j.a.id, j.a.ref, k.Ref, strings.Contains(k.Narrative, "["+j.a.marker+"]")))
					} else {
						rep.ReadOK++
					}
				}
				f.mu.Unlock()
			}
		}()
	}
	for key, a := range f.acks {
		jobs <- job{key, a}
	}
	close(jobs)
	wg.Wait()
	if len(rep.ReadFailed) == 0 {
		rep.ReadFailed = nil
	}

	// The organization's list, newest first, page by page.
	listed := map[string]int{}
	refs := map[string]map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		path := "/api/v1/cases?limit=200"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := f.getWithRetry(ctx, path)
		if r.err != nil || r.status != http.StatusOK {
			rep.ListError = fmt.Sprintf("GET %s after %d pages: %s", path, pages, r)
			break
		}
		var page struct {
			Cases []struct {
				ID  string `json:"id"`
				Ref string `json:"ref"`
			} `json:"cases"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			rep.ListError = fmt.Sprintf("GET %s: %v", path, err)
			break
		}
		for _, c := range page.Cases {
			listed[c.ID]++
			if refs[c.Ref] == nil {
				refs[c.Ref] = map[string]bool{}
			}
			refs[c.Ref][c.ID] = true
			rep.Listed++
		}
		if page.NextCursor == "" || len(page.Cases) == 0 {
			break
		}
		cursor = page.NextCursor
	}
	acked := map[string]bool{}
	for key, a := range f.acks {
		acked[a.id] = true
		if listed[a.id] == 0 && rep.ListError == "" {
			rep.NotListed++
			f.example(fmt.Sprintf("case %s (%s, key %s, %s) is not in the organization's list", a.id, a.ref, key, a.how()))
		}
	}
	for id, n := range listed {
		if n > 1 {
			rep.ListedTwice++
			f.example(fmt.Sprintf("case %s is listed %d times", id, n))
		}
		if !acked[id] {
			rep.Unacked++
		}
	}
	for ref, ids := range refs {
		if len(ids) > 1 {
			rep.RefsTwice++
			f.example(fmt.Sprintf("reference %s is on %d cases", ref, len(ids)))
		}
	}
	// Lost: acknowledged, and then not readable or not listed.
	lost := unreadable
	for _, a := range f.acks {
		if listed[a.id] == 0 && rep.ListError == "" {
			lost[a.id] = true
		}
	}
	rep.Lost = len(lost)
	// A listed case nobody acknowledged is a duplicate unless a create was left
	// unanswered (its case may well be stored). With -org, earlier cases are listed too.
	extra := 0
	if f.o.org == "" {
		extra = max(0, rep.Unacked-rep.Unresolved)
	}
	rep.Duplicates = rep.ListedTwice + rep.RefsTwice + rep.KeyTwoIDs + extra
	logf("verify: %d/%d read back intact; %d listed (%d acknowledged not listed, %d listed twice, %d refs on several cases, %d not acknowledged)",
		rep.ReadOK, rep.Read, rep.Listed, rep.NotListed, rep.ListedTwice, rep.RefsTwice, rep.Unacked)
}

// getWithRetry GETs path as the coordinator, retrying a broken connection or a 5xx a
// few times.
func (f *fault) getWithRetry(ctx context.Context, path string) result {
	var r result
	for attempt := 0; attempt < 5; attempt++ {
		token := f.env.coord.current()
		r = f.env.api.do(ctx, http.MethodGet, path, token, nil)
		if r.err == nil && r.status == http.StatusUnauthorized {
			_ = f.env.coord.renew(ctx, f.env.api, token)
			continue
		}
		if r.err == nil && r.status < 500 || ctx.Err() != nil {
			return r
		}
		time.Sleep(200 * time.Millisecond)
	}
	return r
}
