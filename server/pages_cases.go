package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/cases"
	"registro/validation"
)

// The case pages: the list in the caller's reach, the detail with its follow-ups, and
// (in pages_cases_edit.go and pages_cases_share.go) edits, shares and erasure. Every
// page goes through the API's operations, so authorization and the access log are
// the API's.

// listPage is the data of the list of cases.
type listPage struct {
	Rows     []caseRow
	Next     string // address of the next page, "" on the last
	First    string // address of the first page, when this is a later one
	Filtered bool   // some filter is set: the form starts open
	Erased   string // reference of a case just erased
	Failed   bool   // the filters were rejected: no rows to show
	Dates    []filterField
	Selects  []filterField
}

// filterField is one input of the filter form: its query name, its field name in
// problems and labels, and for a select its vocabulary list.
type filterField struct{ Name, Key, List string }

var (
	dateFilters   = []filterField{{"from", "case_from", ""}, {"to", "case_to", ""}}
	selectFilters = []filterField{{"district", "case_district", "districts"}, {"perpetrator", "case_perpetrator", "perpetrators"},
		{"violation", "case_violation", "violations"}, {"status", "case_status", "statuses"}}
)

// caseRow is one line of the list.
type caseRow struct {
	cases.Summary
	When string // incident date at its precision, in the reader's language
}

// listFilters are the query parameters the filter form sends and the next-page link
// keeps.
var listFilters = []string{"from", "to", "district", "perpetrator", "violation", "status"}

// pageSize is how many cases the list shows at once: enough to scan, small on 3G.
const pageSize = "50"

// refPattern recognizes a case reference, so a notice never echoes arbitrary text.
var refPattern = regexp.MustCompile(`^[A-Z0-9]{1,12}-[0-9]{4}-[0-9]{1,9}$`)

// showCases lists the cases in the caller's reach, filtered by the query.
func (s *Server) showCases(c *gin.Context) error {
	// The page always shows pageSize cases: a limit in the address is not the page's.
	q := c.Request.URL.Query()
	q.Set("limit", pageSize)

	v := s.newView(c, listTitle(userOf(c).Role))
	data := listPage{Dates: dateFilters, Selects: selectFilters}
	for _, f := range listFilters {
		if val := q.Get(f); val != "" {
			v.Form.Set(f, val)
			data.Filtered = true
		}
	}
	if ref := q.Get("erased"); refPattern.MatchString(ref) {
		data.Erased = ref
	}
	items, next, err := s.opListCases(c, q)
	if st, ok := s.rejected(v, err, s.caseWords()); ok {
		data.Failed, data.Filtered = true, true
		v.Data = data
		s.render(c, st, "cases", v)
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range items {
		data.Rows = append(data.Rows, caseRow{Summary: k, When: s.incidentWhen(v.Lang, k.Incident)})
	}
	if next != "" {
		data.Next = listAddress(q, next)
	}
	if q.Get("cursor") != "" {
		data.First = listAddress(q, "")
	}
	v.Data = data
	s.render(c, http.StatusOK, "cases", v)
	return nil
}

// listTitle names the list after what the role sees in it.
func listTitle(r accounts.Role) string {
	switch r {
	case accounts.RoleOutreach:
		return "cases.title_own"
	case accounts.RoleLegal:
		return "cases.title_shared"
	}
	return "cases.title_org"
}

// listAddress is the list with the same filters, at cursor ("" for the first page).
func listAddress(q url.Values, cursor string) string {
	out := url.Values{}
	for _, f := range listFilters {
		if val := q.Get(f); val != "" {
			out.Set(f, val)
		}
	}
	if cursor != "" {
		out.Set("cursor", cursor)
	}
	if len(out) == 0 {
		return "/cases"
	}
	return "/cases?" + out.Encode()
}

// incidentWhen shows an incident date at the precision it was remembered: a day, a
// month or only a year.
func (s *Server) incidentWhen(lang string, in cases.Incident) string {
	d := in.Date
	if len(d) < 4 {
		return d
	}
	if len(d) < 7 || in.DatePrecision == "year" {
		return d[:4]
	}
	month := s.cat.text(lang, "cases.month."+strconv.Itoa(atoi(d[5:7])))
	if len(d) < 10 || in.DatePrecision == "month" {
		return s.cat.text(lang, "cases.date_month", "Month", month, "Year", d[:4])
	}
	return s.cat.text(lang, "cases.date_day", "Day", atoi(d[8:10]), "Month", month, "Year", d[:4])
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// problemFields names the domain's fields by the case pages' own field names, so each
// problem links to its input (id "f-<name>") and its label lives in this area's
// catalogue.
var problemFields = map[string]string{
	"from": "case_from", "to": "case_to", "district": "case_district", "perpetrator": "case_perpetrator",
	"violation": "case_violation", "status": "case_status", "cursor": "case_cursor", "limit": "case_cursor",
	"note": "case_note", "date": "case_date", "version": "case_version",
	"response.status": "case_status", "response.outcome": "case_outcome",
	"response.reported_to": "case_reported_to", "response.referrals": "case_referrals",
	"consent.statistics": "case_statistics", "consent.legal_sharing": "case_legal_sharing",
	"consent.contact": "case_contact", "contact": "case_contact",
	"user": "case_user", "expires_at": "case_expires", "expires": "case_expires", "ref": "case_ref",
}

// caseWords words the problems of the case pages: each at the pages' own name for its
// field, and the domain's messages only these pages meet from this area's catalogue
// ("cases.problem.<code>"); the rest through the common translation.
func (s *Server) caseWords() problemWords {
	return problemWords{
		field: func(f string) string {
			if name, ok := problemFields[f]; ok {
				return name
			}
			return "case_other"
		},
		word: func(lang, _ string, p validation.Problem) string {
			return s.cat.problem(lang, p, "cases.")
		},
	}
}
