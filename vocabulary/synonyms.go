package vocabulary

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Synonyms turn the words people wrote in an old registry into the codes of the
// lists: "PNP" is police, "serenos" serenazgo, "venezolana" VE, "SJL" the district of
// San Juan de Lurigancho. Besides its own entries, a list's codes and its Spanish and
// English labels are recognised too. The table is data: an organization adds its own
// words in a JSON file of the same shape as synonyms.json.
type Synonyms struct {
	words map[List]map[string]string   // folded word → code
	names map[List]map[string][]string // code → the synonyms as written
}

//go:embed synonyms.json
var synonymsJSON string

// BaselineSynonyms returns the built-in synonym table, checked against v; an error is
// a defect of the embedded file (or a term that v's installation file removed).
func BaselineSynonyms(v *Vocabulary) (*Synonyms, error) {
	s := &Synonyms{words: map[List]map[string]string{}, names: map[List]map[string][]string{}}
	for _, l := range synonymLists() {
		for _, t := range v.Terms(l) {
			s.learnTerm(l, t)
		}
	}
	if err := s.merge(v, strings.NewReader(synonymsJSON), "synonyms.json", false); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadSynonyms returns the built-in table with the organization's file at path added:
// its entries are added, or replace a built-in word's code. It returns an error
// naming the file, the list and the word for an unknown list or code.
func LoadSynonyms(v *Vocabulary, path string) (*Synonyms, error) {
	s, err := BaselineSynonyms(v)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("synonyms file: %w", err)
	}
	defer f.Close()
	if err := s.merge(v, f, path, true); err != nil {
		return nil, err
	}
	return s, nil
}

// synonymLists are the lists a registry's words are looked up in.
func synonymLists() []List {
	return []List{Perpetrators, Violations, Places, AgeBands, Genders, WorkSettings, ReportedTo,
		Referrals, Statuses, Outcomes, Districts, Nationalities}
}

// learnTerm recognises a term by its code and labels (and a label's part before a
// parenthesis: "Violencia sexual", "Lima").
func (s *Synonyms) learnTerm(l List, t Term) {
	for _, w := range []string{t.Code, t.ES, t.EN, before(t.ES, " ("), before(t.EN, " (")} {
		if f := Fold(w); f != "" {
			if _, taken := s.words[l][f]; !taken {
				s.set(l, f, t.Code)
			}
		}
	}
}

func before(s, sep string) string {
	if i := strings.Index(s, sep); i > 0 {
		return s[:i]
	}
	return ""
}

func (s *Synonyms) set(l List, folded, code string) {
	if s.words[l] == nil {
		s.words[l] = map[string]string{}
	}
	s.words[l][folded] = code
}

// merge adds the entries of a synonyms file; override lets it replace a word's code.
func (s *Synonyms) merge(v *Vocabulary, r io.Reader, name string, override bool) error {
	var file map[string]map[string]string
	dec := json.NewDecoder(r)
	if err := dec.Decode(&file); err != nil {
		return fmt.Errorf("synonyms file %s: %w", name, err)
	}
	lists := make([]string, 0, len(file))
	for l := range file {
		lists = append(lists, l)
	}
	sort.Strings(lists)
	for _, ln := range lists {
		l := List(ln)
		if !slices.Contains(synonymLists(), l) {
			return fmt.Errorf("synonyms file %s: unknown list %q", name, ln)
		}
		words := make([]string, 0, len(file[ln]))
		for w := range file[ln] {
			words = append(words, w)
		}
		sort.Strings(words)
		seen := map[string]string{}
		for _, w := range words {
			code := file[ln][w]
			if !v.Has(l, code) {
				return fmt.Errorf("synonyms file %s: list %s: %q names unknown code %q", name, ln, w, code)
			}
			f := Fold(w)
			if f == "" {
				return fmt.Errorf("synonyms file %s: list %s: an empty word", name, ln)
			}
			if prev, ok := seen[f]; ok && prev != code {
				return fmt.Errorf("synonyms file %s: list %s: %q is given both %q and %q", name, ln, w, prev, code)
			}
			seen[f] = code
			if _, builtIn := s.words[l][f]; builtIn && !override {
				// A label or code already names a term: the file may only agree.
				if s.words[l][f] != code {
					return fmt.Errorf("synonyms file %s: list %s: %q is already the label of %q", name, ln, w, s.words[l][f])
				}
				continue
			}
			s.set(l, f, code)
			if s.names[l] == nil {
				s.names[l] = map[string][]string{}
			}
			s.names[l][code] = append(s.names[l][code], w)
		}
	}
	return nil
}

// Lookup returns the code that text names in list l: a synonym, a code or a label,
// compared without case, accents or extra spaces.
func (s *Synonyms) Lookup(l List, text string) (string, bool) {
	code, ok := s.words[l][Fold(text)]
	return code, ok
}

// Within returns the single code whose words appear as whole words inside text
// ("Serenazgo de Lince" → serenazgo), and false when none or several codes do.
func (s *Synonyms) Within(l List, text string) (string, bool) {
	padded := " " + Fold(text) + " "
	found := ""
	for w, code := range s.words[l] {
		if len(w) < 3 || !strings.Contains(padded, " "+w+" ") {
			continue
		}
		if found != "" && found != code {
			return "", false
		}
		found = code
	}
	return found, found != ""
}

// Names returns the synonyms of code in list l as the table writes them (e.g. "SJL"),
// for a search that should find a term by them too.
func (s *Synonyms) Names(l List, code string) []string {
	return s.names[l][code]
}

// Fold writes text as words are compared: lower case, accents and punctuation other
// than inner hyphens dropped, spaces collapsed ("  Jesús  María." → "jesus maria").
func Fold(text string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, text)
	if err != nil {
		out = text
	}
	out = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-':
			return unicode.ToLower(r)
		default:
			return ' '
		}
	}, out)
	return strings.Join(strings.Fields(out), " ")
}
