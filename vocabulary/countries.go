package vocabulary

import (
	"slices"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// alpha2 holds the 249 officially assigned ISO 3166-1 alpha-2 codes. Only the codes are
// kept here; names come from CLDR (x/text), which is translated and kept up to date.
// Reserved and user-assigned codes (UK, EU, XK, ...) are deliberately absent.
const alpha2 = `
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW
`

// frequent are the nationalities most survivors in Lima have, listed first so that the
// outreach worker rarely has to scroll.
func frequent() []string {
	return []string{"PE", "VE", "CO"}
}

// Countries returns every ISO 3166-1 alpha-2 country as a Term with Latin American
// Spanish and English names, Peru, Venezuela and Colombia first and the rest sorted by
// name in lang ("en", or Spanish for anything else).
func Countries(lang string) []Term {
	es := display.Regions(language.LatinAmericanSpanish)
	en := display.English.Regions()
	var terms []Term
	for _, code := range strings.Fields(alpha2) {
		t := Term{Code: code, ES: code, EN: code}
		if r, err := language.ParseRegion(code); err == nil {
			t.ES, t.EN = nameOr(es.Name(r), code), nameOr(en.Name(r), code)
		}
		terms = append(terms, t)
	}
	tag := language.LatinAmericanSpanish
	if lang == "en" {
		tag = language.English
	}
	// A collator rather than < so that accented names ("Åland", "Égypte") sort where a
	// reader expects them; a Collator is not safe for concurrent use, hence one per call.
	coll := collate.New(tag)
	rank := func(code string) int {
		if i := slices.Index(frequent(), code); i >= 0 {
			return i
		}
		return len(frequent())
	}
	slices.SortFunc(terms, func(a, b Term) int {
		if ra, rb := rank(a.Code), rank(b.Code); ra != rb {
			return ra - rb
		}
		if c := coll.CompareString(a.Label(lang), b.Label(lang)); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return terms
}

func nameOr(name, code string) string {
	if name == "" {
		return code
	}
	return name
}
