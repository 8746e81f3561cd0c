// Package imports brings an organization's old registry (a spreadsheet kept for years,
// in XLSX or CSV) into Registro: it reads the file row by row, maps its columns to the
// fields of a case, turns the values as people wrote them into the vocabulary's codes,
// reports every problem beside the original cells, and imports each ready row at most
// once (Run).
package imports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"registro/vocabulary"
)

// Field is the field of a case a column holds.
type Field string

// The fields a column can hold, in the record form's order.
const (
	FieldUIC          Field = "uic"
	FieldDate         Field = "date"
	FieldDistrict     Field = "district"
	FieldPlace        Field = "place"
	FieldPerpetrators Field = "perpetrators"
	FieldViolations   Field = "violations"
	FieldAge          Field = "age"
	FieldGender       Field = "gender"
	FieldNationality  Field = "nationality"
	FieldWorkSetting  Field = "work_setting"
	FieldNarrative    Field = "narrative"
	FieldReportedTo   Field = "reported_to"
	FieldReferrals    Field = "referrals"
	FieldStatus       Field = "status"
	FieldOutcome      Field = "outcome"
	FieldIgnore       Field = "ignore"
)

// Fields returns every field in the record form's order, FieldIgnore last.
func Fields() []Field {
	return []Field{FieldUIC, FieldDate, FieldDistrict, FieldPlace, FieldPerpetrators, FieldViolations,
		FieldAge, FieldGender, FieldNationality, FieldWorkSetting, FieldNarrative, FieldReportedTo,
		FieldReferrals, FieldStatus, FieldOutcome, FieldIgnore}
}

// Mapping says which field each column of a file holds, by the column's title, and
// the value a field takes when its cell is empty.
type Mapping struct {
	Columns  map[string]Field `json:"columns"`
	Defaults map[Field]string `json:"defaults,omitempty"`
}

// headerWords are the titles, folded, by which a column is recognised.
var headerWords = map[Field][]string{
	FieldUIC:          {"codigo", "cod", "code", "uic", "codigo unico", "codigo de la sobreviviente", "codigo unico de identificacion", "id sobreviviente", "survivor code"},
	FieldDate:         {"fecha", "date", "fecha del incidente", "fecha del hecho", "fecha de los hechos", "dia", "cuando", "incident date"},
	FieldDistrict:     {"distrito", "district", "lugar distrito", "zona", "ubigeo"},
	FieldPlace:        {"lugar", "place", "tipo de lugar", "donde", "lugar del hecho", "espacio"},
	FieldPerpetrators: {"agresor", "agresores", "perpetrator", "perpetrators", "quien agredio", "responsable", "responsables", "presunto agresor"},
	FieldViolations:   {"tipo de violencia", "violencia", "violacion", "vulneracion", "violation", "violations", "hecho", "tipo de vulneracion", "tipo de agresion", "agresion"},
	FieldAge:          {"edad", "age", "anos"},
	FieldGender:       {"identidad", "genero", "gender", "identidad de genero", "sexo"},
	FieldNationality:  {"nacionalidad", "nationality", "pais", "pais de origen"},
	FieldWorkSetting:  {"donde trabaja", "lugar de trabajo", "work setting", "modalidad"},
	FieldNarrative:    {"relato", "narrative", "descripcion", "hechos", "testimonio", "detalle", "que paso", "observaciones"},
	FieldReportedTo:   {"denuncio", "denuncia", "reported to", "reported", "denuncio ante", "donde denuncio"},
	FieldReferrals:    {"derivacion", "derivaciones", "referral", "referrals", "derivado a"},
	FieldStatus:       {"estado", "status", "estado del caso", "situacion"},
	FieldOutcome:      {"resultado", "outcome", "resolucion"},
	FieldIgnore:       {"n", "no", "nro", "numero", "id", "item", "n de caso"},
}

// Guess maps each column of header by its title; a title it does not know, or a
// second column for a field already taken, maps to FieldIgnore.
func Guess(header []string) Mapping {
	m := Mapping{Columns: make(map[string]Field, len(header))}
	taken := map[Field]bool{}
	for _, h := range header {
		f := recognise(h)
		if f != FieldIgnore && taken[f] {
			f = FieldIgnore
		}
		taken[f] = true
		m.Columns[h] = f
	}
	return m
}

func recognise(title string) Field {
	folded := vocabulary.Fold(title)
	for _, f := range Fields() {
		if slices.Contains(headerWords[f], folded) {
			return f
		}
	}
	return FieldIgnore
}

// Check reports the first thing wrong with m for a file with header: a column it
// does not map, an unknown field, two columns for one field, a missing date, or a
// default for a field that takes none.
func (m Mapping) Check(header []string) error {
	seen := map[Field]string{}
	for _, h := range header {
		f, ok := m.Columns[h]
		if !ok {
			return fmt.Errorf("column %q is not mapped: choose its field or %q", h, FieldIgnore)
		}
		if !slices.Contains(Fields(), f) {
			return fmt.Errorf("column %q: unknown field %q", h, f)
		}
		if f == FieldIgnore {
			continue
		}
		if prev, dup := seen[f]; dup {
			return fmt.Errorf("columns %q and %q both hold %s: choose one", prev, h, f)
		}
		seen[f] = h
	}
	if _, ok := seen[FieldDate]; !ok {
		return fmt.Errorf("no column holds the date of the incident")
	}
	for f := range m.Defaults {
		if f != FieldPlace && f != FieldDistrict && f != FieldStatus && f != FieldOutcome {
			return fmt.Errorf("a default value is only for the place, district, status or outcome, not %s", f)
		}
	}
	return nil
}

// ReadMapping reads a mapping written by Write (JSON); it returns the decoding error.
func ReadMapping(r io.Reader) (Mapping, error) {
	var m Mapping
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Mapping{}, err
	}
	if m.Columns == nil {
		m.Columns = map[string]Field{}
	}
	return m, nil
}

// Write writes m as indented JSON.
func (m Mapping) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// Digest is a stable digest of m: two mappings that read a file the same way give
// the same digest, whatever order they were written in.
func (m Mapping) Digest() string {
	var parts []string
	for h, f := range m.Columns {
		parts = append(parts, "c\x00"+h+"\x00"+string(f))
	}
	for f, v := range m.Defaults {
		parts = append(parts, "d\x00"+string(f)+"\x00"+v)
	}
	sort.Strings(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x01")))
	return hex.EncodeToString(sum[:])
}
