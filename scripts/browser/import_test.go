package browser

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// awaitImport reloads the import's page until its run has ended, and returns the
// state it ended in.
func (tb *tab) awaitImport(t *testing.T) string {
	t.Helper()
	path := tb.path(t)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st := eval[string](t, tb, `(document.querySelector("#import-state") || {dataset: {}}).dataset.state || ""`)
		if st != "checking" && st != "importing" && st != "" {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import at %s is still %q", path, st)
		}
		time.Sleep(300 * time.Millisecond)
		tb.open(t, path, 200)
	}
}

func (tb *tab) importCount(t *testing.T, name string) int {
	t.Helper()
	n, err := strconv.Atoi(tb.text(t, `[data-count="`+name+`"]`))
	if err != nil {
		t.Fatalf("count %s: %v", name, err)
	}
	return n
}

// TestImportInBrowser: a coordinator imports the old registry whose perpetrator column
// has a title Registro does not know. The check finds every row without a perpetrator;
// she maps the column and gives a place to the rows without one, checks again, imports,
// and finds the cases in her list.
func TestImportInBrowser(t *testing.T) {
	s, tb := coordinatorSignedIn(t)

	sample, err := os.ReadFile("../../imports/testdata/registro-antiguo.csv")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "registro-2021.csv")
	renamed := strings.Replace(string(sample), ";Agresor;", ";Quién fue;", 1)
	if err := os.WriteFile(file, []byte(renamed), 0o600); err != nil {
		t.Fatal(err)
	}

	tb.follow(t, "open the import from the menu", chromedp.Click(chromedp.CSS(`nav a[href="/import"]`)), 200)
	tb.do(t, "choose the file", chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{file}))
	tb.follow(t, "check the file", chromedp.Click(chromedp.CSS(`#import-upload button[type=submit]`)), 200)
	if st := tb.awaitImport(t); st != "checked" {
		t.Fatalf("the check ended %q", st)
	}
	if ready := tb.importCount(t, "ready"); ready != 0 {
		t.Errorf("%d rows ready with no perpetrator column mapped, want 0", ready)
	}
	if got := tb.text(t, `select[data-column="Quién fue"]`); got != "ignore" {
		t.Errorf("the unknown column is mapped to %q, want ignore", got)
	}
	tb.shot(t, "30-import-checked")

	tb.pick(t, "#import-mapping", eval[string](t, tb, `document.querySelector('select[data-column="Quién fue"]').name`), "perpetrators")
	tb.pick(t, "#import-mapping", "default_place", "other")
	tb.follow(t, "check again", chromedp.Click(chromedp.CSS(`#import-mapping button[type=submit]`)), 200)
	if st := tb.awaitImport(t); st != "checked" {
		t.Fatalf("the second check ended %q", st)
	}
	ready := tb.importCount(t, "ready")
	if ready != 24 || tb.importCount(t, "minors") != 2 {
		t.Errorf("after the mapping %d rows are ready and %d wait as minors; want 24 and 2", ready, tb.importCount(t, "minors"))
	}
	if !tb.exists(t, `#import-minors input[name="minor"]`) || !tb.exists(t, `#import-report`) {
		t.Error("the minors' rows or the report's link are missing")
	}

	tb.follow(t, "import", chromedp.Click(chromedp.CSS(`#import-go`)), 200)
	if st := tb.awaitImport(t); st != "imported" {
		t.Fatalf("the import ended %q", st)
	}
	if got := tb.importCount(t, "imported"); got != ready {
		t.Errorf("%d cases imported, want %d", got, ready)
	}
	tb.shot(t, "31-import-done")
	tb.open(t, "/cases", 200)
	if got := eval[int](t, tb, `document.querySelectorAll("[data-ref]").length`); got != ready {
		t.Errorf("the case list shows %d cases, want %d", got, ready)
	}
	if strings.Contains(s.srv.log.String(), "NTIH2162") || strings.Contains(s.srv.log.String(), "se llevaron su celular") {
		t.Error("the server's log holds a code or a narrative of the file")
	}
}
