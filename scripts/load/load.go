package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The operations of the mix.
const (
	opCreate  = "create"
	opRead    = "read"
	opList    = "list"
	opOrgList = "orglist"
	opStats   = "stats"
)

var allOps = []string{opCreate, opRead, opList, opOrgList, opStats}

const defaultMix = "create=70,read=15,list=8,orglist=2,stats=5"

type mix struct {
	ops     []string
	weights []int
	total   int
}

func parseMix(s string) (mix, error) {
	var m mix
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n < 0 {
			return m, fmt.Errorf("%q: use op=weight, e.g. %s", part, defaultMix)
		}
		if !slices.Contains(allOps, name) {
			return m, fmt.Errorf("unknown operation %q (known: %s)", name, strings.Join(allOps, ", "))
		}
		if seen[name] {
			return m, fmt.Errorf("%s given twice", name)
		}
		seen[name] = true
		if n > 0 {
			m.ops, m.weights, m.total = append(m.ops, name), append(m.weights, n), m.total+n
		}
	}
	if m.total == 0 {
		return m, errors.New("no operation has a positive weight")
	}
	return m, nil
}

func (m mix) String() string {
	var parts []string
	for i, op := range m.ops {
		parts = append(parts, fmt.Sprintf("%s=%d", op, m.weights[i]))
	}
	return strings.Join(parts, ",")
}

// pick draws an operation, leaving out those in except; "" when none is left.
func (m mix) pick(r *rand.Rand, except ...string) string {
	total := 0
	for i, op := range m.ops {
		if !slices.Contains(except, op) {
			total += m.weights[i]
		}
	}
	if total == 0 {
		return ""
	}
	n := r.IntN(total)
	for i, op := range m.ops {
		if slices.Contains(except, op) {
			continue
		}
		if n < m.weights[i] {
			return op
		}
		n -= m.weights[i]
	}
	return ""
}

// series is what one client saw of one operation.
type series struct {
	lat  []time.Duration // of the successful requests
	n    int
	ok   int
	errs map[string]int
}

type recorder map[string]*series

func (rec recorder) add(op string, r result, ok bool) {
	s := rec[op]
	if s == nil {
		s = &series{errs: map[string]int{}}
		rec[op] = s
	}
	s.n++
	if ok {
		s.ok++
		s.lat = append(s.lat, r.dur)
		return
	}
	s.errs[r.key()]++
}

func merge(recs []recorder) recorder {
	out := recorder{}
	for _, rec := range recs {
		for op, s := range rec {
			m := out[op]
			if m == nil {
				m = &series{errs: map[string]int{}}
				out[op] = m
			}
			m.n += s.n
			m.ok += s.ok
			m.lat = append(m.lat, s.lat...)
			for k, v := range s.errs {
				m.errs[k] += v
			}
		}
	}
	return out
}

// opReport is one operation's figures; latencies are of successful requests.
type opReport struct {
	Op         string         `json:"op"`
	Count      int            `json:"count"`
	OK         int            `json:"ok"`
	RatePerSec float64        `json:"ok_per_sec"`
	P50Ms      float64        `json:"p50_ms"`
	P95Ms      float64        `json:"p95_ms"`
	P99Ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	Errors     map[string]int `json:"errors_by_status,omitempty"`
}

func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i].Microseconds()) / 1000
}

func summarize(op string, s *series, elapsed time.Duration) opReport {
	slices.Sort(s.lat)
	r := opReport{Op: op, Count: s.n, OK: s.ok, P50Ms: percentile(s.lat, .50), P95Ms: percentile(s.lat, .95),
		P99Ms: percentile(s.lat, .99), MaxMs: percentile(s.lat, 1)}
	if elapsed > 0 {
		r.RatePerSec = float64(s.ok) / elapsed.Seconds()
	}
	if len(s.errs) > 0 {
		r.Errors = s.errs
	}
	return r
}

// apiPhase is the result of the load (or fault-mode intake) through the API.
type apiPhase struct {
	Seconds      float64    `json:"seconds"`
	Ops          []opReport `json:"ops"`
	All          opReport   `json:"all"`
	Acknowledged int        `json:"creates_acknowledged"`
	IntakePerSec float64    `json:"intake_per_sec"`
	BodyBytes    int        `json:"create_body_bytes_avg"`
	StoredBytes  int        `json:"stored_case_bytes_avg,omitempty"`
}

func buildPhase(recs []recorder, elapsed time.Duration, acked int, bodyBytes, bodies int64) *apiPhase {
	m := merge(recs)
	p := &apiPhase{Seconds: elapsed.Seconds(), Acknowledged: acked}
	all := &series{errs: map[string]int{}}
	for _, op := range allOps {
		s := m[op]
		if s == nil {
			continue
		}
		all.n += s.n
		all.ok += s.ok
		all.lat = append(all.lat, s.lat...)
		for k, v := range s.errs {
			all.errs[k] += v
		}
		p.Ops = append(p.Ops, summarize(op, s, elapsed))
	}
	p.All = summarize("all", all, elapsed)
	if elapsed > 0 {
		p.IntakePerSec = float64(acked) / elapsed.Seconds()
	}
	if bodies > 0 {
		p.BodyBytes = int(bodyBytes / bodies)
	}
	return p
}

