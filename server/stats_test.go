package server_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"registro/accounts"
)

// TestStats: an advocate downloads the quarter's suppressed table as JSON, CSV and
// XLSX; only cases with statistics consent count; other roles are refused.
func TestStats(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, worker := ts.mustUserToken(t, "LIM", "promotora", accounts.RoleOutreach)
	_, advocate := ts.mustUserToken(t, "LIM", "vocera", accounts.RoleAdvocate)
	_, coordinator := ts.mustUserToken(t, "LIM", "coordina", accounts.RoleCoordinator)
	_, auditor := ts.mustUserToken(t, "LIM", "auditora", accounts.RoleAuditor)
	day := ts.Clock.Now().AddDate(0, 0, -20)
	quarter := fmt.Sprintf("%d-Q%d", day.Year(), (int(day.Month())-1)/3+1)
	for i := range 7 {
		ts.mustCreateCase(t, worker, func(in map[string]any) {
			in["uic"] = fmt.Sprintf("MAJO%02d85", i+1)
			in["incident"].(map[string]any)["date"] = day.Format(time.DateOnly)
		})
	}
	// Without statistics consent: must not count.
	ts.mustCreateCase(t, worker, func(in map[string]any) {
		in["incident"].(map[string]any)["date"] = day.Format(time.DateOnly)
		in["consent"].(map[string]any)["statistics"] = false
	})

	st, body := ts.do(t, http.MethodGet, "/api/v1/stats?by=perpetrator&quarter="+quarter+"&lang=en", advocate, nil)
	if st != http.StatusOK {
		t.Fatalf("advocate stats: %d %v", st, body)
	}
	var grand map[string]any
	for _, r := range body["totals"].([]any) {
		if row := r.(map[string]any); row["key"].([]any)[0].(map[string]any)["code"] == "total" {
			grand = row
		}
	}
	if grand == nil || grand["incidents"] != float64(7) || grand["survivors"] != float64(7) {
		t.Fatalf("grand total = %v, want 7 incidents and 7 survivors", grand)
	}
	if body["threshold"] != float64(5) || body["period_label"] != quarter {
		t.Errorf("threshold %v, period %v", body["threshold"], body["period_label"])
	}
	if st, _ := ts.do(t, http.MethodGet, "/api/v1/stats?quarter="+quarter, coordinator, nil); st != http.StatusOK {
		t.Errorf("coordinator: %d, want 200", st)
	}
	for name, token := range map[string]string{"outreach": worker, "auditor": auditor} {
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/stats", token, nil); st != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, st)
		}
	}
	st, body = ts.do(t, http.MethodGet, "/api/v1/stats?by=colour,district,district&format=pdf&lang=fr&quarter=2026-Q9", advocate, nil)
	fields := wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	for _, f := range []string{"by", "format", "lang", "quarter"} {
		if fields[f] == nil {
			t.Errorf("no error on %s: %v", f, fields)
		}
	}

	resp, raw := mustSend(t, ts, request{method: http.MethodGet, path: "/api/v1/stats?by=perpetrator&quarter=" + quarter, token: advocate,
		header: http.Header{"Accept": {"text/csv"}}})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if last := recs[len(recs)-1]; last[0] != "Total" || last[1] != "7" || last[2] != "7" {
		t.Errorf("CSV grand total row = %v", last)
	}
	if !strings.Contains(string(raw), "k = 5") || strings.Contains(string(raw), "Fue detenida") {
		t.Errorf("CSV lacks the threshold note or holds case text:\n%s", raw)
	}
	resp, raw = mustSend(t, ts, request{method: http.MethodGet, path: "/api/v1/stats?format=xlsx&by=perpetrator&quarter=" + quarter, token: advocate})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("XLSX: %d", resp.StatusCode)
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("XLSX does not open: %v", err)
	}
	rows, _ := f.GetRows(f.GetSheetName(0))
	if last := rows[len(rows)-1]; last[0] != "Total" || last[1] != "7" {
		t.Errorf("XLSX grand total row = %v", last)
	}

	st, body = ts.do(t, http.MethodGet, "/api/v1/audit?action=stats.export", auditorOf(t, ts), nil)
	if st != http.StatusOK || len(body["entries"].([]any)) != 2 {
		t.Errorf("stats exports in the access log: %d %v", st, body)
	}
}

func auditorOf(t *testing.T, ts *testServer) string {
	return ts.login(t, "auditora", passwordOf("auditora"))
}

// TestStatsFollowEdits: an edit moving a case to another quarter and an erasure take
// it out of the quarter's table at once.
func TestStatsFollowEdits(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, coordinator := ts.mustUserToken(t, "LIM", "coordina", accounts.RoleCoordinator)
	day := ts.Clock.Now().AddDate(0, 0, -20)
	quarter := fmt.Sprintf("%d-Q%d", day.Year(), (int(day.Month())-1)/3+1)
	var ids []string
	for i := range 7 {
		ids = append(ids, ts.mustCreateCase(t, coordinator, func(in map[string]any) {
			in["uic"] = fmt.Sprintf("ROSA%02d90", i+1)
			in["incident"].(map[string]any)["date"] = day.Format(time.DateOnly)
		}))
	}
	grand := func() map[string]any {
		t.Helper()
		st, body := ts.do(t, http.MethodGet, "/api/v1/stats?quarter="+quarter, coordinator, nil)
		if st != http.StatusOK {
			t.Fatalf("stats: %d %v", st, body)
		}
		return body["totals"].([]any)[0].(map[string]any)
	}
	if g := grand(); g["survivors"] != float64(7) {
		t.Fatalf("grand total %v, want 7 survivors", g)
	}
	st, body := ts.do(t, http.MethodPatch, "/api/v1/cases/"+ids[0], coordinator, map[string]any{
		"version": ts.version(ids[0]), "incident": map[string]any{"date": day.AddDate(-1, 0, 0).Format(time.DateOnly)}})
	if st != http.StatusOK {
		t.Fatalf("move a case a year back: %d %v", st, body)
	}
	if st, body := ts.do(t, http.MethodDelete, "/api/v1/cases/"+ids[1], coordinator, nil); st != http.StatusNoContent {
		t.Fatalf("erase: %d %v", st, body)
	}
	if g := grand(); g["survivors"] != float64(5) || g["incidents"] != float64(5) {
		t.Fatalf("after a move and an erasure the grand total is %v, want 5 and 5", g)
	}
	if _, _, err := ts.try(http.MethodDelete, "/api/v1/cases/"+ids[2], coordinator, nil); err != nil {
		t.Fatal(err)
	}
	if g := grand(); g["suppressed"] != true || g["reason"] != "primary" || g["survivors"] != nil {
		t.Fatalf("with 4 survivors the grand total is %v, want it suppressed", g)
	}
}
