package stats

import (
	"fmt"
	"strconv"
	"strings"
)

// texts are the report's words in Spanish (the default) and English.
var texts = map[string][2]string{
	"total":            {"Total", "Total"},
	"unknown":          {"Sin dato", "Not recorded"},
	"suppressed":       {"oculto", "hidden"},
	"incidents":        {"Incidentes", "Incidents"},
	"survivors":        {"Sobrevivientes", "Survivors"},
	"reason":           {"Motivo", "Reason"},
	"primary":          {"grupo de menos de %d sobrevivientes", "group of fewer than %d survivors"},
	"complementary":    {"protege otra cifra oculta", "protects another hidden number"},
	"dim.perpetrator":  {"Agresor", "Perpetrator"},
	"dim.violation":    {"Vulneración", "Violation"},
	"dim.district":     {"Distrito", "District"},
	"dim.place":        {"Lugar", "Place"},
	"dim.age_band":     {"Edad", "Age"},
	"dim.gender":       {"Género", "Gender"},
	"dim.nationality":  {"Nacionalidad", "Nationality"},
	"dim.work_setting": {"Lugar de trabajo", "Work setting"},
	"dim.quarter":      {"Trimestre", "Quarter"},
	"dim.month":        {"Mes", "Month"},
	"title":            {"Registro: estadísticas", "Registro: statistics"},
	"period":           {"Periodo", "Period"},
	"threshold":        {"Umbral", "Threshold"},
	"version":          {"Versión", "Version"},
	"internal":         {"Uso interno: no publicar", "Internal use: do not publish"},
	"note.internal": {
		"Uso interno: no publicar. Cifras exactas de los casos registrados hoy, con consentimiento para estadísticas; pueden identificar a una persona.",
		"Internal use: do not publish. Exact numbers of the cases recorded today with consent to statistics; they can identify a person.",
	},
	"note.release": {
		"Publicación de %s, versión %d. Solo cuentan los casos con consentimiento para estadísticas. Se ocultan los grupos de menos de %[3]d sobrevivientes y las cifras que permitirían deducirlos, en todas las tablas publicadas a la vez.",
		"Release of %s, version %d. Only cases with consent to statistics count. Groups of fewer than %[3]d survivors are hidden, and so are the numbers that would let anyone work them out, across all published tables together.",
	},
	"note.trend": {
		"Cada trimestre viene de la versión más reciente de su publicación. El total de todos los trimestres juntos no se publica. Se ocultan los grupos de menos de %d sobrevivientes y las cifras que permitirían calcularlos.",
		"Each quarter comes from the latest version of its release. The total of all the quarters together is not published. Groups of fewer than %d survivors are hidden, and so are the numbers that would let anyone work them out.",
	},
	"method": {
		"Método: supresión de celdas conjunta sobre todas las tablas de la publicación y las publicaciones anteriores de la organización; para cada cifra oculta, lo que permiten deducir todas las cifras publicadas juntas incluye 0 o un valor de al menos %d. Una revisión solo se publica si el cambio afecta a %[1]d sobrevivientes o más.",
		"Method: joint cell suppression over every table of the release and the organization's earlier releases; for every hidden number, what all published numbers together allow includes 0 or a value of at least %d. A revision is published only when the change involves %[1]d survivors or more.",
	},
}

var (
	monthNames = [2][12]string{
		{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	}
	ordinals = [4]string{"1.er", "2.º", "3.er", "4.º"}
)

// text returns the text key in lang ("en" for English, Spanish otherwise).
func text(lang, key string) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return t[1]
	}
	return t[0]
}

func langIndex(lang string) int {
	if lang == "en" {
		return 1
	}
	return 0
}

// PeriodLabel names a release period for people: "2.º trimestre 2026 (abril–junio)",
// "Q2 2026 (April–June)", "Año 2026", "Year 2026". Anything else comes back as is.
func PeriodLabel(name, lang string) string {
	l := langIndex(lang)
	if m := quarterPattern.FindStringSubmatch(name); m != nil {
		q := int(m[2][0] - '1')
		first, last := monthNames[l][q*3], monthNames[l][q*3+2]
		if l == 1 {
			return fmt.Sprintf("Q%d %s (%s–%s)", q+1, m[1], first, last)
		}
		return fmt.Sprintf("%s trimestre %s (%s–%s)", ordinals[q], m[1], first, last)
	}
	if yearPattern.MatchString(name) {
		return []string{"Año ", "Year "}[l] + name
	}
	return name
}

// MonthLabel names a month "2026-05" for people: "mayo 2026", "May 2026".
func MonthLabel(month, lang string) string {
	if !monthPattern.MatchString(month) {
		return month
	}
	m, _ := strconv.Atoi(month[5:])
	return monthNames[langIndex(lang)][m-1] + " " + month[:4]
}

// ReasonText words a hidden position's reason for coordinators, with k.
func ReasonText(reason string, k int, lang string) string {
	t := text(lang, reason)
	if strings.Contains(t, "%d") {
		return fmt.Sprintf(t, k)
	}
	return t
}
