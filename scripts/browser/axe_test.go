package browser

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// axe-core, the accessibility engine of Deque (MPL-2.0), checks the pages a phone keeps
// for offline use. It is fetched from the npm registry once, checked against the
// registry's SHA-1 of the pinned release, and kept in the user's cache directory.
const (
	axeVersion = "4.14.1"
	axeSHA1    = "14d8a6f3f085afd126b8b5ca1e42e50e17fb1d99" // of axe-core-4.14.1.tgz
	axeURL     = "https://registry.npmjs.org/axe-core/-/axe-core-" + axeVersion + ".tgz"
)

// axeSource returns axe.min.js, or skips (fails when the browser tests are required)
// when it cannot be had.
func axeSource(t *testing.T) string {
	t.Helper()
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "registro-tests", "axe-core-"+axeVersion+".min.js")
	if b, err := os.ReadFile(path); err == nil {
		return string(b)
	}
	src, err := fetchAxe()
	if err != nil {
		if os.Getenv("REGISTRO_BROWSER_REQUIRED") != "" {
			t.Fatalf("axe-core %s: %v", axeVersion, err)
		}
		t.Skipf("axe-core %s cannot be fetched (%v): the accessibility check of the offline pages is skipped", axeVersion, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
		_ = os.WriteFile(path, []byte(src), 0o644)
	}
	return src
}

func fetchAxe() (string, error) {
	client := &http.Client{Timeout: 60 * time.Second}
	res, err := client.Get(axeURL)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", axeURL, res.Status)
	}
	tgz, err := io.ReadAll(io.LimitReader(res.Body, 20<<20))
	if err != nil {
		return "", err
	}
	if sum := sha1.Sum(tgz); hex.EncodeToString(sum[:]) != axeSHA1 {
		return "", fmt.Errorf("%s: SHA-1 %x, want %s", axeURL, sum, axeSHA1)
	}
	zr, err := gzip.NewReader(strings.NewReader(string(tgz)))
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return "", fmt.Errorf("axe.min.js not in %s: %w", axeURL, err)
		}
		if h.Name == "package/axe.min.js" {
			b, err := io.ReadAll(tr)
			return string(b), err
		}
	}
}

// axeViolation is one rule axe found broken on a page.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAxe runs axe-core on the page open in tb (WCAG 2 A and AA rules) and fails the
// test for every violation.
func checkAxe(t *testing.T, tb *tab, src, what string) {
	t.Helper()
	for _, v := range axeViolations(t, tb, src) {
		t.Errorf("axe on %s: %s", what, v)
	}
}

// axeViolations runs axe-core on the page open in tb and describes each violation.
func axeViolations(t *testing.T, tb *tab, src string) []string {
	t.Helper()
	eval[bool](t, tb, `(function () { if (!window.axe) { `+src+` } return true; })()`)
	raw := eval[string](t, tb, `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
  .then(function (r) { return JSON.stringify(r.violations); })`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatalf("axe: %v", err)
	}
	var out []string
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...))
		}
		out = append(out, fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(where, ", ")))
	}
	return out
}
