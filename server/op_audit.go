package server

import (
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"registro/audit"
	"registro/validation"
)

// opListAudit returns a page of the caller's organization's access log, filtered by q
// (action, actor, object, from, to, limit, before), and the entry number to continue
// before.
func (s *Server) opListAudit(c *gin.Context, q url.Values) (entries []audit.Entry, next int64, err error) {
	sub, err := s.can(c, "audit", "read", userOf(c).Org)
	if err != nil {
		return nil, 0, err
	}
	f := audit.Filter{Org: sub.Org, Action: q.Get("action"), Actor: q.Get("actor"), Object: q.Get("object")}
	e := &validation.Error{}
	for field, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(field); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				e.Add(field, validation.TimeFormat)
			}
			*dst = t
		}
	}
	for field, dst := range map[string]*int{"limit": &f.Limit} {
		if v := q.Get(field); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 500 {
				e.Add(field, validation.PageLimit, "Max", 500)
			}
			*dst = n
		}
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			e.Add("before", validation.EntryNumber)
		}
		f.Before = n
	}
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	le := entry{Action: "audit.read"}
	defer s.logged(c, &err, &le)
	if entries, next, err = s.Audit.Entries(c.Request.Context(), f); err != nil {
		return nil, 0, err
	}
	le.Detail = strconv.Itoa(len(entries)) + " entries"
	if entries == nil {
		entries = []audit.Entry{}
	}
	return entries, next, nil
}

// opVerifyAudit checks the hash chain of the caller's organization's access log.
func (s *Server) opVerifyAudit(c *gin.Context) (res audit.Result, err error) {
	sub, err := s.can(c, "audit", "read", userOf(c).Org)
	if err != nil {
		return audit.Result{}, err
	}
	le := entry{Action: "audit.verify"}
	defer s.logged(c, &err, &le)
	if res, err = s.Audit.Verify(c.Request.Context(), sub.Org); err == nil {
		le.Detail = strconv.FormatBool(res.OK)
	}
	return res, err
}
