package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// vocab holds the codes of the controlled lists, as GET /api/v1/vocabularies answers
// them, so the generated cases are valid on any installation's vocabulary.
type vocab struct {
	AgeBands      []term `json:"age_bands"`
	Districts     []term `json:"districts"`
	Genders       []term `json:"genders"`
	Nationalities []term `json:"nationalities"`
	Outcomes      []term `json:"outcomes"`
	Perpetrators  []term `json:"perpetrators"`
	Places        []term `json:"places"`
	Referrals     []term `json:"referrals"`
	ReportedTo    []term `json:"reported_to"`
	Statuses      []term `json:"statuses"`
	Violations    []term `json:"violations"`
	WorkSettings  []term `json:"work_settings"`
}

type term struct {
	Code  string `json:"code"`
	Level string `json:"level"`
}

func parseVocab(b []byte) (*vocab, error) {
	var v vocab
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("vocabularies: %w", err)
	}
	// A case names a district, not a province or department.
	var districts []term
	for _, t := range v.Districts {
		if t.Level == "" || t.Level == "district" {
			districts = append(districts, t)
		}
	}
	v.Districts = districts
	if len(v.Districts) == 0 || len(v.Places) == 0 || len(v.Perpetrators) == 0 || len(v.Violations) == 0 {
		return nil, errors.New("vocabularies: no districts, places, perpetrators or violations")
	}
	return &v, nil
}

// caseBody is POST /api/v1/cases.
type caseBody struct {
	UIC          string       `json:"uic,omitempty"`
	Incident     caseIncident `json:"incident"`
	Perpetrators []string     `json:"perpetrators"`
	Violations   []string     `json:"violations"`
	Survivor     caseSurvivor `json:"survivor"`
	Consent      caseConsent  `json:"consent"`
	Narrative    string       `json:"narrative"`
	Contact      string       `json:"contact,omitempty"`
	Response     caseResponse `json:"response"`
}

type caseIncident struct {
	Date          string `json:"date"`
	DatePrecision string `json:"date_precision"`
	District      string `json:"district"`
	Place         string `json:"place"`
}

type caseSurvivor struct {
	AgeBand     string `json:"age_band,omitempty"`
	Gender      string `json:"gender,omitempty"`
	Nationality string `json:"nationality,omitempty"`
	WorkSetting string `json:"work_setting,omitempty"`
}

type caseConsent struct {
	Record       bool `json:"record"`
	Statistics   bool `json:"statistics"`
	LegalSharing bool `json:"legal_sharing"`
	Contact      bool `json:"contact"`
}

type caseResponse struct {
	ReportedTo []string `json:"reported_to"`
	Referrals  []string `json:"referrals"`
	Status     string   `json:"status,omitempty"`
	Outcome    string   `json:"outcome,omitempty"`
}

// sentences make up narratives of a few hundred characters, about what an outreach
// worker writes down.
var sentences = []string{
	"Estaba trabajando en la esquina de siempre cuando llegaron dos agentes en una camioneta.",
	"Le pidieron sus documentos y, al no tenerlos a la mano, la subieron al vehículo sin explicarle por qué.",
	"Le quitaron el celular y el dinero que llevaba, y no le dieron ningún papel.",
	"Después de varias horas la dejaron ir lejos de su zona, de madrugada y sin su teléfono.",
	"Refiere golpes en los brazos y un empujón que la hizo caer sobre la vereda.",
	"Los serenos la insultaron y le dijeron que no querían verla más por el parque.",
	"Un cliente se negó a pagar, la amenazó con un cuchillo y se llevó su cartera.",
	"No quiso denunciar porque teme represalias y porque la última vez no le hicieron caso.",
	"La acompañamos al centro de salud para que la revisen y le den un certificado.",
	"Pide que no se la contacte por teléfono durante el día; prefiere mensajes por la tarde.",
	"Es la segunda vez este mes que le ocurre lo mismo en la misma cuadra.",
	"Otras compañeras vieron lo sucedido y podrían dar su testimonio si hace falta.",
	"Se le explicó la posibilidad de presentar una queja ante la Defensoría y lo va a pensar.",
}

