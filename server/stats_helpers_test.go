package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// closedQuarter is a quarter that ended before the test clock's now: the one three
// months before the current month in Lima.
func closedQuarter(ts *testServer) string {
	now := ts.Clock.Now().In(time.FixedZone("PET", -5*3600))
	m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -3, 0)
	return fmt.Sprintf("%d-Q%d", m.Year(), (int(m.Month())-1)/3+1)
}

// openQuarter is the quarter of the test clock's now in Lima, which has not ended.
func openQuarter(ts *testServer) string {
	now := ts.Clock.Now().In(time.FixedZone("PET", -5*3600))
	return fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())-1)/3+1)
}

// shiftQuarter moves a quarter ("2026-Q2") by n quarters.
func shiftQuarter(q string, n int) string {
	var y, k int
	fmt.Sscanf(q, "%d-Q%d", &y, &k)
	i := y*4 + k - 1 + n
	return fmt.Sprintf("%d-Q%d", i/4, i%4+1)
}

// dayIn is the 15th of the middle month of a quarter: a day inside it.
func dayIn(q string) string {
	var y, k int
	fmt.Sscanf(q, "%d-Q%d", &y, &k)
	return fmt.Sprintf("%d-%02d-15", y, (k-1)*3+2)
}

// monthsOf are the first and last months of a quarter.
func monthsOf(q string) (first, last string) {
	var y, k int
	fmt.Sscanf(q, "%d-Q%d", &y, &k)
	return fmt.Sprintf("%d-%02d", y, (k-1)*3+1), fmt.Sprintf("%d-%02d", y, k*3)
}

// seedCases records n cases of distinct survivors (UICs prefix+day+85) dated inside
// quarter; change adjusts each input.
func (ts *testServer) seedCases(tb testing.TB, token, quarter, prefix string, n int, change func(map[string]any)) {
	tb.Helper()
	for i := range n {
		ts.mustCreateCase(tb, token, func(in map[string]any) {
			in["uic"] = fmt.Sprintf("%s%02d85", prefix, i+1)
			in["incident"].(map[string]any)["date"] = dayIn(quarter)
			if change != nil {
				change(in)
			}
		})
	}
}

// seedMix records 26 cases of distinct survivors in quarter, in five groups, so that
// a release shows some numbers and hides others: the two clients (robbery, La
// Victoria) are fewer than 5 and hidden, the grand total (26) and the police (18) are
// shown.
func (ts *testServer) seedMix(tb testing.TB, token, quarter string) {
	tb.Helper()
	group := func(perpetrator, violation, district, place string) func(map[string]any) {
		return func(in map[string]any) {
			in["perpetrators"], in["violations"] = []string{perpetrator}, []string{violation}
			in["incident"].(map[string]any)["district"] = district
			in["incident"].(map[string]any)["place"] = place
		}
	}
	ts.seedCases(tb, token, quarter, "MAJO", 7, nil) // police and serenazgo, physical, La Victoria, street
	ts.seedCases(tb, token, quarter, "BEPA", 6, group("police", "extortion", "150132", "venue"))
	ts.seedCases(tb, token, quarter, "ROSA", 2, group("client", "robbery", "150115", "street"))
	ts.seedCases(tb, token, quarter, "DELU", 6, group("serenazgo", "confiscation", "150132", "street"))
	ts.seedCases(tb, token, quarter, "ELMI", 5, group("police", "physical", "150101", "street"))
}

// mustPublish publishes a period through the API as the coordinator whose token is
// given, and returns the release summary.
func (ts *testServer) mustPublish(tb testing.TB, token, period string) map[string]any {
	tb.Helper()
	st, body := ts.do(tb, http.MethodPost, "/api/v1/stats/releases", token, map[string]any{"period": period})
	if st != http.StatusCreated {
		tb.Fatalf("publish %s: status %d, body %v", period, st, body)
	}
	return body
}

// rowOf is the row of a report whose first key has the code (or the grand total for
// "total" when the report has no dimension).
func rowOf(tb testing.TB, report map[string]any, code string) map[string]any {
	tb.Helper()
	for _, list := range []string{"cells", "totals"} {
		for _, r := range report[list].([]any) {
			row := r.(map[string]any)
			key := row["key"].([]any)
			if len(key) == 0 && code == "total" || len(key) > 0 && key[0].(map[string]any)["code"] == code {
				return row
			}
		}
	}
	tb.Fatalf("no row %q in %v", code, report)
	return nil
}
