package server

import (
	"html/template"
	"slices"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"registro/vocabulary"
)

// recordPage is the form's own data. Its methods build the large answer tiles, so the
// template writes each question in one line and every tile gets its label and id.
type recordPage struct {
	v     *view
	syn   *vocabulary.Synonyms
	Fresh bool   // a new form: the script may put back an unsent draft
	Today string // Lima's date, the latest an incident can have happened
}

// stepNav is what a step shows of the stepper: "Step 2 of 6" and its buttons.
type stepNav struct {
	Step, Total          int
	Progress, Back, Next string
}

// Step is step n's place in the form.
func (p *recordPage) Step(n int) stepNav {
	return stepNav{Step: n, Total: recordSteps, Back: p.v.T("record.back"), Next: p.v.T("record.next"),
		Progress: p.v.T("record.progress", "Step", n, "Total", recordSteps)}
}

// question is one group of answer tiles (radio or checkbox) with its legend.
type question struct {
	Name, Type, Legend, Hint, Err string
	Optional                      string // "optional" in the page's language, or ""
	Icons, Pair                   bool   // Pair: two short answers side by side
	Tiles                         []answerTile
}

// answerTile is one answer: the whole tile is the input's label.
type answerTile struct {
	ID, Value, Label string
	Checked          bool
	Icon             template.HTML
}

// Described lists the ids of the hint and the problem that describe the question.
func (q question) Described() string {
	var ids []string
	if q.Hint != "" {
		ids = append(ids, "h-"+q.Name)
	}
	if q.Err != "" {
		ids = append(ids, "e-"+q.Name)
	}
	return strings.Join(ids, " ")
}

func (p *recordPage) question(name, typ, legend, hint string) question {
	q := question{Name: name, Type: typ, Legend: p.v.T(legend), Err: p.v.Err(name)}
	if hint != "" {
		q.Hint = p.v.T(hint)
	}
	return q
}

func (p *recordPage) tile(q *question, value, label string, icon template.HTML) {
	q.Tiles = append(q.Tiles, answerTile{
		ID: "f-" + q.Name + "-" + value, Value: value, Label: label, Icon: icon,
		Checked: slices.Contains(p.v.Vals(q.Name), value),
	})
}

// YesNo is a consent question.
func (p *recordPage) YesNo(name, legend, hint string) question {
	q := p.question(name, "radio", legend, hint)
	q.Pair = true
	p.tile(&q, "yes", p.v.T("record.yes"), p.v.Icon("check"))
	p.tile(&q, "no", p.v.T("record.no"), p.v.Icon("x"))
	return q
}

// Choices are the terms of a vocabulary list as tiles; perpetrators and violations
// carry their icons. An optional single choice gets a "no answer" tile, so an answer
// chosen by mistake can be taken back.
func (p *recordPage) Choices(name, list, typ, legend, hint string, optional bool) question {
	q := p.question(name, typ, legend, hint)
	if optional {
		q.Optional = p.v.T("form.optional")
	}
	prefix := map[string]string{"perpetrators": "p-", "violations": "v-"}[list]
	q.Icons = prefix != ""
	for _, t := range p.v.Terms(list) {
		var icon template.HTML
		if prefix != "" {
			icon = p.v.Icon(prefix + t.Code)
		}
		p.tile(&q, t.Code, t.Label(p.v.Lang), icon)
	}
	if optional && typ == "radio" {
		p.tile(&q, "", p.v.T("record.no_answer"), "")
		q.Tiles[len(q.Tiles)-1].ID = "f-" + name + "-none"
		q.Tiles[len(q.Tiles)-1].Checked = p.v.Val(name) == ""
	}
	return q
}

// districtGroup is one optgroup of the district select.
type districtGroup struct {
	Label string // catalogue id
	Terms []vocabulary.Term
}

// Districts groups the district list for the select: the districts of Lima
// Metropolitana and of Callao by name, where almost every incident happens, then any
// other district an installation adds, then the departments.
func (p *recordPage) Districts() []districtGroup {
	groups := []districtGroup{{Label: "record.districts_lima"}, {Label: "record.districts_callao"},
		{Label: "record.districts_other"}, {Label: "record.departments"}}
	for _, t := range p.v.Terms(string(vocabulary.Districts)) {
		i := 2
		switch {
		case t.Parent == "1501":
			i = 0
		case t.Parent == "0701":
			i = 1
		case t.Level == "department":
			i = 3
		}
		groups[i].Terms = append(groups[i].Terms, t)
	}
	tag := language.LatinAmericanSpanish
	if p.v.Lang == "en" {
		tag = language.English
	}
	coll := collate.New(tag)
	out := groups[:0]
	for _, g := range groups {
		slices.SortStableFunc(g.Terms, func(a, b vocabulary.Term) int {
			return coll.CompareString(a.Label(p.v.Lang), b.Label(p.v.Lang))
		})
		if len(g.Terms) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// Nationalities is the country list, Peru, Venezuela and Colombia first as the
// vocabulary orders it.
func (p *recordPage) Nationalities() []vocabulary.Term {
	return p.v.Terms(string(vocabulary.Nationalities))
}

// Aka is the other names of a district for the search ("SJL", "Cercado"), from the
// installation's synonym table, separated by "|", or "".
func (p *recordPage) Aka(code string) string {
	return strings.Join(p.syn.Names(vocabulary.Districts, code), "|")
}
