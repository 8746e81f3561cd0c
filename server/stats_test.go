package server_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"registro/accounts"
	"registro/stats"
)

// TestStatsReleases follows a quarter's statistics from the live numbers to a release
// and its revision, through the API: advocates see nothing before the release and
// only the release after it, hidden numbers carry no reason for them, coordinators
// see exact live numbers marked internal, and every refusal has its code.
func TestStatsReleases(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	_, worker := ts.mustUserToken(t, "LIM", "promotora", accounts.RoleOutreach)
	_, advocate := ts.mustUserToken(t, "LIM", "vocera", accounts.RoleAdvocate)
	_, coordinator := ts.mustUserToken(t, "LIM", "coordina", accounts.RoleCoordinator)
	_, calAdvocate := ts.mustUserToken(t, "CAL", "cal-vocera", accounts.RoleAdvocate)
	auditor := func() string {
		_, tok := ts.mustUserToken(t, "LIM", "auditora", accounts.RoleAuditor)
		return tok
	}()
	q := closedQuarter(ts)
	ts.seedMix(t, worker, q)
	ts.mustCreateCase(t, worker, func(in map[string]any) { // no statistics consent: never counts
		in["incident"].(map[string]any)["date"] = dayIn(q)
		in["consent"].(map[string]any)["statistics"] = false
	})

	t.Run("NotReleasedYet", func(t *testing.T) {
		for _, path := range []string{"/api/v1/stats?by=perpetrator&quarter=" + q, "/api/v1/stats"} {
			st, body := ts.do(t, http.MethodGet, path, advocate, nil)
			wantError(t, st, body, http.StatusNotFound, "not_released")
		}
		st, body := ts.do(t, http.MethodGet, "/api/v1/stats/releases", advocate, nil)
		if st != http.StatusOK || len(body["releases"].([]any)) != 0 {
			t.Errorf("releases before any: %d %v", st, body)
		}
	})

	t.Run("Publish", func(t *testing.T) {
		st, body := ts.do(t, http.MethodPost, "/api/v1/stats/releases", advocate, map[string]any{"period": q})
		wantError(t, st, body, http.StatusForbidden, "forbidden")
		rel := ts.mustPublish(t, coordinator, q)
		if rel["period"] != q || rel["version"] != float64(1) || rel["published_by"] != "coordina" ||
			rel["label"] != stats.PeriodLabel(q, "es") || rel["changed_survivors"] != float64(0) {
			t.Errorf("release = %v", rel)
		}
		if n, _ := rel["hidden_positions"].(float64); n < 1 {
			t.Errorf("hidden_positions = %v, want some (the clients)", rel["hidden_positions"])
		}
	})

	t.Run("AdvocateSeesTheRelease", func(t *testing.T) {
		st, body := ts.do(t, http.MethodGet, "/api/v1/stats?by=perpetrator&lang=en&quarter="+q, advocate, nil)
		if st != http.StatusOK {
			t.Fatalf("advocate: %d %v", st, body)
		}
		if body["internal"] != nil || body["release"].(map[string]any)["version"] != float64(1) {
			t.Errorf("internal %v, release %v", body["internal"], body["release"])
		}
		if g := rowOf(t, body, "total"); g["incidents"] != float64(26) || g["survivors"] != float64(26) {
			t.Errorf("grand total %v, want 26 and 26", g)
		}
		for _, r := range append(body["cells"].([]any), body["totals"].([]any)...) {
			row := r.(map[string]any)
			if row["suppressed"] == true && (row["reason"] != nil || row["incidents"] != nil || row["survivors"] != nil) {
				t.Errorf("a hidden row says more than hidden: %v", row)
			}
		}
		if c := rowOf(t, body, "client"); c["suppressed"] != true {
			t.Errorf("the clients' row is shown: %v", c)
		}
		// The default period is the newest release.
		if st, body := ts.do(t, http.MethodGet, "/api/v1/stats", advocate, nil); st != http.StatusOK || body["release"].(map[string]any)["period"] != q {
			t.Errorf("default period: %d %v", st, body)
		}
		// Another organization's advocate sees none of it.
		st, body = ts.do(t, http.MethodGet, "/api/v1/stats?quarter="+q, calAdvocate, nil)
		wantError(t, st, body, http.StatusNotFound, "not_released")
	})

	t.Run("OnlyWholeQuartersAndTheFamily", func(t *testing.T) {
		first, last := monthsOf(q)
		next, _ := monthsOf(shiftQuarter(q, 1))
		for _, tt := range []struct {
			name, query string
			fields      []string
		}{
			{"ErrMonth", "from=" + first + "&to=" + first, []string{"to"}},
			{"ErrLateMonth", "from=" + last + "&to=" + last, []string{"from"}},
			{"ErrPartialRange", "from=" + q + "&to=" + next, []string{"to"}},
			{"ErrSeveralQuartersNotByQuarter", "from=" + shiftQuarter(q, -1) + "&to=" + q + "&by=perpetrator", []string{"by"}},
			{"ErrByOutsideFamily", "quarter=" + q + "&by=perpetrator,place", []string{"by"}},
			{"ErrThreeDims", "quarter=" + q + "&by=perpetrator,violation,month", []string{"by"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				st, body := ts.do(t, http.MethodGet, "/api/v1/stats?"+tt.query, advocate, nil)
				fields := wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
				for _, f := range tt.fields {
					if fields[f] == nil {
						t.Errorf("no problem on %s: %v", f, fields)
					}
				}
			})
		}
		_, body := ts.do(t, http.MethodGet, "/api/v1/stats?quarter="+q+"&by=place,month", advocate, nil)
		if _, _, fields := errorOf(t, body); !strings.Contains(fmt.Sprint(fields["by"]), "perpetrator,violation") {
			t.Errorf("the problem with by does not list the allowed tables: %v", fields)
		}
		// A two-grouping table of the family.
		if st, body := ts.do(t, http.MethodGet, "/api/v1/stats?quarter="+q+"&by=violation,perpetrator", advocate, nil); st != http.StatusOK {
			t.Errorf("violation × perpetrator: %d %v", st, body)
		}
	})

	t.Run("RefusedPublications", func(t *testing.T) {
		st, body := ts.do(t, http.MethodPost, "/api/v1/stats/releases", coordinator, map[string]any{"period": openQuarter(ts)})
		if fields := wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed"); fields["period"] == nil {
			t.Errorf("open period: no problem on period: %v", fields)
		}
		st, body = ts.do(t, http.MethodPost, "/api/v1/stats/releases", coordinator, map[string]any{"period": "2026-05"})
		if fields := wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed"); fields["period"] == nil {
			t.Errorf("a month: no problem on period: %v", fields)
		}
		st, body = ts.do(t, http.MethodPost, "/api/v1/stats/releases", coordinator, map[string]any{"period": q})
		wantError(t, st, body, http.StatusConflict, "no_change")
		year := fmt.Sprint(ts.Clock.Now().Year() - 1)
		st, body = ts.do(t, http.MethodPost, "/api/v1/stats/releases", coordinator, map[string]any{"period": year})
		wantError(t, st, body, http.StatusConflict, "quarters_not_released")
		st, body = ts.do(t, http.MethodPost, "/api/v1/stats/releases", coordinator, `{"period": "`+q+`", "k": 2}`)
		wantError(t, st, body, http.StatusBadRequest, "malformed_request")
	})

	t.Run("Revision", func(t *testing.T) {
		ts.seedCases(t, worker, q, "LUPE", 2, nil)
		st, body := ts.do(t, http.MethodPost, "/api/v1/stats/releases", coordinator, map[string]any{"period": q})
		wantError(t, st, body, http.StatusConflict, "too_few_changes")
		if _, msg, _ := errorOf(t, body); !strings.Contains(msg, "3 more") {
			t.Errorf("too_few_changes does not say how many more: %q", msg)
		}
		// Until the revision, advocates see version 1 unchanged.
		if _, body := ts.do(t, http.MethodGet, "/api/v1/stats?quarter="+q, advocate, nil); rowOf(t, body, "total")["incidents"] != float64(26) {
			t.Errorf("the release moved before a revision: %v", body)
		}
		ts.seedCases(t, worker, q, "CARM", 3, nil)
		rel := ts.mustPublish(t, coordinator, q)
		if rel["version"] != float64(2) || rel["changed_survivors"] != float64(5) {
			t.Errorf("revision = %v, want version 2 with 5 survivors changed", rel)
		}
		_, body = ts.do(t, http.MethodGet, "/api/v1/stats?quarter="+q, advocate, nil)
		if body["release"].(map[string]any)["version"] != float64(2) || rowOf(t, body, "total")["incidents"] != float64(31) {
			t.Errorf("advocates after the revision: %v", body)
		}
		// Superseded versions and the live numbers are for coordinators.
		for _, path := range []string{"/api/v1/stats?source=release&version=1&quarter=" + q, "/api/v1/stats?source=live"} {
			st, body := ts.do(t, http.MethodGet, path, advocate, nil)
			wantError(t, st, body, http.StatusForbidden, "forbidden")
		}
		st, body = ts.do(t, http.MethodGet, "/api/v1/stats?source=release&version=1&by=perpetrator&quarter="+q, coordinator, nil)
		if st != http.StatusOK || body["release"].(map[string]any)["version"] != float64(1) {
			t.Fatalf("coordinator reads version 1: %d %v", st, body)
		}
		if c := rowOf(t, body, "client"); c["suppressed"] != true || c["reason"] == nil {
			t.Errorf("a coordinator sees why a released number is hidden; got %v", c)
		}
		st, body = ts.do(t, http.MethodGet, "/api/v1/stats/releases?lang=en", advocate, nil)
		list, _ := body["releases"].([]any)
		if st != http.StatusOK || len(list) != 2 || list[0].(map[string]any)["version"] != float64(2) ||
			list[0].(map[string]any)["latest"] != true || list[0].(map[string]any)["label"] != stats.PeriodLabel(q, "en") {
			t.Errorf("releases: %d %v", st, body)
		}
	})

	t.Run("CoordinatorLiveNumbers", func(t *testing.T) {
		st, body := ts.do(t, http.MethodGet, "/api/v1/stats?by=perpetrator&quarter="+q, coordinator, nil)
		if st != http.StatusOK || body["internal"] != true || body["release"] != nil {
			t.Fatalf("coordinator: %d %v", st, body)
		}
		if c := rowOf(t, body, "client"); c["incidents"] != float64(2) || c["suppressed"] != nil {
			t.Errorf("live clients = %v, want exactly 2", c)
		}
		if !strings.Contains(body["note"].(string), "Uso interno: no publicar") {
			t.Errorf("live note %q lacks the internal mark", body["note"])
		}
		resp, raw := mustSend(t, ts, request{method: http.MethodGet, path: "/api/v1/stats?format=csv&quarter=" + q, token: coordinator})
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), "USO INTERNO: NO PUBLICAR") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "uso-interno") {
			t.Errorf("live CSV: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Disposition"), raw)
		}
	})

	t.Run("Downloads", func(t *testing.T) {
		resp, raw := mustSend(t, ts, request{method: http.MethodGet, path: "/api/v1/stats?by=perpetrator&quarter=" + q, token: advocate,
			header: http.Header{"Accept": {"text/csv"}}})
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !bytes.HasPrefix(raw, []byte("\uFEFF")) {
			t.Errorf("the CSV does not start with a byte-order mark: %q", raw[:min(len(raw), 8)])
		}
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\uFEFF"))))
		cr.FieldsPerRecord = -1
		recs, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if last := recs[len(recs)-1]; last[0] != "Total" || last[1] != "31" || last[2] != "31" {
			t.Errorf("CSV grand total row = %v", last)
		}
		if s := string(raw); !strings.Contains(s, "oculto") || strings.Contains(s, "Motivo") ||
			strings.Contains(s, "Fue detenida") || strings.Contains(s, "INTERNO") {
			t.Errorf("the advocate's CSV gives a reason, case text or the internal mark:\n%s", s)
		}
		resp, raw = mustSend(t, ts, request{method: http.MethodGet, path: "/api/v1/stats?format=xlsx&by=perpetrator&quarter=" + q, token: advocate})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("XLSX: %d %s", resp.StatusCode, raw)
		}
		f, err := excelize.OpenReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("XLSX does not open: %v", err)
		}
		sheets := f.GetSheetList()
		if want := 1 + len(stats.FamilyTables()); len(sheets) != want || sheets[0] != "Notas" {
			t.Fatalf("XLSX sheets %v: want the notes and %d tables", sheets, want-1)
		}
		rows, _ := f.GetRows(sheets[1]) // the grand total
		if last := rows[len(rows)-1]; last[0] != "Total" || last[1] != "31" {
			t.Errorf("XLSX grand total row = %v", last)
		}
		notes, _ := f.GetRows("Notas")
		if !strings.Contains(fmt.Sprint(notes), "Método") {
			t.Errorf("the notes sheet lacks the method: %v", notes)
		}
		for _, s := range sheets[1:] {
			rows, _ := f.GetRows(s)
			if strings.Contains(fmt.Sprint(rows), "Motivo") || strings.Contains(fmt.Sprint(rows), "protege otra") {
				t.Errorf("sheet %s gives advocates a reason: %v", s, rows)
			}
		}
	})

	t.Run("Trend", func(t *testing.T) {
		prev := shiftQuarter(q, -1)
		st, body := ts.do(t, http.MethodGet, "/api/v1/stats?by=quarter&from="+prev+"&to="+q, advocate, nil)
		wantError(t, st, body, http.StatusNotFound, "not_released")
		ts.seedCases(t, worker, prev, "ANPE", 6, nil)
		ts.mustPublish(t, coordinator, prev)
		st, body = ts.do(t, http.MethodGet, "/api/v1/stats?by=quarter&from="+prev+"&to="+q, advocate, nil)
		if st != http.StatusOK {
			t.Fatalf("trend: %d %v", st, body)
		}
		if cells := body["cells"].([]any); len(cells) != 2 || rowOf(t, body, prev)["incidents"] != float64(6) || rowOf(t, body, q)["incidents"] != float64(31) {
			t.Errorf("trend cells: %v", cells)
		}
		if tot := body["totals"].([]any); len(tot) != 1 || tot[0].(map[string]any)["suppressed"] != true || tot[0].(map[string]any)["incidents"] != nil {
			t.Errorf("the trend's range total is shown: %v", tot)
		}
	})

	t.Run("AccessLog", func(t *testing.T) {
		entries := auditEntries(t, ts, "LIM", "stats.publish")
		ok, refused := 0, 0
		for _, e := range entries {
			switch e.Outcome {
			case "ok":
				ok++
			case "invalid":
				refused++
			}
		}
		if ok != 3 || refused < 4 {
			t.Errorf("stats.publish entries: %d ok, %d refused; want 3 and at least 4", ok, refused)
		}
		reads := fmt.Sprint(auditEntries(t, ts, "LIM", "stats.read"))
		for _, want := range []string{"release " + q + " v1 by=perpetrator json", "live " + q + " by=perpetrator json", "trend "} {
			if !strings.Contains(reads, want) {
				t.Errorf("no stats.read entry %q in %s", want, reads)
			}
		}
		exports := auditEntries(t, ts, "LIM", "stats.export")
		if len(exports) != 3 || !strings.Contains(fmt.Sprint(exports), "release "+q+" v2 by=perpetrator xlsx") {
			t.Errorf("stats.export entries: %v, want 3 (two CSV, one XLSX)", exports)
		}
		st, body := ts.do(t, http.MethodGet, "/api/v1/audit?action=stats.publish", auditor, nil)
		if st != http.StatusOK || len(body["entries"].([]any)) == 0 {
			t.Errorf("the auditor's view of publications: %d %v", st, body)
		}
	})
}

