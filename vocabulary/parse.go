package vocabulary

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// Reasons a vocabulary file is rejected; the returned error wraps one of them behind
// the file name, the list and (when there is one) the code.
var (
	errMode          = errors.New(`mode must be "extend" or "replace"`)
	errNoLists       = errors.New(`"lists" is missing or empty`)
	errUnknownList   = errors.New("unknown list")
	errNationalities = errors.New("nationalities come from ISO 3166 and cannot be changed")
	errEmptyList     = errors.New("list is empty")
	errFixedAdd      = errors.New("the program depends on this list's codes: labels can be changed, codes cannot be added")
	errFixedRemove   = errors.New("the program depends on this code: it can be relabelled but not removed")
	errTrailingData  = errors.New("unexpected data after the JSON object")
)

const (
	modeExtend  = "extend"
	modeReplace = "replace"
)

// file is the JSON shape of baseline.json and of an installation's vocabulary file.
type file struct {
	Mode  string          `json:"mode"`
	Lists map[List][]Term `json:"lists"`
}

// fileLists returns the lists a vocabulary file may contain.
func fileLists() []List {
	return []List{Perpetrators, Violations, Places, AgeBands, Genders, WorkSettings,
		ReportedTo, Referrals, Statuses, Outcomes, DatePrecisions, Districts}
}

// fixed reports whether program logic switches on l's codes, so that a file may only
// relabel them.
func fixed(l List) bool {
	return l == Statuses || l == Outcomes || l == DatePrecisions
}

// Parse returns a copy of baseline (the embedded baseline if nil) merged with the
// vocabulary file read from r, or an error naming name, the list and the code for an
// unknown field, list or mode, an invalid, duplicate, added or removed fixed code, an
// empty or over-long label, or an empty list.
func Parse(baseline *Vocabulary, r io.Reader, name string) (*Vocabulary, error) {
	if baseline == nil {
		var err error
		if baseline, err = Baseline(); err != nil {
			return nil, err
		}
	}
	f, err := decode(r, name)
	if err != nil {
		return nil, err
	}
	lists := baseline.All()
	for _, l := range slices.Sorted(maps.Keys(f.Lists)) {
		if lists[l], err = merge(l, lists[l], f.Lists[l], f.Mode); err != nil {
			return nil, fmt.Errorf("vocabulary file %s: %w", name, err)
		}
	}
	return build(lists), nil
}

// decode reads a vocabulary file and checks everything that does not depend on the
// baseline it will be merged into.
func decode(r io.Reader, name string) (file, error) {
	var f file
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	err := dec.Decode(&f)
	if err == nil {
		if _, tokErr := dec.Token(); tokErr != io.EOF {
			err = errTrailingData
		}
	}
	if err == nil {
		err = f.check()
	}
	if err != nil {
		return file{}, fmt.Errorf("vocabulary file %s: %w", name, err)
	}
	if f.Mode == "" {
		f.Mode = modeExtend
	}
	return f, nil
}

func (f file) check() error {
	if f.Mode != "" && f.Mode != modeExtend && f.Mode != modeReplace {
		return fmt.Errorf("mode %q: %w", f.Mode, errMode)
	}
	if len(f.Lists) == 0 {
		return errNoLists
	}
	for _, l := range slices.Sorted(maps.Keys(f.Lists)) {
		switch {
		case l == Nationalities:
			return fmt.Errorf("list %q: %w", l, errNationalities)
		case !slices.Contains(fileLists(), l):
			return fmt.Errorf("list %q: %w (known lists: %v)", l, errUnknownList, fileLists())
		}
		if err := checkTerms(l, f.Lists[l]); err != nil {
			return fmt.Errorf("list %q: %w", l, err)
		}
	}
	return nil
}

// merge returns base with the file's terms applied in the given mode.
func merge(l List, base, terms []Term, mode string) ([]Term, error) {
	if mode == modeReplace && !fixed(l) {
		return append([]Term(nil), terms...), nil
	}
	out := append([]Term(nil), base...)
	given := make(map[string]bool, len(terms))
	for _, t := range terms {
		given[t.Code] = true
		i := slices.IndexFunc(out, func(b Term) bool { return b.Code == t.Code })
		switch {
		case i < 0 && fixed(l):
			return nil, fmt.Errorf("list %q: code %q: %w", l, t.Code, errFixedAdd)
		case i < 0:
			out = append(out, t)
			continue
		}
		out[i].ES, out[i].EN = t.ES, t.EN
		if t.Level != "" {
			out[i].Level = t.Level
		}
		if t.Parent != "" {
			out[i].Parent = t.Parent
		}
	}
	if mode == modeReplace {
		for _, b := range base {
			if !given[b.Code] {
				return nil, fmt.Errorf("list %q: code %q: %w", l, b.Code, errFixedRemove)
			}
		}
	}
	return out, nil
}
