package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"registro/audit"
	"registro/validation"
)

func (s *Server) listAudit(c *gin.Context) error {
	sub, err := s.can(c, "audit", "read", userOf(c).Org)
	if err != nil {
		return err
	}
	f := audit.Filter{Org: sub.Org, Action: c.Query("action"), Actor: c.Query("actor"), Object: c.Query("object")}
	e := &validation.Error{}
	for field, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := c.Query(field); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				e.Add(field, "an RFC 3339 time")
			}
			*dst = t
		}
	}
	for field, dst := range map[string]*int{"limit": &f.Limit} {
		if v := c.Query(field); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 500 {
				e.Add(field, "a number from 1 to 500")
			}
			*dst = n
		}
	}
	if v := c.Query("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			e.Add("before", "a positive entry number")
		}
		f.Before = n
	}
	if err := e.Err(); err != nil {
		return err
	}
	entries, next, err := s.Audit.Entries(c.Request.Context(), f)
	if err != nil {
		return err
	}
	if err := s.record(c, "audit.read", "", "ok", strconv.Itoa(len(entries))+" entries"); err != nil {
		return err
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries, "next_before": next})
	return nil
}

func (s *Server) verifyAudit(c *gin.Context) error {
	sub, err := s.can(c, "audit", "read", userOf(c).Org)
	if err != nil {
		return err
	}
	res, err := s.Audit.Verify(c.Request.Context(), sub.Org)
	if err != nil {
		return err
	}
	if err := s.record(c, "audit.verify", "", "ok", strconv.FormatBool(res.OK)); err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}