// TestStatsYearRelease: a year is published once its four quarters are, and read as
// from=Q1&to=Q4; its quarter table agrees with its quarters.
func TestStatsYearRelease(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, worker := ts.mustUserToken(t, "LIM", "promotora", accounts.RoleOutreach)
	_, advocate := ts.mustUserToken(t, "LIM", "vocera", accounts.RoleAdvocate)
	_, coordinator := ts.mustUserToken(t, "LIM", "coordina", accounts.RoleCoordinator)
	year := fmt.Sprint(ts.Clock.Now().Year() - 1)
	ts.seedCases(t, worker, year+"-Q2", "MAJO", 6, nil)
	for _, q := range stats.QuartersOf(year) {
		ts.mustPublish(t, coordinator, q)
	}
	rel := ts.mustPublish(t, coordinator, year)
	if rel["label"] != "Año "+year {
		t.Errorf("year label %v", rel["label"])
	}
	st, body := ts.do(t, http.MethodGet, "/api/v1/stats?by=quarter&from="+year+"-Q1&to="+year+"-Q4", advocate, nil)
	if st != http.StatusOK || body["release"].(map[string]any)["period"] != year {
		t.Fatalf("the year: %d %v", st, body)
	}
	if r := rowOf(t, body, year+"-Q2"); r["incidents"] != float64(6) {
		t.Errorf("the year's second quarter: %v", r)
	}
}

