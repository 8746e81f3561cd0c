package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// TestSafeNext: a destination after sign-in stays on this site in every form a
// browser would read as another host, and what is kept is what the redirect sends.
func TestSafeNext(t *testing.T) {
	for _, tc := range []struct {
		name, next, want string
	}{
		{"OK", "/", "/"},
		{"OKCasesOpen", "/cases?status=open", "/cases?status=open"},
		{"OKCase", "/cases/0190a6b2-7c1d-7e3f-9a4b-5c6d7e8f9a0b", "/cases/0190a6b2-7c1d-7e3f-9a4b-5c6d7e8f9a0b"},
		{"OKQueryReencoded", "/cases?district=150115&status=open&from=2026-01", "/cases?district=150115&from=2026-01&status=open"},
		{"OKTrailingSlash", "/cases/", "/cases/"},
		{"OKDotsResolved", "/cases/../stats", "/stats"},
		{"OKEscapedLetter", "/c%61ses", "/cases"},
		{"OKBackslashInside", `/cases\new`, "/cases/new"},
		{"OKFragmentDropped", "/cases#top", "/cases"},

		{"ErrEmpty", "", ""},
		{"ErrDoubleSlash", "//evil.example/x", ""},
		{"ErrSlashBackslash", `/\evil.example`, ""},
		{"ErrDotBackslash", `/./\evil.example`, ""},
		{"ErrDotSlashSlash", "/.//evil.example", ""},
		{"ErrDotDotBackslash", `/cases/../\evil.example`, ""},
		{"ErrEmptySegmentThenDotDot", `/a//../\evil.example`, ""},
		{"ErrEscapedSlashes", "/%2F%2Fevil.example", ""},
		{"ErrEscapedSlashesLower", "/%2f%2fevil.example", ""},
		{"ErrEscapedBackslash", "/%5Cevil.example", ""},
		{"ErrEscapedBackslashLower", "/%5cevil.example", ""},
		{"ErrBackslashStart", `\\evil.example`, ""},
		{"ErrAbsoluteURL", "https://evil.example/", ""},
		{"ErrSchemeWithoutSlashes", "http:evil.example", ""},
		{"ErrJavascript", "javascript:alert(1)", ""},
		{"ErrRelative", "cases", ""},
		{"ErrTab", "/\t/evil.example", ""},
		{"ErrNewline", "/cases\r\nSet-Cookie: x=y", ""},
		{"ErrEscapedTab", "/%09/evil.example", ""},
		{"ErrEscapedNUL", "/cases%00", ""},
		{"ErrBadEscape", "/cases%zz", ""},
		{"ErrSignInPage", "/login", ""},
		{"ErrSignInPageHidden", "/./login?next=//evil.example", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := safeNext(tc.next)
			if got != tc.want {
				t.Fatalf("safeNext(%q) = %q, want %q", tc.next, got, tc.want)
			}
			if got == "" {
				return
			}
			if again := safeNext(got); again != got {
				t.Errorf("safeNext(%q) = %q: not stable", got, again)
			}
			// What the browser gets is what was checked: http.Redirect (behind Gin's
			// c.Redirect) cleans the path of a local target, and must change nothing.
			rec := httptest.NewRecorder()
			http.Redirect(rec, httptest.NewRequest(http.MethodPost, "/login", nil), got, http.StatusSeeOther)
			if loc := rec.Header().Get("Location"); loc != got {
				t.Errorf("the redirect sends Location %q, not the checked %q", loc, got)
			}
			u, err := url.Parse(got)
			if err != nil || u.Scheme != "" || u.Host != "" || u.Path[0] != '/' || (len(u.Path) > 1 && u.Path[1] == '/') {
				t.Errorf("%q is not one path of this site (%+v, %v)", got, u, err)
			}
		})
	}
}
