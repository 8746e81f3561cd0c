// Package validation holds the one error type for invalid input: every invalid field
// at once, named by its JSON path, each with a stable problem code (codes.go), so a
// person can fix a form in one pass in her own language.
package validation

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/template"
)

// Code names a kind of problem; its texts are "problem.<code>" in the pages'
// catalogue, and its English text is in this package.
type Code string

// Problem is one field's problem: its code and the arguments its texts name.
type Problem struct {
	Code Code           `json:"code"`
	Args map[string]any `json:"args,omitempty"`
}

// P returns the problem code with its arguments, given as name/value pairs.
func P(code Code, args ...any) Problem {
	p := Problem{Code: code}
	for i := 0; i+1 < len(args); i += 2 {
		if p.Args == nil {
			p.Args = map[string]any{}
		}
		p.Args[fmt.Sprint(args[i])] = args[i+1]
	}
	return p
}

var (
	templatesOnce sync.Once
	templates     map[Code]*template.Template
)

// English is the problem in English, as the API's "fields" gives it.
func (p Problem) English() string {
	templatesOnce.Do(func() {
		templates = make(map[Code]*template.Template, len(english))
		for c, text := range english {
			templates[c] = template.Must(template.New(string(c)).Option("missingkey=zero").Parse(text))
		}
	})
	t, ok := templates[p.Code]
	if !ok {
		return string(p.Code)
	}
	var b strings.Builder
	args := p.Args
	if args == nil {
		args = map[string]any{}
	}
	if err := t.Execute(&b, args); err != nil {
		return string(p.Code)
	}
	return strings.ReplaceAll(b.String(), "<no value>", "")
}

// Codes lists every problem code, sorted.
func Codes() []Code {
	out := make([]Code, 0, len(english))
	for c := range english {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// EnglishTemplate is the English text of code with its placeholders, for the tests
// that hold the catalogue to the same arguments.
func EnglishTemplate(code Code) (string, bool) {
	t, ok := english[code]
	return t, ok
}

// Error lists invalid fields by JSON path ("incident.district") with their problems.
type Error struct {
	Fields map[string]Problem
}

// Add records the problem code (arguments as name/value pairs) with field; the first
// problem recorded for a field is kept.
func (e *Error) Add(field string, code Code, args ...any) {
	e.AddProblem(field, P(code, args...))
}

// AddProblem records p with field, unless field has a problem already.
func (e *Error) AddProblem(field string, p Problem) {
	if e.Fields == nil {
		e.Fields = make(map[string]Problem)
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = p
	}
}

// Empty reports whether no problem was recorded.
func (e *Error) Empty() bool { return len(e.Fields) == 0 }

// Err returns e as an error, or nil when no problem was recorded.
func (e *Error) Err() error {
	if e.Empty() {
		return nil
	}
	return e
}

// Messages are the problems in English by field, as the API's "fields" gives them.
func (e *Error) Messages() map[string]string {
	out := make(map[string]string, len(e.Fields))
	for f, p := range e.Fields {
		out[f] = p.English()
	}
	return out
}

func (e *Error) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k].English()
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Field returns an error for a single invalid field.
func Field(field string, code Code, args ...any) error {
	e := &Error{}
	e.Add(field, code, args...)
	return e
}
