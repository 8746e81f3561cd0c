// Package validation holds the one error type for invalid input: every invalid field
// at once, named by its JSON path, so a person can fix a form in one pass.
package validation

import (
	"sort"
	"strings"
)

// Error lists invalid fields by JSON path ("incident.district") with a short English
// problem statement ("unknown district code"); the statements double as keys of the
// translation catalogue.
type Error struct {
	Fields map[string]string
}

// Add records a problem with field; the first problem recorded for a field is kept.
func (e *Error) Add(field, problem string) {
	if e.Fields == nil {
		e.Fields = make(map[string]string)
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = problem
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

func (e *Error) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Field returns an error for a single invalid field.
func Field(field, problem string) error {
	e := &Error{}
	e.Add(field, problem)
	return e
}
