package server

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"registro/accounts"
	"registro/validation"
)

// catalogueKeys reads every locale file: language → key → file.
func catalogueKeys(t *testing.T) map[string]map[string]string {
	t.Helper()
	files, err := fs.Glob(localeFS, "locales/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no locale files: %v", err)
	}
	keys := map[string]map[string]string{}
	for _, f := range files {
		parts := strings.Split(filepath.Base(f), ".")
		if len(parts) != 3 || !supportedLang(parts[1]) {
			t.Errorf("%s: name it <area>.<es|en>.toml", f)
			continue
		}
		data, _ := localeFS.ReadFile(f)
		m := map[string]any{}
		if err := toml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if keys[parts[1]] == nil {
			keys[parts[1]] = map[string]string{}
		}
		for k, v := range m {
			if _, ok := v.(string); !ok {
				t.Errorf("%s: %q is not a plain string (write keys flat and quoted)", f, k)
			}
			if prev, dup := keys[parts[1]][k]; dup {
				t.Errorf("%s: %q already defined in %s", f, k, prev)
			}
			keys[parts[1]][k] = f
		}
	}
	return keys
}

// TestCatalogueComplete fails when a text exists in one language and not the other,
// or when a page asks for a text the catalogue lacks.
func TestCatalogueComplete(t *testing.T) {
	keys := catalogueKeys(t)
	for _, a := range langs {
		for _, b := range langs {
			var missing []string
			for k := range keys[a] {
				if _, ok := keys[b][k]; !ok {
					missing = append(missing, k)
				}
			}
			sort.Strings(missing)
			for _, k := range missing {
				t.Errorf("%q is in %s (%s) but missing in %s", k, a, keys[a][k], b)
			}
		}
	}
	for _, id := range usedKeys(t) {
		for _, l := range langs {
			if _, ok := keys[l][id]; !ok {
				t.Errorf("%q is used by a page but missing in %s", id, l)
			}
		}
	}
}

var (
	templateKey = regexp.MustCompile(`\.T "([^"]+)"`)
	errorCode   = regexp.MustCompile(`Code: "([a-z_]+)"`)
)

// usedKeys collects the catalogue ids known before any page runs: literal ids in
// templates, every role and every error code. The ids the Go code asks for are
// checked where they are asked for: a missing one is logged, and every server test
// fails on such a log line (newTestServer).
func usedKeys(t *testing.T) []string {
	t.Helper()
	used := map[string]bool{}
	_ = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := templateFS.ReadFile(p)
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return nil
	})
	b, err := os.ReadFile("errors.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range errorCode.FindAllStringSubmatch(string(b), -1) {
		used["error."+m[1]] = true
		used["error."+m[1]+".text"] = true
	}
	for _, r := range []accounts.Role{accounts.RoleOutreach, accounts.RoleCoordinator, accounts.RoleLegal,
		accounts.RoleAdvocate, accounts.RoleAuditor, accounts.RoleAdmin} {
		used["role."+string(r)] = true
	}
	out := make([]string, 0, len(used))
	for k := range used {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestProblemTexts: every problem code has its text in both languages, and the texts
// name the arguments the English text names, no other: a problem is never shown by its
// code, nor with a blank where a number was.
func TestProblemTexts(t *testing.T) {
	var missing []string
	c, err := newCatalogue(func(lang, id string) { missing = append(missing, lang+":"+id) })
	if err != nil {
		t.Fatal(err)
	}
	placeholder := regexp.MustCompile(`\{\{\s*\.([A-Z][a-zA-Z]*)\s*\}\}`)
	names := func(text string) []string {
		var out []string
		for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
		slices.Sort(out)
		return out
	}
	codes := validation.Codes()
	if len(codes) < 50 {
		t.Fatalf("only %d problem codes", len(codes))
	}
	for _, code := range codes {
		eng, _ := validation.EnglishTemplate(code)
		want := names(eng)
		args := []any{}
		for _, n := range want {
			args = append(args, n, "ARG-"+n)
		}
		for _, lang := range langs {
			id := "problem." + string(code)
			if !c.has(lang, id) {
				t.Errorf("%s: no %s", lang, id)
				continue
			}
			got := c.text(lang, id, args...)
			for _, n := range want {
				if !strings.Contains(got, "ARG-"+n) {
					t.Errorf("%s %s = %q: does not show %s", lang, id, got, n)
				}
			}
			if strings.Contains(got, "<no value>") {
				t.Errorf("%s %s = %q: names an argument the problem does not give", lang, id, got)
			}
		}
	}
	if len(missing) != 0 {
		t.Errorf("texts reported missing: %v", missing)
	}
}

// TestCatalogueTexts checks that texts render with their data in both languages.
func TestCatalogueTexts(t *testing.T) {
	var missing []string
	c, err := newCatalogue(func(lang, id string) { missing = append(missing, lang+":"+id) })
	if err != nil {
		t.Fatal(err)
	}
	if got := c.text("es", "home.hello", "Name", "Rosa"); got != "Hola, Rosa" {
		t.Errorf("es home.hello = %q", got)
	}
	if got := c.text("en", "home.hello", "Name", "Rosa"); got != "Hello, Rosa" {
		t.Errorf("en home.hello = %q", got)
	}
	if got := c.problem("es", validation.P(validation.Required)); got != "Este dato es obligatorio." {
		t.Errorf("es problem required = %q", got)
	}
	if got := c.problem("en", validation.P(validation.TooLong, "Max", 120)); got != "Use at most 120 characters." {
		t.Errorf("en problem too_long with Max 120 = %q", got)
	}
	if got := c.problem("es", validation.P(validation.TooLong, "Max", 5000), "cases."); got != "Es demasiado largo: escriba menos de 5000 letras." {
		t.Errorf("es cases' own problem too_long = %q", got)
	}
	if len(missing) != 0 {
		t.Errorf("texts reported missing: %v", missing)
	}
	if got := c.text("en", "no.such.text"); got != "no.such.text" || !slices.Equal(missing, []string{"en:no.such.text"}) {
		t.Errorf("a missing text shows %q and reports %v, want its id, reported once", got, missing)
	}
}
