package imports

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"registro/vocabulary"
)

// Dates as people write them in a Peruvian spreadsheet, day first.
var (
	dayMonthYear = regexp.MustCompile(`^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$`)
	isoDate      = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	isoMonth     = regexp.MustCompile(`^(\d{4})[-/](\d{1,2})$`)
	monthYear    = regexp.MustCompile(`^(\d{1,2})[/.\-](\d{4})$`)
	yearOnly     = regexp.MustCompile(`^(\d{4})$`)
	serial       = regexp.MustCompile(`^(\d{5})(?:\.\d+)?$`)
	// "marzo 2021", "Marzo de 2021", "mar-21", "15 de marzo de 2021" (folded).
	namedMonth = regexp.MustCompile(`^(?:(\d{1,2})(?: de)? )?([a-z]+)(?: de| del)?[ \-](\d{4}|\d{2})$`)
)

var monthNames = map[string]int{
	"enero": 1, "ene": 1, "january": 1, "jan": 1,
	"febrero": 2, "feb": 2, "february": 2,
	"marzo": 3, "mar": 3, "march": 3,
	"abril": 4, "abr": 4, "april": 4, "apr": 4,
	"mayo": 5, "may": 5,
	"junio": 6, "jun": 6, "june": 6,
	"julio": 7, "jul": 7, "july": 7,
	"agosto": 8, "ago": 8, "august": 8, "aug": 8,
	"septiembre": 9, "setiembre": 9, "set": 9, "sep": 9, "sept": 9, "september": 9,
	"octubre": 10, "oct": 10, "october": 10,
	"noviembre": 11, "nov": 11, "november": 11,
	"diciembre": 12, "dic": 12, "december": 12, "dec": 12,
}

// excelEpoch is day 0 of Excel's serial dates (its 1900 leap-year bug included).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

func (c *Converter) date(r *Result, cl cell) {
	if cl.value == "" {
		r.problem(cl, "date_required", "")
		return
	}
	y, m, d, precision, code := c.parseDate(cl.value)
	if code != "" {
		r.problem(cl, code, "")
		return
	}
	now := c.now()
	var text string
	switch precision {
	case "day":
		text = fmt.Sprintf("%04d-%02d-%02d", y, m, d)
		if time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).After(now) {
			r.problem(cl, "date_future", "")
			return
		}
	case "month":
		text = fmt.Sprintf("%04d-%02d", y, m)
		if y > now.Year() || (y == now.Year() && m > int(now.Month())) {
			r.problem(cl, "date_future", "")
			return
		}
	default:
		text = fmt.Sprintf("%04d", y)
		if y > now.Year() {
			r.problem(cl, "date_future", "")
			return
		}
	}
	if y < 1980 {
		r.problem(cl, "date_too_old", "")
		return
	}
	r.Input.Incident.Date, r.Input.Incident.DatePrecision = text, precision
	r.change(cl, FieldDate, text)
}

// parseDate reads a date in any of the forms people use, or names the problem.
func (c *Converter) parseDate(s string) (y, m, d int, precision, problem string) {
	s = strings.TrimSpace(s)
	atoi := func(v string) int { n, _ := strconv.Atoi(v); return n }
	switch {
	case yearOnly.MatchString(s):
		return atoi(s), 0, 0, "year", ""
	case serial.MatchString(s):
		n := atoi(serial.FindStringSubmatch(s)[1])
		if n < 20000 || n > 80000 {
			return 0, 0, 0, "", "date_unreadable"
		}
		t := excelEpoch.AddDate(0, 0, n)
		return t.Year(), int(t.Month()), t.Day(), "day", ""
	case dayMonthYear.MatchString(s):
		p := dayMonthYear.FindStringSubmatch(s)
		y = atoi(p[3])
		if len(p[3]) == 2 {
			y = c.century(y)
		}
		return dayPrecision(y, atoi(p[2]), atoi(p[1]))
	case isoDate.MatchString(s):
		p := isoDate.FindStringSubmatch(s)
		return dayPrecision(atoi(p[1]), atoi(p[2]), atoi(p[3]))
	case isoMonth.MatchString(s):
		p := isoMonth.FindStringSubmatch(s)
		return monthPrecision(atoi(p[1]), atoi(p[2]))
	case monthYear.MatchString(s):
		p := monthYear.FindStringSubmatch(s)
		return monthPrecision(atoi(p[2]), atoi(p[1]))
	}
	folded := vocabulary.Fold(s)
	if p := namedMonth.FindStringSubmatch(folded); p != nil {
		month, ok := monthNames[p[2]]
		if !ok {
			return 0, 0, 0, "", "date_unreadable"
		}
		y = atoi(p[3])
		if len(p[3]) == 2 {
			y = c.century(y)
		}
		if p[1] != "" {
			return dayPrecision(y, month, atoi(p[1]))
		}
		return monthPrecision(y, month)
	}
	return 0, 0, 0, "", "date_unreadable"
}

