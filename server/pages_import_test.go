package server_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"registro/accounts"
	"registro/cases"
	"registro/server"
)

// sampleRegistry is the made-up old registry of ../shared/data, copied for the tests.
const sampleRegistry = "../imports/testdata/registro-antiguo.csv"

// upload sends the import form as a browser does: csrf_token first, then the other
// fields, then the file.
func (w *webSession) upload(tb testing.TB, name string, content []byte, fields map[string]string) (*http.Response, string) {
	tb.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if w.csrf != "" {
		_ = mw.WriteField("csrf_token", w.csrf)
	}
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, w.ts.URL+"/import", &body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := w.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res, string(raw)
}

var jobState = regexp.MustCompile(`data-state="([a-z]+)"`)

// awaitJob reloads the job's page until its run ends, and returns the page.
func (w *webSession) awaitJob(tb testing.TB, path string) string {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, body := w.get(tb, path)
		if st != http.StatusOK {
			tb.Fatalf("GET %s: %d\n%s", path, st, body)
		}
		m := jobState.FindStringSubmatch(body)
		if m == nil {
			tb.Fatalf("GET %s: no state\n%s", path, body)
		}
		if m[1] != "checking" && m[1] != "importing" {
			if !strings.Contains(body, `http-equiv="refresh"`) {
				return body
			}
			tb.Fatalf("the page of a finished run still refreshes itself")
		}
		if !strings.Contains(body, `http-equiv="refresh"`) {
			tb.Fatalf("the page of a running import does not refresh itself")
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the import at %s did not finish", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func countOf(tb testing.TB, page, name string) int {
	tb.Helper()
	m := regexp.MustCompile(`data-count="` + name + `">(\d+)<`).FindStringSubmatch(page)
	if m == nil {
		tb.Fatalf("no %s count on the page", name)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestImportPage follows a coordinator through the page: the check stores nothing,
// the report holds every row, a changed mapping is checked again, the import stores
// the ready rows, and the same file sent again creates nothing. The attacker here
// holds the temporary directory while the upload waits: she finds no narrative in it.
func TestImportPage(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	ts := newTestServer(t, func(d *server.Deps) { d.TempDir = tmp })
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	_, coord := ts.webUser(t, "LIM", "coord", accounts.RoleCoordinator)
	_, other := ts.webUser(t, "LIM", "coord2", accounts.RoleCoordinator)
	_, worker := ts.webUser(t, "LIM", "worker", accounts.RoleOutreach)
	file, err := os.ReadFile(sampleRegistry)
	if err != nil {
		t.Fatal(err)
	}

	if st, _ := worker.get(t, "/import"); st != http.StatusForbidden {
		t.Errorf("a worker opens the import page: %d, want 403", st)
	}
	if st, body := coord.get(t, "/import"); st != http.StatusOK || !strings.Contains(body, `enctype="multipart/form-data"`) {
		t.Fatalf("import page: %d\n%s", st, body)
	}
	// Without its token first, the upload is refused before the file is read.
	token := coord.csrf
	coord.csrf = ""
	if res, _ := coord.upload(t, "registro.csv", file, map[string]string{"statement": "x"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("an upload without the CSRF token: %d, want 403", res.StatusCode)
	}
	coord.csrf = token

	// Bad input: the form again, every problem named at its field, nothing kept.
	res, body := coord.upload(t, "registro.pdf", file, map[string]string{"statement": ""})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Debe ser un archivo CSV o Excel (.xlsx).") ||
		!strings.Contains(body, "Este dato es obligatorio.") {
		t.Errorf("an upload with two problems: %d\n%s", res.StatusCode, body)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("a refused upload left %d files behind", len(entries))
	}
	res, body = coord.upload(t, "registro.csv", file, map[string]string{"statement": "Solo registro."})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", res.StatusCode, body)
	}
	job := res.Header.Get("Location")
	page := coord.awaitJob(t, job)
	if got := countOf(t, page, "ready") + countOf(t, page, "problems") + countOf(t, page, "duplicates") + countOf(t, page, "minors"); got != 40 {
		t.Errorf("the check accounts for %d rows, want the file's 40", got)
	}
	ready := countOf(t, page, "ready")
	if ready == 0 || countOf(t, page, "minors") == 0 {
		t.Fatalf("ready %d, minors %d: the sample has both\n%s", ready, countOf(t, page, "minors"), page)
	}
	if n := ts.countCases(t, "LIM"); n != 0 {
		t.Fatalf("the check stored %d cases", n)
	}
	// The sealed upload and report wait in the temporary directory: nothing in them
	// reads as the file did.
	entries, _ := os.ReadDir(tmp)
	if len(entries) == 0 {
		t.Fatal("no sealed files in the import's temporary directory")
	}
	for _, e := range entries {
		raw, _ := os.ReadFile(filepath.Join(tmp, e.Name()))
		for _, clear := range []string{"se llevaron su celular", "NTIH2162", "Relato", "PK\x03\x04"} {
			if bytes.Contains(raw, []byte(clear)) {
				t.Errorf("temporary file %s holds %q in clear", e.Name(), clear)
			}
		}
	}
	// Another coordinator of the same organization does not reach this job.
	if st, _ := other.get(t, job); st != http.StatusNotFound {
		t.Errorf("another coordinator opens the job: %d, want 404", st)
	}
	if st, _ := other.get(t, job+"/report"); st != http.StatusNotFound {
		t.Errorf("another coordinator downloads the report: %d, want 404", st)
	}
	for _, action := range []string{"/mapping", "/commit"} {
		if res, _ := other.post(t, job+action, url.Values{"default_place": {"other"}}); res.StatusCode != http.StatusNotFound {
			t.Errorf("another coordinator posts to %s: %d, want 404", action, res.StatusCode)
		}
	}
	// The report: every row, with its status beside its cells.
	rep, err := coord.client.Get(ts.URL + job + "/report")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(rep.Body)
	rep.Body.Close()
	if rep.StatusCode != http.StatusOK || !strings.Contains(rep.Header.Get("Content-Disposition"), "registro-informe.xlsx") {
		t.Fatalf("report: %d %q", rep.StatusCode, rep.Header.Get("Content-Disposition"))
	}
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the report is not an XLSX file: %v", err)
	}
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil || len(rows) != 41 {
		t.Fatalf("report rows: %d, %v; want the header and 40", len(rows), err)
	}

	// A place for the rows without one: more rows are ready.
	form := url.Values{"default_place": {"other"}}
	for i := 0; i < 14; i++ {
		form.Set("col"+strconv.Itoa(i), fieldOfColumn(t, page, i))
	}
	if res, body := coord.post(t, job+"/mapping", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("new mapping: %d\n%s", res.StatusCode, body)
	}
	page = coord.awaitJob(t, job)
	if got := countOf(t, page, "ready"); got <= ready {
		t.Errorf("with a default place %d rows are ready, before %d", got, ready)
	}
	ready = countOf(t, page, "ready")

	if res, body := coord.post(t, job+"/commit", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("commit: %d\n%s", res.StatusCode, body)
	}
	page = coord.awaitJob(t, job)
	if got := countOf(t, page, "imported"); got != ready {
		t.Errorf("imported %d, want the %d ready", got, ready)
	}
	if n := ts.countCases(t, "LIM"); n != ready {
		t.Errorf("the organization has %d cases, want %d", n, ready)
	}

	// The same file again, by the same coordinator: nothing new.
	_, _ = coord.get(t, "/import")
	res, _ = coord.upload(t, "registro.csv", file, map[string]string{"statement": "Solo registro."})
	again := res.Header.Get("Location")
	page = coord.awaitJob(t, again)
	if got := countOf(t, page, "earlier"); got != ready {
		t.Errorf("the second check finds %d rows imported before, want %d\n%s", got, ready, page)
	}
	if res, _ := coord.post(t, again+"/commit", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second commit: %d", res.StatusCode)
	}
	page = coord.awaitJob(t, again)
	if got := countOf(t, page, "imported"); got != 0 {
		t.Errorf("the second import created %d cases", got)
	}
	if n := ts.countCases(t, "LIM"); n != ready {
		t.Errorf("after the second import the organization has %d cases, want %d", n, ready)
	}
	if n := len(auditEntries(t, ts, "LIM", "import.run")); n != 2 {
		t.Errorf("import.run entries: %d, want 2", n)
	}
	for _, line := range strings.Split(ts.Logs.String(), "\n") {
		for _, secret := range []string{"se llevaron su celular", "NTIH2162"} {
			if strings.Contains(line, secret) {
				t.Errorf("a log line holds %q: %s", secret, line)
			}
		}
	}
}

// fieldOfColumn reads the field the page proposes for column i.
func fieldOfColumn(t *testing.T, page string, i int) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<select id="col` + strconv.Itoa(i) + `".*?<option value="([a-z_]+)" selected>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no field chosen for column %d", i)
	}
	return m[1]
}

// countCases counts the organization's live cases.
func (ts *testServer) countCases(tb testing.TB, org string) int {
	tb.Helper()
	all, err := ts.Cases.ListAll(context.Background(), cases.ListQuery{Limit: cases.MaxPage,
		Sources: []cases.Source{{Kind: "org", Org: org}}, Allow: func(cases.Summary) bool { return true }})
	if err != nil {
		tb.Fatal(err)
	}
	return len(all)
}
