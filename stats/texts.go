package stats

import "fmt"

// texts are the report's words in Spanish (the default) and English.
var texts = map[string][2]string{
	"total":            {"Total", "Total"},
	"unknown":          {"Sin dato", "Not recorded"},
	"suppressed":       {"oculto", "hidden"},
	"incidents":        {"Incidentes", "Incidents"},
	"survivors":        {"Sobrevivientes", "Survivors"},
	"reason":           {"Motivo", "Reason"},
	"primary":          {"menos de k sobrevivientes", "fewer than k survivors"},
	"complementary":    {"protege otra celda oculta", "protects another hidden cell"},
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
	"threshold":        {"Umbral k", "Threshold k"},
	"note": {
		"Periodo %s. Solo cuentan los casos con consentimiento para estadísticas. Se ocultan las celdas con 1 a %d sobrevivientes y las necesarias para que no puedan deducirse (k = %d).",
		"Period %s. Only cases with consent to statistics count. Cells with 1 to %d survivors are hidden, and so are the cells needed to keep them from being worked out (k = %d).",
	},
}

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

func note(lang string, k int, period string) string {
	return fmt.Sprintf(text(lang, "note"), period, k-1, k)
}