// century places a two-digit year in this century unless that is in the future.
func (c *Converter) century(yy int) int {
	if 2000+yy <= c.now().Year() {
		return 2000 + yy
	}
	return 1900 + yy
}

func dayPrecision(y, m, d int) (int, int, int, string, string) {
	if m < 1 || m > 12 || d < 1 {
		return 0, 0, 0, "", "date_impossible"
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return 0, 0, 0, "", "date_impossible"
	}
	return y, m, d, "day", ""
}

func monthPrecision(y, m int) (int, int, int, string, string) {
	if m < 1 || m > 12 {
		return 0, 0, 0, "", "date_impossible"
	}
	return y, m, 0, "month", ""
}

// Ages as numbers or Spanish words ("treinta y cinco").
var (
	ageDigits = regexp.MustCompile(`^(\d{1,3})(?: anos?)?$`)
	units     = map[string]int{"uno": 1, "un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9}
	teens     = map[string]int{"diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16,
		"diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20}
	tens = map[string]int{"treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90}
)

// ageWords reads a Spanish number of years from 1 to 99, or -1.
func ageWords(folded string) int {
	folded = strings.TrimSuffix(strings.TrimSuffix(folded, " anos"), " ano")
	if n, ok := units[folded]; ok {
		return n
	}
	if n, ok := teens[folded]; ok {
		return n
	}
	if strings.HasPrefix(folded, "veinti") {
		if n, ok := units[strings.TrimPrefix(folded, "veinti")]; ok {
			return 20 + n
		}
	}
	head, tail, found := strings.Cut(folded, " y ")
	if n, ok := tens[head]; ok {
		if !found {
			return n
		}
		if u, ok := units[tail]; ok {
			return n + u
		}
	}
	return -1
}

func (c *Converter) age(r *Result, cl cell) {
	if cl.value == "" {
		return
	}
	folded := vocabulary.Fold(cl.value)
	if band, ok := c.syn.Lookup(vocabulary.AgeBands, cl.value); ok && !ageDigits.MatchString(folded) {
		r.Input.Survivor.AgeBand = band
		r.change(cl, FieldAge, band)
		return
	}
	age := -1
	if m := ageDigits.FindStringSubmatch(folded); m != nil {
		age, _ = strconv.Atoi(m[1])
	} else {
		age = ageWords(folded)
	}
	switch {
	case age < 1 || age > 110:
		r.problem(cl, "age_unreadable", "")
	case age < 18:
		// Never banded: the coordinator decides, by the organization's protocol.
		r.Minor = true
		r.problem(cl, "minor", "")
	default:
		band := ageBand(age)
		r.Input.Survivor.AgeBand = band
		r.change(cl, FieldAge, band)
	}
}

func ageBand(age int) string {
	switch {
	case age < 25:
		return "18-24"
	case age < 35:
		return "25-34"
	case age < 45:
		return "35-44"
	case age < 60:
		return "45-59"
	}
	return "60+"
}
