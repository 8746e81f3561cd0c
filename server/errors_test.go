package server_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"registro/accounts"
	"registro/database"
)

// TestErrors checks that every refused request answers in the one error shape with
// the status of SPEC §5, and that none of them changes what is stored.
func TestErrors(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, token := ts.mustUserToken(t, "LIM", "outreach1", accounts.RoleOutreach)
	id := ts.mustCreateCase(t, token, nil)
	before := ts.storedCase(t, id)
	casePath := "/api/v1/cases/" + id

	invalid := ts.caseInput(func(in map[string]any) {
		in["uic"] = "no es un código"
		in["incident"] = map[string]any{"date": "2999-01-01", "district": "999999", "place": "moon"}
		in["perpetrators"] = []string{"aliens"}
		in["violations"] = []string{}
		in["survivor"] = map[string]any{"age_band": "12-17"}
		in["consent"] = map[string]any{"record": false}
		in["contact"] = "+51 999 000 111"
	})
	huge := ts.caseInput(func(in map[string]any) { in["narrative"] = strings.Repeat("a", 1<<20+10) })

	tests := []struct {
		name         string
		method, path string
		body         any
		wantStatus   int
		wantCode     string
		wantMessage  string   // a part of the message
		wantFields   []string // the fields named, all of them
	}{
		{"MalformedJSON", "POST", "/api/v1/cases", `{"narrative": "x",}`, 400, "malformed_request", "malformed JSON", nil},
		{"TruncatedJSON", "POST", "/api/v1/cases", `{"narrative": `, 400, "malformed_request", "ends too early", nil},
		{"EmptyBody", "POST", "/api/v1/cases", ``, 400, "malformed_request", "empty", nil},
		{"TwoValues", "POST", "/api/v1/cases", `{} {}`, 400, "malformed_request", "more than one JSON value", nil},
		{"NotAnObject", "POST", "/api/v1/cases", `[1, 2]`, 400, "malformed_request", "", nil},
		{"UnknownField", "POST", "/api/v1/cases", `{"bogus_field": 1}`, 400, "malformed_request", `"bogus_field"`, nil},
		{"UnknownNestedField", "PATCH", casePath, `{"version": 1, "incident": {"zone": "x"}}`, 400, "malformed_request", `"zone"`, nil},
		{"WrongType", "POST", "/api/v1/cases", `{"narrative": 5}`, 400, "malformed_request", `"narrative"`, nil},
		{"WrongNestedType", "PATCH", casePath, `{"version": "1"}`, 400, "malformed_request", `"version"`, nil},
		{"WrongTypeFollowup", "POST", casePath + "/followups", `{"note": ["a"]}`, 400, "malformed_request", `"note"`, nil},
		{"InvalidValues", "POST", "/api/v1/cases", invalid, 422, "validation_failed", "", []string{
			"consent.record", "contact", "incident.date", "incident.district", "incident.place",
			"perpetrators", "survivor.age_band", "uic", "violations",
		}},
		{"TooLarge", "POST", "/api/v1/cases", huge, 413, "too_large", "", nil},
		{"TooLargePatch", "PATCH", casePath, map[string]any{"version": 1, "narrative": strings.Repeat("b", 1<<20)}, 413, "too_large", "", nil},
		{"UnknownCase", "GET", "/api/v1/cases/" + uuid.NewString(), nil, 404, "not_found", "", nil},
		{"NotAnID", "GET", "/api/v1/cases/not-an-id", nil, 404, "not_found", "", nil},
		{"UnknownCasePatch", "PATCH", "/api/v1/cases/" + uuid.NewString(), `{"version": 1}`, 404, "not_found", "", nil},
		{"UnknownRoute", "GET", "/api/v1/nothing-here", nil, 404, "not_found", "", nil},
		{"MethodNotAllowed", "PUT", casePath, `{}`, 405, "method_not_allowed", "", nil},
		{"MissingVersion", "PATCH", casePath, `{"narrative": "otra"}`, 422, "validation_failed", "", []string{"version"}},
		{"InvalidPatch", "PATCH", casePath, map[string]any{
			"version": 1, "narrative": "cambiada", "incident": map[string]any{"district": "999999"},
			"response": map[string]any{"status": "closed"},
		}, 422, "validation_failed", "", []string{"incident.district", "response.outcome"}},
		{"InvalidUIC", "PATCH", casePath, `{"version": 1, "uic": "??"}`, 422, "validation_failed", "", []string{"uic"}},
		{"EmptyFollowup", "POST", casePath + "/followups", `{"note": ""}`, 422, "validation_failed", "", []string{"note"}},
		{"FutureFollowup", "POST", casePath + "/followups", `{"note": "x", "date": "2999-01-01"}`, 422, "validation_failed", "", []string{"date"}},
		{"InvalidListFilters", "GET", "/api/v1/cases?district=xx&limit=0&from=2026-13-01&status=lost", nil, 422, "validation_failed", "",
			[]string{"district", "from", "limit", "status"}},
		{"InvalidCursor", "GET", "/api/v1/cases?cursor=zzz", nil, 422, "validation_failed", "", []string{"cursor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := ts.do(t, tt.method, tt.path, token, tt.body)
			fields := wantError(t, st, body, tt.wantStatus, tt.wantCode)
			if _, msg, _ := errorOf(t, body); !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("message %q does not contain %q", msg, tt.wantMessage)
			}
			var got []string
			for f := range fields {
				got = append(got, f)
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.wantFields, got); diff != "" {
				t.Errorf("fields named (-want +got):\n%s\n(fields %v)", diff, fields)
			}
		})
	}

	t.Run("RejectedRequestsChangeNothing", func(t *testing.T) {
		if diff := cmp.Diff(before, ts.storedCase(t, id)); diff != "" {
			t.Errorf("stored case changed by rejected requests (-before +after):\n%s", diff)
		}
		if _, ids := ts.listIDs(t, token); !slices.Equal(ids, []string{id}) {
			t.Errorf("cases after rejected creations = %v, want only %s", ids, id)
		}
		// A rejected creation takes no reference: the numbering has no gap.
		next := ts.mustCreateCase(t, token, nil)
		ref := ts.storedCase(t, next).Ref
		if want := before.Ref[:len(before.Ref)-5] + "00002"; ref != want {
			t.Errorf("reference after rejected creations = %s, want %s (first was %s)", ref, want, before.Ref)
		}
	})

	t.Run("StaleVersion", func(t *testing.T) {
		v := ts.version(id)
		st, body := ts.do(t, http.MethodPatch, casePath, token, map[string]any{"version": v, "survivor": map[string]any{"age_band": "25-34"}})
		if st != http.StatusOK {
			t.Fatalf("update: status %d, body %v", st, body)
		}
		current := ts.storedCase(t, id)
		st, body = ts.do(t, http.MethodPatch, casePath, token, map[string]any{"version": v, "narrative": "sobrescrita"})
		wantError(t, st, body, http.StatusConflict, "version_conflict")
		if diff := cmp.Diff(current, ts.storedCase(t, id)); diff != "" {
			t.Errorf("stored case changed by a stale update (-before +after):\n%s", diff)
		}
	})

	t.Run("Idempotency", func(t *testing.T) {
		in := ts.caseInput(func(in map[string]any) { in["narrative"] = "enviado dos veces por mala señal" })
		key := http.Header{"Idempotency-Key": {"e7b3c1f0-retry"}}
		resp, raw := mustSend(t, ts, request{method: "POST", path: "/api/v1/cases", token: token, body: in, header: key})
		first := decodeObject(t, raw)
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: status %d, Idempotent-Replayed %q, body %v", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), first)
		}
		resp, raw = mustSend(t, ts, request{method: "POST", path: "/api/v1/cases", token: token, body: in, header: key})
		again := decodeObject(t, raw)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: status %d, Idempotent-Replayed %q; want 200 and true", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"))
		}
		if again["id"] != first["id"] || again["ref"] != first["ref"] {
			t.Errorf("replay answered case %v (%v), want %v (%v)", again["id"], again["ref"], first["id"], first["ref"])
		}
		in["narrative"] = "otro relato"
		resp, raw = mustSend(t, ts, request{method: "POST", path: "/api/v1/cases", token: token, body: in, header: key})
		wantError(t, resp.StatusCode, decodeObject(t, raw), http.StatusUnprocessableEntity, "idempotency_key_reused")
		resp, raw = mustSend(t, ts, request{method: "POST", path: "/api/v1/cases", token: token, body: in,
			header: http.Header{"Idempotency-Key": {strings.Repeat("k", 201)}}})
		fields := wantError(t, resp.StatusCode, decodeObject(t, raw), http.StatusUnprocessableEntity, "validation_failed")
		if _, ok := fields["Idempotency-Key"]; !ok {
			t.Errorf("an over-long key: fields %v, want Idempotency-Key named", fields)
		}
		_, ids := ts.listIDs(t, token)
		if n := len(ids); n != 3 {
			t.Errorf("%d cases after the retries, want 3", n)
		}
	})

	t.Run("HealthAndHeaders", func(t *testing.T) {
		if st, body := ts.do(t, http.MethodGet, "/healthz", "", nil); st != http.StatusOK || body["status"] != "ok" {
			t.Errorf("/healthz: %d %v", st, body)
		}
		if st, body := ts.do(t, http.MethodGet, "/readyz", "", nil); st != http.StatusOK {
			t.Errorf("/readyz: %d %v", st, body)
		}
		resp, _ := mustSend(t, ts, request{method: "GET", path: casePath, token: token})
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("header %s = %q, want %q", h, got, want)
			}
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("no X-Request-Id header")
		}
	})
}

