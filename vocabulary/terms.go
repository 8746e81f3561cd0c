package vocabulary

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxLabel keeps labels short enough for a select box on a cheap phone.
const maxLabel = 120

var (
	// Codes end up in URLs, CSV exports and MongoDB queries, so they stay plain ASCII.
	codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_+-]{0,39}$`)
	// Districts are INEI ubigeo codes (or another country's equivalent of six digits).
	districtPattern = regexp.MustCompile(`^[0-9]{6}$`)
	parentPattern   = regexp.MustCompile(`^[0-9]{2,6}$`)

	errInvalidCode   = errors.New(`codes are lower-case ASCII letters, digits, "_", "-" or "+" (at most 40, starting with a letter or digit)`)
	errDistrictCode  = errors.New("district codes are exactly 6 digits (INEI ubigeo)")
	errDuplicateCode = errors.New("duplicate code")
	errEmptyLabel    = errors.New(`labels "es" and "en" are required`)
	errLabelTooLong  = fmt.Errorf("labels are at most %d characters", maxLabel)
	errLevel         = errors.New(`level must be "department", "province" or "district"`)
	errParent        = errors.New("parent is a ubigeo prefix of 2 to 6 digits")
	errNotDistrict   = errors.New("level and parent are only for districts")
)

// levels are the ubigeo levels a district term may have.
func levels() []string {
	return []string{"department", "province", "district"}
}

// checkTerms returns the first problem in a list read from a file, naming its code.
func checkTerms(l List, terms []Term) error {
	if len(terms) == 0 {
		return errEmptyList
	}
	seen := make(map[string]bool, len(terms))
	for _, t := range terms {
		if err := checkTerm(l, t); err != nil {
			return fmt.Errorf("code %q: %w", t.Code, err)
		}
		if seen[t.Code] {
			return fmt.Errorf("code %q: %w", t.Code, errDuplicateCode)
		}
		seen[t.Code] = true
	}
	return nil
}

func checkTerm(l List, t Term) error {
	switch {
	case l == Districts && !districtPattern.MatchString(t.Code):
		return errDistrictCode
	case !codePattern.MatchString(t.Code):
		return errInvalidCode
	case strings.TrimSpace(t.ES) == "" || strings.TrimSpace(t.EN) == "":
		return errEmptyLabel
	case utf8.RuneCountInString(t.ES) > maxLabel || utf8.RuneCountInString(t.EN) > maxLabel:
		return errLabelTooLong
	case l != Districts && (t.Level != "" || t.Parent != ""):
		return errNotDistrict
	case t.Level != "" && !slices.Contains(levels(), t.Level):
		return fmt.Errorf("level %q: %w", t.Level, errLevel)
	case t.Parent != "" && !parentPattern.MatchString(t.Parent):
		return fmt.Errorf("parent %q: %w", t.Parent, errParent)
	}
	return nil
}
