package server

import (
	"net/url"
	"path"
	"strings"
	"unicode"
)

// safeNext keeps a post-sign-in destination only when it is a path of this site, and
// returns it in the form the redirect will send, "" otherwise. It is checked after
// the normalization a browser applies when it follows the redirect: "\" read as "/",
// percent-escapes decoded, "." and ".." segments resolved. What remains must be one
// absolute path with a single leading slash and no empty segment, so that no form of
// "//host" ("/\host", "/./\host", "/%2F%2Fhost", "/%5Chost") can leave the site. The
// path is sent cleaned and escaped again (http.Redirect's own cleaning then changes
// nothing), the query re-encoded and any fragment dropped. The sign-in page itself is
// no destination.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.ContainsFunc(next, unicode.IsControl) {
		return ""
	}
	next, _, _ = strings.Cut(next, "#")
	rawPath, rawQuery, _ := strings.Cut(next, "?")
	p, err := url.PathUnescape(strings.ReplaceAll(rawPath, `\`, "/"))
	if err != nil {
		return ""
	}
	p = strings.ReplaceAll(p, `\`, "/") // an escaped backslash, %5C
	if strings.ContainsFunc(p, unicode.IsControl) || strings.Contains(p, "//") {
		return ""
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") || strings.HasPrefix(clean, "/login") {
		return ""
	}
	out := (&url.URL{Path: clean}).EscapedPath()
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return ""
		}
		out += "?" + q.Encode()
	}
	return out
}
