package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gin-gonic/gin"

	"registro/audit"
	"registro/authz"
	"registro/cases"
)

// decision is one authorization of a request, kept in its context: a handler that
// checks before reading the body (so that a role that never may learns nothing from
// its problems) and the operation behind it ask the same question, and the request is
// authorized, and a refusal logged, once.
type decision struct {
	scopes []authz.Scope
	err    error
}

// decided returns the decision of the request on key, making it with decide the
// first time.
func decided(c *gin.Context, key string, decide func() decision) decision {
	key = "authz|" + key
	if d, ok := c.Get(key); ok {
		return d.(decision)
	}
	d := decide()
	c.Set(key, d)
	return d
}

// scopes asks the authorizer in which scopes the caller may do action on resource. A
// role that never may is answered 403 (and logged as denied); an enforcer failure is
// an internal error.
func (s *Server) scopes(c *gin.Context, resource, action string) (authz.Subject, []authz.Scope, error) {
	sub, ok := subjectOf(c)
	if !ok {
		return sub, nil, errUnauthenticated
	}
	d := decided(c, "scopes|"+resource+"|"+action, func() decision {
		scopes, err := s.decideScopes(c, sub, resource, action)
		return decision{scopes, err}
	})
	return sub, d.scopes, d.err
}

func (s *Server) decideScopes(c *gin.Context, sub authz.Subject, resource, action string) ([]authz.Scope, error) {
	scopes, err := s.Authz.Scopes(sub, resource, action)
	if err != nil {
		return nil, fmt.Errorf("authorize %s %s: %w", resource, action, err)
	}
	if len(scopes) == 0 {
		// The object asked for (the route's id, if any) tells the auditor what was tried.
		s.record(c, resource+"."+action, c.Param("id"), "denied", "")
		return nil, errForbidden
	}
	return scopes, nil
}

// can checks an organization-level permission (statistics, accounts, the access log).
func (s *Server) can(c *gin.Context, resource, action, org string) (authz.Subject, error) {
	sub, ok := subjectOf(c)
	if !ok {
		return sub, errUnauthenticated
	}
	d := decided(c, "can|"+resource+"|"+action+"|"+org, func() decision {
		ok, err := s.Authz.Can(sub, resource, action, org)
		if err != nil {
			return decision{err: fmt.Errorf("authorize %s %s: %w", resource, action, err)}
		}
		if !ok {
			s.record(c, resource+"."+action, c.Param("id"), "denied", "")
			return decision{err: errForbidden}
		}
		return decision{}
	})
	return sub, d.err
}

// caseAllow turns the caller's scopes into the predicate the case store applies to a
// case: the same rule, on the same facts, as summaryAllow applies to list entries.
func (s *Server) caseAllow(sub authz.Subject, scopes []authz.Scope) func(*cases.Case) bool {
	allow := s.summaryAllow(sub, scopes)
	return func(k *cases.Case) bool {
		sum := cases.Summary{Org: k.Org, RecordedBy: k.RecordedBy, LegalSharing: k.Consent.LegalSharing}
		for _, g := range k.Grants {
			sum.Grants = append(sum.Grants, cases.GrantSummary{User: g.User, ExpiresAt: g.ExpiresAt})
		}
		return allow(sum)
	}
}

// summaryAllow is the authorization predicate on the facts of a list entry.
func (s *Server) summaryAllow(sub authz.Subject, scopes []authz.Scope) func(cases.Summary) bool {
	return func(k cases.Summary) bool {
		f := authz.CaseFacts{Org: k.Org, RecordedBy: k.RecordedBy, LegalConsent: k.LegalSharing}
		for _, g := range k.Grants {
			f.Grants = append(f.Grants, authz.Grant{User: g.User, ExpiresAt: g.ExpiresAt})
		}
		return authz.AllowsCase(scopes, sub, f, s.Now())
	}
}

// entry is what an operation writes to the access log, filled in as the operation
// learns it (the object a lookup finds, a count) and written by logged.
type entry struct {
	Action, Object, Detail string
	// ByStore marks a write whose success the store logs with the write itself (the
	// case writes): only its failure is written here.
	ByStore bool
	// Outcome names a failure where outcomeOf's word is not the right one (a wrong
	// current password is logged as the sign-in it amounts to).
	Outcome string
}

// logged is the access-log bracket of an operation, in the manner of pkgsite's
// derrors.Wrap: deferred right after the operation's authorization (a refusal is
// logged there), it writes e with the outcome of *errp. A success whose entry cannot
// be written becomes that failure, so no result is served without its entry; a
// failure's entry is written as well as it can be.
func (s *Server) logged(c *gin.Context, errp *error, e *entry) {
	if *errp != nil {
		_ = s.record(c, e.Action, e.Object, orDefault(e.Outcome, outcomeOf(*errp)), e.Detail)
		return
	}
	if !e.ByStore {
		*errp = s.record(c, e.Action, e.Object, "ok", e.Detail)
	}
}

// record appends an access-log entry for the current request. It never carries case
// content: only ids, codes and outcomes.
func (s *Server) record(c *gin.Context, action, object, outcome, detail string) error {
	u := userOf(c)
	org := u.Org
	if org == "" {
		return nil
	}
	_, err := s.Audit.Append(context.WithoutCancel(c.Request.Context()), audit.Entry{
		Org: org, Actor: u.ID, ActorName: u.Username, Action: action, Object: object,
		Outcome: outcome, Client: c.ClientIP(), Detail: detail,
	})
	if err != nil {
		s.log.Error("access log append failed", slog.String("request_id", requestID(c)),
			slog.String("action", action), slog.String("error", err.Error()))
	}
	return err
}

// outcomeOf names an error for the access log.
func outcomeOf(err error) string {
	code, _ := status(err)
	switch code {
	case 403:
		return "denied"
	case 404:
		return "not_found"
	case 400, 409, 413, 422:
		return "invalid"
	}
	return "failed"
}
