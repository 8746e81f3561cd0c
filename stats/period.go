package stats

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"registro/cases"
	"registro/validation"
)

// Period is a range of whole months of incident, inclusive ("2026-04" to "2026-06").
// Facts are kept by month, so a period never splits one.
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
}

var (
	monthPattern   = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	quarterPattern = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)
)

// ParsePeriod reads a period from a quarter ("2026-Q2"), or from and to (each a month
// "2026-04" or a quarter), defaulting to the quarter of now. It returns
// *validation.Error naming the bad parameter.
func ParsePeriod(quarter, from, to string, now time.Time) (Period, error) {
	e := &validation.Error{}
	if quarter != "" {
		if from != "" || to != "" {
			e.Add("quarter", validation.QuarterOrRange)
			return Period{}, e
		}
		from, to = quarter, quarter
	}
	if from == "" && to == "" {
		q := fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())-1)/3+1)
		from, to = q, q
	}
	if from == "" || to == "" {
		e.Add("from", validation.BothEnds)
		return Period{}, e
	}
	var p Period
	var ok bool
	if p.From, ok = firstMonth(from); !ok {
		e.Add(field(quarter, "from"), validation.MonthOrQuarter, "Example", "2026-04")
	}
	if p.To, ok = lastMonth(to); !ok {
		e.Add(field(quarter, "to"), validation.MonthOrQuarter, "Example", "2026-06")
	}
	if e.Empty() && p.From > p.To {
		e.Add("to", validation.ToBeforeFrom)
	}
	if e.Empty() && len(p.Months()) > 120 {
		e.Add("to", validation.TenYears)
	}
	return p, e.Err()
}

func field(quarter, name string) string {
	if quarter != "" {
		return "quarter"
	}
	return name
}

func firstMonth(s string) (string, bool) {
	if monthPattern.MatchString(s) {
		return s, true
	}
	if m := quarterPattern.FindStringSubmatch(s); m != nil {
		return fmt.Sprintf("%s-%02d", m[1], (int(m[2][0]-'0')-1)*3+1), true
	}
	return "", false
}

func lastMonth(s string) (string, bool) {
	if monthPattern.MatchString(s) {
		return s, true
	}
	if m := quarterPattern.FindStringSubmatch(s); m != nil {
		return fmt.Sprintf("%s-%02d", m[1], (int(m[2][0]-'0'))*3), true
	}
	return "", false
}

// Months lists the months of p in order.
func (p Period) Months() []string {
	var out []string
	t, _ := time.Parse("2006-01", p.From)
	end, _ := time.Parse("2006-01", p.To)
	for ; !t.After(end); t = t.AddDate(0, 1, 0) {
		out = append(out, t.Format("2006-01"))
	}
	return out
}

// FactsPeriods names the facts documents p reads: its months, and the years it covers
// whole, whose incidents known only to the year belong to no month.
func (p Period) FactsPeriods() []string {
	out := p.Months()
	from, _ := strconv.Atoi(p.From[:4])
	to, _ := strconv.Atoi(p.To[:4])
	for y := from; y <= to; y++ {
		if year := strconv.Itoa(y); p.From <= year+"-01" && p.To >= year+"-12" {
			out = append(out, year)
		}
	}
	return out
}

// Label names p for people: "2026-Q2", "2026-04", or "2026-01 – 2026-06".
func (p Period) Label() string {
	if p.From == p.To {
		return p.From
	}
	if q := cases.QuarterOf(p.From); p.From == mustFirst(q) && p.To == mustLast(q) {
		return q
	}
	return p.From + " – " + p.To
}

func mustFirst(q string) string { m, _ := firstMonth(q); return m }
func mustLast(q string) string  { m, _ := lastMonth(q); return m }
