package server

import (
	"errors"
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
func (s *Server) opGrantCase(c *gin.Context, id string, in grantInput) (_ *cases.Case, err error) {
	sub, scopes, err := s.scopes(c, "case", "share")
	if err != nil {
		return nil, err
	}
	le := entry{Action: "case.grant", Object: id, ByStore: true}
	defer s.logged(c, &err, &le)
	e := &validation.Error{}
	expires, perr := time.Parse(time.RFC3339, in.ExpiresAt)
	if perr != nil {
		e.Add("expires_at", validation.TimeFormatExample)
	}
	// A share lasts at most the organization's longest share (180 days unless it set
	// another); it is renewed by sharing again.
	org, err := s.Accounts.Org(c.Request.Context(), sub.Org)
	if err != nil {
		return nil, err
	}
	if perr == nil && expires.After(s.Now().Add(org.MaxShare())) {
		e.Add("expires_at", validation.ShareTooLong)
	}
	var grantee accounts.User
	if in.User == "" {
		e.Add("user", validation.Required)
	} else {
		grantee, err = s.Accounts.User(c.Request.Context(), in.User)
		switch {
		case errors.Is(err, accounts.ErrNotFound), err == nil && grantee.Org != sub.Org:
			e.Add("user", validation.NoSuchAccount)
		case err != nil:
			return nil, err
		case grantee.Role != accounts.RoleLegal:
			e.Add("user", validation.OnlyLegalPartners)
		case grantee.Disabled:
			e.Add("user", validation.AccountDisabled)
		}
	}
	if verr := e.Err(); verr != nil {
		return nil, verr
	}
	le.Detail = grantee.Username
	return s.Cases.Grant(c.Request.Context(), actorOf(c), id, grantee.ID, grantee.Username, expires, s.caseAllow(sub, scopes))
}

// opRevokeGrant ends a legal partner's share of a case.
func (s *Server) opRevokeGrant(c *gin.Context, id, user string) (err error) {
	sub, scopes, err := s.scopes(c, "case", "share")
	if err != nil {
		return err
	}
	defer s.logged(c, &err, &entry{Action: "case.revoke", Object: id, ByStore: true})
	grantee, err := s.Accounts.User(c.Request.Context(), user)
	if err == nil && grantee.Org != sub.Org {
		err = errNotFound
	}
	if err == nil {
		_, err = s.Cases.Revoke(c.Request.Context(), actorOf(c), id, grantee.ID, grantee.Username, s.caseAllow(sub, scopes))
	}
	return err
}
