// Package browser holds Registro's browser tests: they build the real program, start
// it as `make run` does, and drive its pages in headless Chromium at phone size,
// checking every page for script errors, accessibility basics and weight. With
// REGISTRO_SCREENSHOTS=<dir> they also save screenshots of the main pages.
//
// Run them with `make test-browser`; `go test ./...` skips them when no Chromium is
// installed (unless REGISTRO_BROWSER_REQUIRED=1).
package browser
