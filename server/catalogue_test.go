package server

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"registro/accounts"
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
	for _, id := range usedKeys(t, keys["es"]) {
		for _, l := range langs {
			if _, ok := keys[l][id]; !ok {
				t.Errorf("%q is used by a page but missing in %s", id, l)
			}
		}
	}
}

var (
	templateKey = regexp.MustCompile(`\.T "([^"]+)"`)
	goLiteral   = regexp.MustCompile(`"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)
	errorCode   = regexp.MustCompile(`Code: "([a-z_]+)"`)
)

// usedKeys collects the catalogue ids the pages use: literal ids in templates, string
// literals in the server's Go code that start with a catalogue area, every role and
// every error code.
func usedKeys(t *testing.T, known map[string]string) []string {
	t.Helper()
	areas := map[string]bool{}
	for k := range known {
		areas[strings.SplitN(k, ".", 2)[0]] = true
	}
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
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goLiteral.FindAllStringSubmatch(string(b), -1) {
			if areas[strings.SplitN(m[1], ".", 2)[0]] && !strings.HasSuffix(m[1], ".") {
				used[m[1]] = true
			}
		}
		if f == "errors.go" {
			for _, m := range errorCode.FindAllStringSubmatch(string(b), -1) {
				used["error."+m[1]] = true
				used["error."+m[1]+".text"] = true
			}
		}
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

// TestCatalogueTexts checks that texts render with their data in both languages.
func TestCatalogueTexts(t *testing.T) {
	c, err := newCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.text("es", "home.hello", "Name", "Rosa"); got != "Hola, Rosa" {
		t.Errorf("es home.hello = %q", got)
	}
	if got := c.text("en", "home.hello", "Name", "Rosa"); got != "Hello, Rosa" {
		t.Errorf("en home.hello = %q", got)
	}
	if got := c.fieldProblem("es", "required"); got != "Este dato es obligatorio." {
		t.Errorf("es problem required = %q", got)
	}
	if got := c.fieldProblem("es", "some new rule"); !strings.Contains(got, "some new rule") {
		t.Errorf("an unknown problem must still be shown, got %q", got)
	}
}
