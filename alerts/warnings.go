package alerts

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"registro/validation"
	"registro/vocabulary"
)

// Warning is a kind of text that could identify someone.
type Warning string

const (
	// WarnCode: something written as a survivor's code, pseudonym or case reference.
	WarnCode Warning = "code"
	// WarnPhone: seven or more digits, as a phone number is written.
	WarnPhone Warning = "phone"
	// WarnName: words written as a person's name.
	WarnName Warning = "name"
	// WarnCase: the reference, pseudonym or contact of the case the alert comes from.
	WarnCase Warning = "case"
)

func (w Warning) problem() validation.Code {
	switch w {
	case WarnCode:
		return validation.LooksLikeCode
	case WarnPhone:
		return validation.LooksLikePhone
	case WarnName:
		return validation.LooksLikeName
	}
	return validation.HoldsCaseCode
}

// Warned reports whether err refuses text because it may identify someone (and would
// be accepted once its author has looked again and confirmed).
func Warned(err error) bool {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return false
	}
	for _, p := range ve.Fields {
		for _, w := range []Warning{WarnCode, WarnPhone, WarnName, WarnCase} {
			if p.Code == w.problem() {
				return true
			}
		}
	}
	return false
}

var (
	plateFragment = regexp.MustCompile(`^[A-Z0-9][A-Z0-9 -]*$`)
	// A code as a survivor gives it (four letters, day, two digits), a pseudonym as
	// Registro shows it, or a case reference (LIM-2026-00042).
	codeLike = []*regexp.Regexp{
		regexp.MustCompile(`(?i)\b\p{L}{4}[ -]?(0[1-9]|[12][0-9]|3[01])[0-9]{2}\b`),
		regexp.MustCompile(`(?i)\b[0-9A-Z]{4}(-[0-9A-Z]{4}){3}\b`),
		regexp.MustCompile(`(?i)\b[A-Z]{2,8}-[0-9]{4}-[0-9]{3,}\b`),
	}
	phoneLike = regexp.MustCompile(`\+?[0-9](?:[ .-]?[0-9]){6,}`)
	// A cue that a name follows.
	nameCue = regexp.MustCompile(`(?i)\b(se llama|llamad[ao]|de nombre|nombre|named|called|alias|apodo)\s*:?\s+\p{Lu}`)
	word    = regexp.MustCompile(`[\p{L}.]+`)
)

// placeWords begin the name of a place (the capitalised words after one are the
// place's); titleWords are capitalised words of ranks and institutions, not of people.
var placeWords, titleWords = wordSet(`av avenida jr jirón jiron calle ca psje pasaje plaza
	parque óvalo ovalo mercado hotel hostal comisaría comisaria urb urbanización urbanizacion mz
	paradero puente estación estacion municipalidad colegio avenue street road square station`),
	wordSet(`policía policia nacional pnp serenazgo fiscalía fiscalia sub suboficial oficial
	capitán capitan mayor teniente sargento coronel general inspector municipal perú peru lima
	el la los las del de san santa`)

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// nameFields are the fields checked for names: a vehicle, a plate or a badge is written
// with capitals that are not names.
var nameFields = map[string]bool{"description.physical": true, "description.uniform": true, "behaviour": true, "advice": true}

// Warnings names each field whose text could identify someone, and why. known are the
// codes and contact of the case the alert comes from (each is looked for as written,
// and a contact by its digits).
func (in *Input) Warnings(v *vocabulary.Vocabulary, known []string) map[string]Warning {
	out := map[string]Warning{}
	texts := map[string]string{"behaviour": in.Behaviour, "advice": in.Advice}
	for _, f := range DescriptionFields {
		texts["description."+f] = in.Description.Get(f)
	}
	for f, s := range texts {
		if s == "" {
			continue
		}
		switch {
		case containsKnown(s, known):
			out[f] = WarnCase
		case slices.ContainsFunc(codeLike, func(r *regexp.Regexp) bool { return r.MatchString(s) }):
			out[f] = WarnCode
		case phoneLike.MatchString(s):
			out[f] = WarnPhone
		case nameFields[f] && nameLike(withoutPlaces(s, v)):
			out[f] = WarnName
		}
	}
	return out
}

func containsKnown(s string, known []string) bool {
	folded := vocabulary.Fold(s)
	digits := onlyDigits(s)
	for _, k := range known {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		if d := onlyDigits(k); len(d) >= 6 && len(d) == len(strings.Map(keepAlnum, k)) {
			// A phone number is known by its last nine digits, with or without +51.
			if strings.Contains(digits, d[max(0, len(d)-9):]) {
				return true
			}
			continue
		}
		if strings.Contains(folded, vocabulary.Fold(k)) {
			return true
		}
	}
	return false
}

func keepAlnum(r rune) rune {
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return r
	}
	return -1
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// withoutPlaces removes the names of districts from s: "San Juan de Lurigancho" is
// capitalised, and no one's name.
func withoutPlaces(s string, v *vocabulary.Vocabulary) string {
	if v == nil {
		return s
	}
	for _, t := range v.Terms(vocabulary.Districts) {
		for _, name := range []string{t.ES, t.EN} {
			if name != "" {
				s = strings.ReplaceAll(s, name, "·")
			}
		}
	}
	return s
}

// nameLike reports a cue followed by a capitalised word ("se llama Rosa"), or two
// capitalised words in a row that are not a place ("Av. Javier Prado") or a rank or
// institution ("Policía Nacional"): "Rosa Quispe".
func nameLike(s string) bool {
	if nameCue.MatchString(s) {
		return true
	}
	words := word.FindAllString(s, -1)
	for i := 0; i < len(words); i++ {
		w := strings.ToLower(strings.TrimSuffix(words[i], "."))
		if placeWords[w] {
			for i+1 < len(words) && (capitalised(words[i+1]) || !strings.ContainsFunc(words[i+1], unicode.IsUpper) && len(words[i+1]) <= 3) {
				i++ // the place's own name, "de" and "la" included
			}
			continue
		}
		if i+1 < len(words) && person(words[i]) && person(words[i+1]) {
			return true
		}
	}
	return false
}

// person: a capitalised word that is not a rank or an institution.
func person(w string) bool {
	return capitalised(w) && !titleWords[strings.ToLower(strings.TrimSuffix(w, "."))]
}

func capitalised(w string) bool {
	r := []rune(strings.TrimSuffix(w, "."))
	if len(r) < 2 || !unicode.IsUpper(r[0]) {
		return false
	}
	for _, c := range r[1:] {
		if !unicode.IsLower(c) {
			return false
		}
	}
	return true
}