// TestStatsFollowEdits: the coordinator's live numbers follow an edit that moves a
// case to another quarter and an erasure at once, and stay exact however small.
func TestStatsFollowEdits(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, coordinator := ts.mustUserToken(t, "LIM", "coordina", accounts.RoleCoordinator)
	q := closedQuarter(ts)
	var ids []string
	for i := range 7 {
		ids = append(ids, ts.mustCreateCase(t, coordinator, func(in map[string]any) {
			in["uic"] = fmt.Sprintf("ROSA%02d90", i+1)
			in["incident"].(map[string]any)["date"] = dayIn(q)
		}))
	}
	grand := func() map[string]any {
		t.Helper()
		st, body := ts.do(t, http.MethodGet, "/api/v1/stats?quarter="+q, coordinator, nil)
		if st != http.StatusOK {
			t.Fatalf("stats: %d %v", st, body)
		}
		return rowOf(t, body, "total")
	}
	if g := grand(); g["survivors"] != float64(7) {
		t.Fatalf("grand total %v, want 7 survivors", g)
	}
	st, body := ts.do(t, http.MethodPatch, "/api/v1/cases/"+ids[0], coordinator, map[string]any{
		"version": ts.version(ids[0]), "incident": map[string]any{"date": dayIn(shiftQuarter(q, -4))}})
	if st != http.StatusOK {
		t.Fatalf("move a case a year back: %d %v", st, body)
	}
	for _, id := range ids[1:4] {
		if st, body := ts.do(t, http.MethodDelete, "/api/v1/cases/"+id, coordinator, nil); st != http.StatusNoContent {
			t.Fatalf("erase: %d %v", st, body)
		}
	}
	if g := grand(); g["survivors"] != float64(3) || g["incidents"] != float64(3) || g["suppressed"] != nil {
		t.Fatalf("after a move and three erasures the live grand total is %v, want exactly 3 and 3", g)
	}
}