// progress prints a line every 5 seconds until stop is closed.
func progress(env *runEnv, start time.Time, requests, errs, acked *atomic.Int64, stop chan struct{}) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	var lastN int64
	last := start
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			n := requests.Load()
			rss, wal := env.sampler.now()
			env.logf("[%4.0fs] %d requests (%.0f/s now), %d creates acknowledged, %d errors, RSS %s, WAL %s",
				now.Sub(start).Seconds(), n, float64(n-lastN)/now.Sub(last).Seconds(), acked.Load(), errs.Load(), mb(rss), mb(wal))
			lastN, last = n, now
		}
	}
}

// runLoad runs the clients through the mix until -duration has passed or -cases
// creates have been acknowledged.
func runLoad(ctx context.Context, env *runEnv, o config, logf func(string, ...any)) *apiPhase {
	start := time.Now()
	var deadline time.Time
	if o.cases == 0 || o.durationSet {
		deadline = start.Add(o.duration)
	}
	what := fmt.Sprintf("for %s", o.duration)
	if o.cases > 0 {
		what = fmt.Sprintf("until %d creates are acknowledged", o.cases)
		if o.durationSet {
			what += fmt.Sprintf(" or %s has passed", o.duration)
		}
	}
	logf("API phase: %d clients %s, mix %s", o.clients, what, o.mix)
	var requests, errs, acked, reserved, bodyBytes, bodies atomic.Int64
	stopProgress := make(chan struct{})
	go progress(env, start, &requests, &errs, &acked, stopProgress)

	recs := make([]recorder, o.clients)
	var wg sync.WaitGroup
	for i := range o.clients {
		recs[i] = recorder{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := recs[i]
			worker := env.workers[i%len(env.workers)]
			gen := newCaseGen(env.vocab, o.seed, i)
			rng := rand.New(rand.NewPCG(o.seed, uint64(1000+i)))
			var mine []string
			statsPath := "/api/v1/stats?by=perpetrator,violation&from=" + gen.now.AddDate(0, -11, 0).Format("2006-01") + "&to=" + gen.now.Format("2006-01")
			for ctx.Err() == nil && (deadline.IsZero() || time.Now().Before(deadline)) && (o.cases == 0 || acked.Load() < int64(o.cases)) {
				op := o.mix.pick(rng)
				if op == opRead && len(mine) == 0 {
					op = opCreate
				}
				if op == opCreate && o.cases > 0 && reserved.Add(1) > int64(o.cases) {
					// Enough creates are under way: do something else meanwhile.
					reserved.Add(-1)
					if op = o.mix.pick(rng, opCreate); op == opRead && len(mine) == 0 {
						op = o.mix.pick(rng, opCreate, opRead)
					}
					if op == "" {
						time.Sleep(5 * time.Millisecond)
						continue
					}
				}
				acc := worker
				if op == opOrgList || op == opStats {
					acc = env.coord
				}
				token := acc.current()
				var r result
				ok := false
				switch op {
				case opCreate:
					key := "load-" + env.run + "-" + strconv.Itoa(i) + "-" + strconv.FormatUint(rng.Uint64(), 36)
					body := gen.next(key)
					bodyBytes.Add(int64(len(body)))
					bodies.Add(1)
					var hdr []string
					if o.idempotency {
						hdr = []string{"Idempotency-Key", key}
					}
					r = env.api.do(ctx, http.MethodPost, "/api/v1/cases", token, body, hdr...)
					if r.err == nil && (r.status == http.StatusCreated || r.status == http.StatusOK) {
						var k struct {
							ID string `json:"id"`
						}
						if json.Unmarshal(r.body, &k) == nil && k.ID != "" {
							ok = true
							mine = append(mine, k.ID)
							acked.Add(1)
						}
					}
					if !ok && o.cases > 0 {
						reserved.Add(-1)
					}
				case opRead:
					r = env.api.do(ctx, http.MethodGet, "/api/v1/cases/"+mine[rng.IntN(len(mine))], token, nil)
					ok = r.err == nil && r.status == http.StatusOK
				case opList, opOrgList:
					r = env.api.do(ctx, http.MethodGet, "/api/v1/cases?limit=50", token, nil)
					ok = r.err == nil && r.status == http.StatusOK
				case opStats:
					r = env.api.do(ctx, http.MethodGet, statsPath, token, nil)
					ok = r.err == nil && r.status == http.StatusOK
				}
				if ctx.Err() != nil && r.err != nil {
					break // interrupted: not the server's error
				}
				rec.add(op, r, ok)
				requests.Add(1)
				if !ok {
					errs.Add(1)
					if r.err == nil && r.status == http.StatusUnauthorized {
						_ = acc.renew(ctx, env.api, token)
					}
					if r.err != nil {
						time.Sleep(50 * time.Millisecond) // a server that is gone answers at once
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopProgress)
	p := buildPhase(recs, elapsed, int(acked.Load()), bodyBytes.Load(), bodies.Load())
	logf("API phase: %d requests in %.1fs, %d creates acknowledged (%.1f/s)", p.All.Count, elapsed.Seconds(), p.Acknowledged, p.IntakePerSec)
	return p
}

func mb(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
}

// sortedKeys lists an error table as "503×4, conn×2", largest first.
func errorList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
