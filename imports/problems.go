package imports

import "fmt"

// Problem is what stops a cell (or a row) from being imported as it is.
type Problem struct {
	Column string // the column's title, "" for the whole row
	Value  string // the cell as written
	Code   string // a stable code: see messages
	// Detail completes the message: the part of the cell not understood, the row a
	// duplicate repeats, the record's own objection.
	Detail string
}

// messages are the texts of the problem codes, in Spanish and English; %s is the
// problem's Detail.
var messages = map[string][2]string{
	"date_required":        {"Falta la fecha del hecho.", "The date of the incident is missing."},
	"date_unreadable":      {"No se entiende la fecha: escríbala como 15/03/2021, 2021-03-15, marzo 2021 o 2021.", "The date cannot be read: write it as 15/03/2021, 2021-03-15, March 2021 or 2021."},
	"date_impossible":      {"Esa fecha no existe en el calendario.", "That date does not exist in the calendar."},
	"date_future":          {"La fecha está en el futuro.", "The date is in the future."},
	"date_too_old":         {"La fecha es anterior a 1980.", "The date is before 1980."},
	"uic_shape":            {"El código no tiene la forma esperada: cuatro letras, el día de nacimiento y dos cifras del año (MAJO1585).", "The code does not have the expected shape: four letters, the day of birth and two digits of the year (MAJO1585)."},
	"district_required":    {"Falta el distrito.", "The district is missing."},
	"district_unknown":     {"No se reconoce el distrito.", "The district is not recognised."},
	"place_required":       {"Falta el lugar.", "The place is missing."},
	"place_unknown":        {"No se reconoce el lugar.", "The place is not recognised."},
	"perpetrator_required": {"Falta quién agredió.", "The perpetrator is missing."},
	"perpetrator_unknown":  {"No se reconoce el agresor «%s».", "The perpetrator \"%s\" is not recognised."},
	"violation_required":   {"Falta qué pasó (tipo de violencia).", "What happened (the violation) is missing."},
	"violation_unknown":    {"No se reconoce la vulneración «%s».", "The violation \"%s\" is not recognised."},
	"age_unreadable":       {"No se entiende la edad: escriba un número de años.", "The age cannot be read: write a number of years."},
	"minor":                {"Menor de 18 años: es explotación sexual de una menor, y la organización sigue su propio protocolo. Se importa solo si usted lo confirma.", "Under 18: this is the sexual exploitation of a minor, which the organization handles by its own protocol. It is imported only if you confirm it."},
	"gender_unknown":       {"No se reconoce la identidad de género.", "The gender identity is not recognised."},
	"nationality_unknown":  {"No se reconoce la nacionalidad.", "The nationality is not recognised."},
	"work_setting_unknown": {"No se reconoce dónde trabaja.", "Where she works is not recognised."},
	"reported_to_unknown":  {"No se reconoce a quién denunció: «%s».", "Whom she reported to is not recognised: \"%s\"."},
	"reported_yes":         {"Dice que denunció, pero no ante quién (comisaría, fiscalía, defensoría…).", "It says she reported it, but not to whom (police, prosecutor, ombudsman…)."},
	"referral_unknown":     {"No se reconoce la derivación «%s».", "The referral \"%s\" is not recognised."},
	"status_unknown":       {"No se reconoce el estado del caso.", "The case's status is not recognised."},
	"outcome_unknown":      {"No se reconoce el resultado.", "The outcome is not recognised."},
	"outcome_required":     {"Un caso cerrado necesita su resultado (resuelto, parcialmente resuelto, no resuelto).", "A closed case needs its outcome (resolved, partly resolved, unresolved)."},
	"narrative_too_long":   {"El relato es demasiado largo (más de 20.000 caracteres).", "The narrative is too long (over 20,000 characters)."},
	"too_many_cells":       {"La fila tiene más celdas que títulos: revise el separador.", "The row has more cells than titles: check the separator."},
	"duplicate_row":        {"Repite la fila %s del archivo.", "Repeats row %s of the file."},
	"record_rejected":      {"Registro no lo acepta: %s", "Registro refuses it: %s"},
}

// Message returns the text of a problem in lang ("es", or "en"), with its detail.
func Message(p Problem, lang string) string {
	m, ok := messages[p.Code]
	if !ok {
		return p.Code + " " + p.Detail
	}
	text := m[0]
	if lang == "en" {
		text = m[1]
	}
	if p.Detail != "" && containsVerb(text) {
		return fmt.Sprintf(text, p.Detail)
	}
	return text
}

func containsVerb(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] == 's' {
			return true
		}
	}
	return false
}