// TestDatabaseDown disconnects the server's own database and expects 503 where the
// database is needed, and a live /healthz.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	// A store of its own: the one dbtest shares must stay up for the other tests.
	dir := t.TempDir()
	db, err := database.Open(context.Background(), database.Options{DataDir: dir, Name: "registro_down"})
	if err != nil {
		t.Fatalf("database.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	ts := newTestServerOn(t, db)
	ts.mustOrg(t, "LIM")
	_, token := ts.mustUserToken(t, "LIM", "outreach1", accounts.RoleOutreach)
	id := ts.mustCreateCase(t, token, nil)
	if st, _ := ts.do(t, http.MethodGet, "/readyz", "", nil); st != http.StatusOK {
		t.Fatalf("/readyz with the database up: %d", st)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.Client.Disconnect(ctx); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	for _, r := range []request{
		{method: "GET", path: "/readyz"},
		{method: "GET", path: "/api/v1/cases/" + id, token: token},
		{method: "GET", path: "/api/v1/cases", token: token},
		{method: "POST", path: "/api/v1/cases", token: token, body: ts.caseInput(nil)},
		{method: "POST", path: "/api/v1/login", body: map[string]string{"username": "outreach1", "password": passwordOf("outreach1")}},
	} {
		resp, raw := mustSend(t, ts, r)
		wantError(t, resp.StatusCode, decodeObject(t, raw), http.StatusServiceUnavailable, "database_unavailable")
	}
	if st, _ := ts.do(t, http.MethodGet, "/healthz", "", nil); st != http.StatusOK {
		t.Errorf("/healthz with the database down: %d, want 200", st)
	}
}
