package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"registro/audit"
	"registro/validation"
)

// auditPage is the data of the access log page.
type auditPage struct {
	Rows    []auditRow
	Actions []auditChoice // the action filter's choices
	Actor   string        // the actor filter: a user id, and her name when known
	ActorAs string
	Older   string // address of the next, older page; "" on the last one
	Verify  *auditVerdict
	Anchor  string // the chain's current anchor line; "" while the organization has no entry
}

type auditChoice struct{ Code, Label string }

// auditRow is one entry as people read it: Lima time, the action in words, a short
// object id (the whole one in a tooltip).
type auditRow struct {
	Time, ActorID, Actor, Action, Object, ObjectID, Outcome, OutcomeCode, Client, Detail string
}

// auditVerdict is a chain check in words.
type auditVerdict struct {
	OK               bool
	Entries, BrokeAt int64
	Reason           string // catalogue id
}

// auditActions are the actions the log holds, as resource and verb: the filter lists
// them in this order. An action missing here is still shown, by its code.
var auditActions = [][2]string{{"login", ""}, {"logout", ""}, {"case", "create"}, {"case", "read"},
	{"case", "list"}, {"case", "update"}, {"case", "followup"}, {"case", "share"}, {"case", "grant"},
	{"case", "revoke"}, {"case", "erase"}, {"stats", "read"}, {"stats", "export"}, {"stats", "publish"}, {"user", "create"},
	{"user", "update"}, {"accounts", "manage"}, {"org", "create"}, {"orgs", "manage"}, {"audit", "read"},
	{"audit", "verify"}}

// showAudit shows a page of the organization's access log. The form's dates are days
// in Lima; the operation takes instants, so a day runs from its Lima midnight to the
// next.
func (s *Server) showAudit(c *gin.Context) error {
	v := s.newView(c, "audit.title")
	q := url.Values{"limit": {"50"}}
	for _, f := range []string{"action", "actor", "before"} {
		if val := c.Query(f); val != "" {
			q.Set(f, val)
		}
	}
	e := &validation.Error{}
	for f, next := range map[string]int{"from": 0, "to": 1} {
		val := c.Query(f)
		v.Form.Set(f, val)
		if val == "" {
			continue
		}
		d, err := time.ParseInLocation(time.DateOnly, val, limaTime)
		if err != nil {
			e.Add(f, validation.DateFormat)
			continue
		}
		q.Set(f, d.AddDate(0, 0, next).Format(time.RFC3339))
	}
	v.Form.Set("action", c.Query("action"))
	data := &auditPage{Actions: s.auditChoices(v), Actor: c.Query("actor")}
	v.Data = data
	if err := e.Err(); err != nil {
		if _, err := s.can(c, "audit", "read", userOf(c).Org); err != nil {
			return err
		}
		st, _ := s.rejected(v, err, problemWords{})
		s.render(c, st, "audit", v)
		return nil
	}
	entries, next, err := s.opListAudit(c, q)
	if err != nil {
		return err
	}
	// Read after the list, whose own access is logged: the line covers that entry too.
	anchor, err := s.Audit.Anchor(c.Request.Context(), userOf(c).Org)
	switch {
	case err == nil:
		data.Anchor = anchor.String()
	case !errors.Is(err, audit.ErrEmpty):
		return err
	}
	for _, en := range entries {
		data.Rows = append(data.Rows, s.auditRowOf(v, en))
		if data.Actor != "" && en.Actor == data.Actor {
			data.ActorAs = en.ActorName
		}
	}
	if next > 0 {
		older := c.Request.URL.Query()
		older.Set("before", strconv.FormatInt(next, 10))
		data.Older = "/audit?" + older.Encode()
	}
	s.render(c, http.StatusOK, "audit", v)
	return nil
}

// verifyAuditPage checks the chain and says the outcome in words.
func (s *Server) verifyAuditPage(c *gin.Context) error {
	v := s.newView(c, "audit.title")
	v.Path = "/audit" // where the language switch and the menu lead back to
	res, err := s.opVerifyAudit(c)
	if err != nil {
		return err
	}
	verdict := &auditVerdict{OK: res.OK, Entries: res.Entries, BrokeAt: res.BrokenAt}
	switch {
	case res.OK:
	case res.Reason == audit.ReasonHash:
		verdict.Reason = "audit.verify.reason.hash"
	case res.Reason == audit.ReasonPrev:
		verdict.Reason = "audit.verify.reason.prev"
	case res.Reason == audit.ReasonMissing:
		verdict.Reason = "audit.verify.reason.missing"
	case res.Reason == audit.ReasonUnkeyed:
		verdict.Reason = "audit.verify.reason.unkeyed"
	default:
		verdict.Reason = "audit.verify.reason.head"
	}
	v.Data = &auditPage{Verify: verdict}
	s.render(c, http.StatusOK, "audit", v)
	return nil
}

func (s *Server) auditChoices(v *view) []auditChoice {
	out := make([]auditChoice, 0, len(auditActions))
	for _, a := range auditActions {
		code := a[0]
		if a[1] != "" {
			code += "." + a[1]
		}
		out = append(out, auditChoice{Code: code, Label: s.auditWords(v.Lang, "audit.action.", code)})
	}
	return out
}

// auditWords is a code in words from the catalogue (prefix + code), or the code.
func (s *Server) auditWords(lang, prefix, code string) string {
	if s.cat.has(lang, prefix+code) {
		return s.cat.text(lang, prefix+code)
	}
	return code
}

func (s *Server) auditRowOf(v *view, e audit.Entry) auditRow {
	r := auditRow{Time: e.Time.In(limaTime).Format("2006-01-02 15:04:05"), ActorID: e.Actor,
		Actor: orDefault(e.ActorName, "—"), Action: s.auditWords(v.Lang, "audit.action.", e.Action),
		Object: e.Object, ObjectID: e.Object, OutcomeCode: e.Outcome,
		Outcome: s.auditWords(v.Lang, "audit.outcome.", e.Outcome), Client: e.Client, Detail: e.Detail}
	if runes := []rune(e.Object); len(runes) > 10 {
		r.Object = string(runes[:8]) + "…"
	}
	return r
}
