package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/cases"
	"registro/validation"
)

type grantInput struct {
	User      string `json:"user"`
	ExpiresAt string `json:"expires_at"`
}

// opGrantCase shares a case with a legal partner of the organization. Only accounts
// with the legal role can receive a share; the store refuses one without the
// survivor's consent to legal sharing.
func (s *Server) opGrantCase(c *gin.Context, id string, in grantInput) (*cases.Case, error) {
	sub, scopes, err := s.scopes(c, "case", "share")
	if err != nil {
		return nil, err
	}
	e := &validation.Error{}
	expires, perr := time.Parse(time.RFC3339, in.ExpiresAt)
	if perr != nil {
		e.Add("expires_at", "an RFC 3339 time, e.g. 2026-12-31T23:59:59Z")
	}
	// A share lasts at most the organization's longest share (180 days unless it set
	// another); it is renewed by sharing again.
	org, err := s.Accounts.Org(c.Request.Context(), sub.Org)
	if err != nil {
		return nil, err
	}
	if perr == nil && expires.After(s.Now().Add(org.MaxShare())) {
		e.Add("expires_at", "is beyond the longest share the organization allows: share again when it ends")
	}
	var grantee accounts.User
	if in.User == "" {
		e.Add("user", "required")
	} else {
		grantee, err = s.Accounts.User(c.Request.Context(), in.User)
		switch {
		case errors.Is(err, accounts.ErrNotFound), err == nil && grantee.Org != sub.Org:
			e.Add("user", "no such account in your organization")
		case err != nil:
			return nil, err
		case grantee.Role != accounts.RoleLegal:
			e.Add("user", "cases can be shared only with legal partners")
		case grantee.Disabled:
			e.Add("user", "the account is disabled")
		}
	}
	if err := e.Err(); err != nil {
		_ = s.record(c, "case.grant", id, "invalid", "")
		return nil, err
	}
	k, err := s.Cases.Grant(c.Request.Context(), actorOf(c), id, grantee.ID, grantee.Username, expires, s.caseAllow(sub, scopes))
	if err != nil {
		_ = s.record(c, "case.grant", id, outcomeOf(err), grantee.Username)
		return nil, err
	}
	return k, nil
}

// opRevokeGrant ends a legal partner's share of a case.
func (s *Server) opRevokeGrant(c *gin.Context, id, user string) error {
	sub, scopes, err := s.scopes(c, "case", "share")
	if err != nil {
		return err
	}
	grantee, err := s.Accounts.User(c.Request.Context(), user)
	if err == nil && grantee.Org != sub.Org {
		err = errNotFound
	}
	if err == nil {
		_, err = s.Cases.Revoke(c.Request.Context(), actorOf(c), id, grantee.ID, grantee.Username, s.caseAllow(sub, scopes))
	}
	if err != nil {
		_ = s.record(c, "case.revoke", id, outcomeOf(err), "")
		return err
	}
	return nil
}

func (s *Server) grantCase(c *gin.Context) error {
	if _, _, err := s.scopes(c, "case", "share"); err != nil {
		return err
	}
	var in grantInput
	if err := decode(c, &in); err != nil {
		return err
	}
	k, err := s.opGrantCase(c, c.Param("id"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, k)
	return nil
}

func (s *Server) revokeGrant(c *gin.Context) error {
	if err := s.opRevokeGrant(c, c.Param("id"), c.Param("user")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
