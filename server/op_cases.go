package server

import (
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"registro/authz"
	"registro/cases"
	"registro/validation"
	"registro/vocabulary"
)

// The case operations below authorize, call the store and write the access log; the
// API handlers render their results as JSON and the page handlers as HTML, so both
// faces of Registro apply one rule.

func (s *Server) opCreateCase(c *gin.Context, in cases.Input, key string) (_ *cases.Case, _ bool, err error) {
	if _, err := s.can(c, "case", "create", userOf(c).Org); err != nil {
		return nil, false, err
	}
	if utf8.RuneCountInString(key) > 200 {
		return nil, false, validation.Field("Idempotency-Key", validation.TooLong, "Max", 200)
	}
	defer s.logged(c, &err, &entry{Action: "case.create", ByStore: true})
	return s.Cases.Create(c.Request.Context(), actorOf(c), in, key)
}

// opReadCase returns a case with its narrative: every such read goes to the access
// log, and none is served when the log cannot be written.
func (s *Server) opReadCase(c *gin.Context, id string) (k *cases.Case, err error) {
	sub, scopes, err := s.scopes(c, "case", "read")
	if err != nil {
		return nil, err
	}
	e := entry{Action: "case.read", Object: id}
	defer s.logged(c, &err, &e)
	if k, err = s.Cases.Case(c.Request.Context(), id, s.caseAllow(sub, scopes)); err == nil {
		e.Detail = k.Ref
	}
	return k, err
}

// opListCases returns a page of the cases in the caller's reach, filtered by q (from,
// to, district, perpetrator, violation, status, limit, cursor).
func (s *Server) opListCases(c *gin.Context, q url.Values) (items []cases.Summary, next string, err error) {
	sub, scopes, err := s.scopes(c, "case", "read")
	if err != nil {
		return nil, "", err
	}
	lq, err := s.listQuery(q, sub, scopes)
	if err != nil {
		return nil, "", err
	}
	e := entry{Action: "case.list"}
	defer s.logged(c, &err, &e)
	if items, next, err = s.Cases.List(c.Request.Context(), lq); err != nil {
		return nil, "", err
	}
	e.Detail = strconv.Itoa(len(items)) + " cases"
	if items == nil {
		items = []cases.Summary{}
	}
	return items, next, nil
}

func (s *Server) opUpdateCase(c *gin.Context, id string, p cases.Patch) (_ *cases.Case, err error) {
	sub, scopes, err := s.scopes(c, "case", "update")
	if err != nil {
		return nil, err
	}
	defer s.logged(c, &err, &entry{Action: "case.update", Object: id, ByStore: true})
	return s.Cases.Update(c.Request.Context(), actorOf(c), id, p, s.caseAllow(sub, scopes))
}

func (s *Server) opAddFollowup(c *gin.Context, id string, in cases.FollowupInput) (_ *cases.Case, err error) {
	sub, scopes, err := s.scopes(c, "case", "followup")
	if err != nil {
		return nil, err
	}
	defer s.logged(c, &err, &entry{Action: "case.followup", Object: id, ByStore: true})
	return s.Cases.AddFollowup(c.Request.Context(), actorOf(c), id, in, s.caseAllow(sub, scopes))
}

// opEraseCase crypto-shreds a case and returns its reference.
func (s *Server) opEraseCase(c *gin.Context, id string) (_ string, err error) {
	sub, scopes, err := s.scopes(c, "case", "erase")
	if err != nil {
		return "", err
	}
	defer s.logged(c, &err, &entry{Action: "case.erase", Object: id, ByStore: true})
	return s.Cases.Erase(c.Request.Context(), actorOf(c), id, s.caseAllow(sub, scopes))
}

// listQuery reads the list filters, naming every bad one, and picks the lists the
// caller's scopes reach.
func (s *Server) listQuery(in url.Values, sub authz.Subject, scopes []authz.Scope) (cases.ListQuery, error) {
	v := s.Cases.Vocabulary()
	e := &validation.Error{}
	q := cases.ListQuery{
		From: in.Get("from"), To: in.Get("to"), District: in.Get("district"),
		Perpetrator: in.Get("perpetrator"), Violation: in.Get("violation"),
		Status: in.Get("status"), Cursor: in.Get("cursor"), Subject: in.Get("subject"),
		Allow: s.summaryAllow(sub, scopes),
	}
	if !validSubject(q.Subject) {
		e.Add("subject", validation.Pseudonym)
	}
	for field, val := range map[string]string{"from": q.From, "to": q.To} {
		if _, err := time.Parse(time.DateOnly, val); val != "" && err != nil {
			e.Add(field, validation.DateFormat)
		}
	}
	for field, check := range map[string]struct {
		list vocabulary.List
		val  string
	}{"district": {vocabulary.Districts, q.District}, "perpetrator": {vocabulary.Perpetrators, q.Perpetrator},
		"violation": {vocabulary.Violations, q.Violation}, "status": {vocabulary.Statuses, q.Status}} {
		if check.val != "" && !v.Has(check.list, check.val) {
			e.Add(field, validation.UnknownCode)
		}
	}
	if l := in.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > cases.MaxPage {
			e.Add("limit", validation.PageLimit, "Max", cases.MaxPage)
		}
		q.Limit = n
	}
	for _, sc := range scopes {
		switch sc {
		case authz.ScopeOrg:
			q.Sources = append(q.Sources, cases.Source{Kind: "org", Org: sub.Org})
		case authz.ScopeOwn:
			q.Sources = append(q.Sources, cases.Source{Kind: "own", Org: sub.Org, User: sub.UserID})
		case authz.ScopeGranted:
			q.Sources = append(q.Sources, cases.Source{Kind: "granted", Org: sub.Org, User: sub.UserID})
		}
	}
	return q, e.Err()
}
