// Package vocabulary holds Registro's controlled lists (perpetrator types, violations,
// districts, nationalities, ...) as data: stable ASCII codes with Spanish and English
// labels, so that an installation can add or relabel terms without recompiling.
package vocabulary

import (
	_ "embed"
	"fmt"
	"os"
	"strings"
)

// List names one controlled list; its value is the list's name in JSON files and in
// GET /api/v1/vocabularies.
type List string

// The controlled lists of a case record (SPEC §2).
const (
	Perpetrators   List = "perpetrators"
	Violations     List = "violations"
	Places         List = "places"
	AgeBands       List = "age_bands"
	Genders        List = "genders"
	WorkSettings   List = "work_settings"
	ReportedTo     List = "reported_to"
	Referrals      List = "referrals"
	Statuses       List = "statuses"
	Outcomes       List = "outcomes"
	DatePrecisions List = "date_precisions"
	Districts      List = "districts"
	Nationalities  List = "nationalities"
)

// Term is one entry of a list: a stable code and its labels; Level and Parent are set
// only for districts (ubigeo level and parent province).
type Term struct {
	Code   string `json:"code"`
	ES     string `json:"es"`
	EN     string `json:"en"`
	Level  string `json:"level,omitempty"`
	Parent string `json:"parent,omitempty"`
}

// Vocabulary is a complete set of lists; it is never modified after it is built, so
// one value can be shared by every request without locking.
type Vocabulary struct {
	lists map[List][]Term
	index map[List]map[string]int // code → position in lists
}

// A string rather than a []byte so that the embedded data cannot be modified.
//
//go:embed baseline.json
var baselineJSON string

// Baseline returns the vocabulary compiled into the program, or an error if the
// embedded baseline.json is invalid (a build defect that tests catch).
func Baseline() (*Vocabulary, error) {
	f, err := decode(strings.NewReader(baselineJSON), "baseline.json")
	if err != nil {
		return nil, err
	}
	for _, l := range fileLists() {
		if len(f.Lists[l]) == 0 {
			return nil, fmt.Errorf("vocabulary file baseline.json: list %q: %w", l, errEmptyList)
		}
	}
	f.Lists[Nationalities] = Countries("es")
	return build(f.Lists), nil
}

// Load returns the baseline merged with the installation file at path, or an error
// naming the file if it cannot be read or is rejected by Parse.
func Load(path string) (*Vocabulary, error) {
	base, err := Baseline()
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vocabulary file %s: %w", path, err)
	}
	defer fh.Close()
	return Parse(base, fh, path)
}

func build(lists map[List][]Term) *Vocabulary {
	v := &Vocabulary{lists: lists, index: make(map[List]map[string]int, len(lists))}
	for l, terms := range lists {
		idx := make(map[string]int, len(terms))
		for i, t := range terms {
			idx[t.Code] = i
		}
		v.index[l] = idx
	}
	return v
}

// Has reports whether code is a term of list l; codes are case-sensitive.
func (v *Vocabulary) Has(l List, code string) bool {
	_, ok := v.index[l][code]
	return ok
}

// Label returns the English label of code if lang is "en" and the Spanish label
// otherwise, or code itself when l has no such term, so that a page never shows a blank.
func (v *Vocabulary) Label(l List, code, lang string) string {
	i, ok := v.index[l][code]
	if !ok {
		return code
	}
	return v.lists[l][i].Label(lang)
}

// Label is the term's English label if lang is "en", its Spanish label otherwise.
func (t Term) Label(lang string) string {
	if lang == "en" {
		return t.EN
	}
	return t.ES
}

// Terms returns a copy of list l in file order (nationalities by Spanish name, with the
// most frequent first), or nil for an unknown list.
func (v *Vocabulary) Terms(l List) []Term {
	terms, ok := v.lists[l]
	if !ok {
		return nil
	}
	return append([]Term(nil), terms...)
}

// All returns a copy of every list, nationalities included, keyed by list name.
func (v *Vocabulary) All() map[List][]Term {
	all := make(map[List][]Term, len(v.lists))
	for l := range v.lists {
		all[l] = v.Terms(l)
	}
	return all
}