// caseGen makes valid, varied cases; one per client, with its own random source.
type caseGen struct {
	v   *vocab
	rng *rand.Rand
	now time.Time
}

func newCaseGen(v *vocab, seed uint64, client int) *caseGen {
	return &caseGen{v: v, rng: rand.New(rand.NewPCG(seed, uint64(client)+1)), now: time.Now().UTC()}
}

func (g *caseGen) pick(ts []term) string {
	if len(ts) == 0 {
		return ""
	}
	return ts[g.rng.IntN(len(ts))].Code
}

// some picks between lo and hi distinct codes, leaving out the codes in except.
func (g *caseGen) some(ts []term, lo, hi int, except ...string) []string {
	var codes []string
	for _, t := range ts {
		if !slices.Contains(except, t.Code) {
			codes = append(codes, t.Code)
		}
	}
	n := min(lo+g.rng.IntN(hi-lo+1), len(codes))
	g.rng.Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
	return codes[:n]
}

// uic is the code of one of a few thousand survivors, so some survivors have several
// cases, as in a real registry.
func (g *caseGen) uic() string {
	i := g.rng.IntN(5000)
	n := i * 7919 % (26 * 26 * 26 * 26)
	var b strings.Builder
	for range 4 {
		b.WriteByte(byte('A' + n%26))
		n /= 26
	}
	fmt.Fprintf(&b, "%02d%02d", i%28+1, (60+i/28)%100)
	return b.String()
}

// next returns a new case's JSON body; marker is a text put in its narrative to
// recognize it when it is read back.
func (g *caseGen) next(marker string) []byte {
	r := g.rng
	date := g.now.AddDate(0, 0, -1-r.IntN(365))
	inc := caseIncident{Date: date.Format(time.DateOnly), DatePrecision: "day", District: g.pick(g.v.Districts), Place: g.pick(g.v.Places)}
	switch p := r.IntN(100); {
	case p < 3:
		inc.Date, inc.DatePrecision = date.Format("2006"), "year"
	case p < 13:
		inc.Date, inc.DatePrecision = date.Format("2006-01"), "month"
	}
	c := caseBody{
		Incident:     inc,
		Perpetrators: g.some(g.v.Perpetrators, 1, 2),
		Violations:   g.some(g.v.Violations, 1, 3),
		Consent:      caseConsent{Record: true, Statistics: r.IntN(10) < 9, LegalSharing: r.IntN(2) == 0, Contact: r.IntN(10) < 3},
	}
	if r.IntN(10) < 8 {
		c.UIC = g.uic()
	}
	if r.IntN(10) < 7 {
		c.Survivor = caseSurvivor{AgeBand: g.pick(g.v.AgeBands), Gender: g.pick(g.v.Genders), WorkSetting: g.pick(g.v.WorkSettings)}
		if len(g.v.Nationalities) > 0 {
			c.Survivor.Nationality = g.v.Nationalities[r.IntN(min(3, len(g.v.Nationalities)))].Code
		}
	}
	if c.Consent.Contact {
		c.Contact = fmt.Sprintf("+51 9%02d %03d %03d", r.IntN(100), r.IntN(1000), r.IntN(1000))
	}
	var narrative strings.Builder
	for target := 200 + r.IntN(500); narrative.Len() < target; {
		if narrative.Len() > 0 {
			narrative.WriteByte(' ')
		}
		narrative.WriteString(sentences[r.IntN(len(sentences))])
	}
	narrative.WriteString(" [" + marker + "]")
	c.Narrative = narrative.String()
	c.Response.ReportedTo = []string{}
	if r.IntN(10) < 6 && slices.ContainsFunc(g.v.ReportedTo, func(t term) bool { return t.Code == "none" }) {
		c.Response.ReportedTo = []string{"none"}
	} else {
		c.Response.ReportedTo = g.some(g.v.ReportedTo, 1, 2, "none")
	}
	c.Response.Referrals = g.some(g.v.Referrals, 0, 2)
	c.Response.Status = g.pick(g.v.Statuses)
	if c.Response.Status == "closed" {
		c.Response.Outcome = g.pick(g.v.Outcomes)
	}
	b, _ := json.Marshal(c)
	return b
}
