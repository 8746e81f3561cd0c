package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"registro/accounts"
	"registro/cases"
)

// BenchmarkPages measures pages end to end through HTTP, as a phone's request sees
// the server (rendering, authorization, store, access log; not the network): the
// coordinator's home, her organization's list (50 rows), a case in full, the record
// form, the statistics page of the last closed quarter's release with its four charts
// (and the coordinator's live one), over an organization of REGISTRO_BENCH_CASES
// cases (default 2000). It reports the 95th percentile per page; CaseListAPI is the
// same list through the JSON API, to tell the page's own cost, and ReleasedTableAPI
// a released two-grouping table as advocates read it.
func BenchmarkPages(b *testing.B) {
	benchCases := 2000
	if n, err := strconv.Atoi(os.Getenv("REGISTRO_BENCH_CASES")); err == nil && n > 0 {
		benchCases = n
	}
	ts := newTestServer(b)
	ts.mustOrg(b, "LIM")
	me := ts.mustUser(b, "LIM", "coord", accounts.RoleCoordinator)
	ts.mustUser(b, "LIM", "adv", accounts.RoleAdvocate)
	// As registro serve does after creating the collections: the embedded store's
	// lookups by _id need this index (docs/benchmarks.md).
	if err := ts.DB.IndexIDs(context.Background()); err != nil {
		b.Fatal(err)
	}
	actor := cases.Actor{UserID: me.ID, Username: me.Username, Org: "LIM", Role: string(me.Role)}
	yes := true
	perps := []string{"police", "serenazgo", "client", "municipal_inspector", "partner_or_family"}
	viols := []string{"physical", "extortion", "confiscation", "psychological", "arbitrary_detention"}
	dists := []string{"150101", "150110", "150115", "150132", "150135", "070101"}
	// Every case is recorded during the run, so the organization's list holds them all
	// in one day's bucket (case ids carry the wall-clock time): the worst case of the
	// list, as after a bulk import. Incidents spread over 170 days.
	var last string
	now := ts.Clock.Now()
	for i := range benchCases {
		k, _, err := ts.Cases.Create(context.Background(), actor, cases.Input{
			UIC: fmt.Sprintf("%c%cJO%02d%02d", 'A'+i%26, 'A'+(i/26)%26, 1+i%28, i%100),
			Incident: cases.Incident{Date: now.AddDate(0, 0, -(i % 170)).Format(time.DateOnly), DatePrecision: "day",
				District: dists[i%len(dists)], Place: "street"},
			Perpetrators: []string{perps[i%len(perps)]}, Violations: []string{viols[i%len(viols)], viols[(i+2)%len(viols)]},
			Consent:   cases.ConsentInput{Record: &yes, Statistics: true, LegalSharing: true},
			Narrative: "Relato de prueba, cifrado en reposo.",
		}, "")
		if err != nil {
			b.Fatal(err)
		}
		last = k.ID
	}
	if err := ts.DB.IndexIDs(context.Background()); err != nil {
		b.Fatal(err)
	}
	q := closedQuarter(ts)
	publishStart := time.Now()
	if _, err := ts.Releases.Publish(context.Background(), "LIM", 5, q, "coord"); err != nil {
		b.Fatal(err)
	}
	b.Logf("published %s of %d cases in %v", q, benchCases, time.Since(publishStart))
	w := ts.signedIn(b, "coord", passwordOf("coord"))
	adv := ts.signedIn(b, "adv", passwordOf("adv"))
	_, advToken := ts.mustUserToken(b, "LIM", "adv-api", accounts.RoleAdvocate)
	for _, p := range []struct {
		name string
		w    *webSession
		path string
	}{
		{"Home", w, "/"}, {"CaseList", w, "/cases"}, {"CaseListAPI", w, "/api/v1/cases?limit=50"}, {"Case", w, "/cases/" + last},
		{"RecordForm", w, "/cases/new"}, {"Stats", adv, "/stats"}, {"StatsLive", w, "/stats?quarter=" + q},
		{"ReleasedTableAPI", nil, "/api/v1/stats?by=perpetrator,violation&quarter=" + q},
	} {
		b.Run(p.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if p.w == nil {
					if st, body := ts.do(b, http.MethodGet, p.path, advToken, nil); st != http.StatusOK {
						b.Fatalf("%s: %d %v", p.path, st, body)
					}
				} else if st, body := p.w.get(b, p.path); st != http.StatusOK {
					b.Fatalf("%s: %d\n%s", p.path, st, body)
				}
				lat = append(lat, time.Since(start))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
