// Package authz decides what an account may do in Registro (SPEC §3). Casbin, with the
// model and policy embedded from the policies package, says in which scopes a role may
// do an action; this package turns each scope into a check on one object (Can,
// AllowsCase). Lists read the lists the scopes name (cases.Source) and pass every entry
// through the same AllowsCase, so that a list never returns a case a direct read would
// refuse.
package authz

import (
	"fmt"
	"slices"

	"github.com/casbin/casbin/v2"

	"registro/policies"
)

// Scope is how far a permission reaches.
type Scope string

// The scopes a policy rule can carry.
const (
	// ScopeOrg reaches anything in the caller's organization.
	ScopeOrg Scope = "org"
	// ScopeOwn reaches the cases of the caller's organization that she recorded.
	ScopeOwn Scope = "own"
	// ScopeGranted reaches the cases of the caller's organization shared with her by an
	// unexpired grant, while the survivor consents to legal sharing.
	ScopeGranted Scope = "granted"
	// ScopeAll reaches every organization; only admins have it.
	ScopeAll Scope = "all"
)

// Subject is the signed-in caller: her account id, her organization and her role
// there.
type Subject struct {
	UserID, Org, Role string
}

// Authorizer answers authorization questions from the embedded policy. It is safe for
// concurrent use: it is never modified after New.
type Authorizer struct {
	// enforcer is the source of truth; decisions is what it answered at New for every
	// role and (resource, action), because the policy is embedded and never changes at
	// run time, and asking Casbin costs tens of microseconds per decision.
	enforcer  *casbin.Enforcer
	decisions map[decision][]Scope
}

// decision is one question asked of the policy.
type decision struct {
	role, resource, action string
}

// New loads the embedded model and policy. It returns an error when either does not
// parse, when the policy names an unknown role, resource, action or scope, or when
// Casbin fails to evaluate it.
func New() (*Authorizer, error) {
	return newAuthorizer(policies.Model, policies.Policy)
}

func newAuthorizer(modelText, policyText string) (*Authorizer, error) {
	e, err := newEnforcer(modelText, policyText)
	if err != nil {
		return nil, err
	}
	a := &Authorizer{enforcer: e, decisions: make(map[decision][]Scope)}
	for _, role := range roles {
		for _, ra := range resourceActions {
			scopes, err := a.enforce(role, ra.resource, ra.action)
			if err != nil {
				return nil, err
			}
			if len(scopes) > 0 {
				a.decisions[decision{role, ra.resource, ra.action}] = scopes
			}
		}
	}
	return a, nil
}

// enforce asks Casbin, once per scope, whether role may do action on resource in it.
func (a *Authorizer) enforce(role, resource, action string) ([]Scope, error) {
	var scopes []Scope
	for _, s := range allScopes {
		ok, err := a.enforcer.Enforce(role, resource, action, string(s))
		if err != nil {
			return nil, fmt.Errorf("authz: enforce (%s, %s, %s, %s): %w", role, resource, action, s, err)
		}
		if ok {
			scopes = append(scopes, s)
		}
	}
	return scopes, nil
}

// Scopes returns the scopes in which sub's role may do action on resource; none means
// the role never may (answer 403). It returns an error, never a panic, when sub lacks a
// user id, organization or role: that is a bug upstream (a session without its
// account) which a 403 would hide.
func (a *Authorizer) Scopes(sub Subject, resource, action string) ([]Scope, error) {
	if sub.UserID == "" || sub.Org == "" || sub.Role == "" {
		return nil, fmt.Errorf("authz: incomplete subject (user %q, org %q, role %q)", sub.UserID, sub.Org, sub.Role)
	}
	// A copy, so that a caller appending to or editing the answer cannot change the
	// next caller's.
	return slices.Clone(a.decisions[decision{sub.Role, resource, action}]), nil
}

// Can reports whether sub may do action on resource within organization org; use it
// for organization-level objects (stats, accounts, audit, orgs, case create). ScopeAll
// passes for any org, ScopeOrg only when org is sub's own; ScopeOwn and ScopeGranted
// never pass because they depend on a case (use AllowsCase). It returns Scopes' errors.
func (a *Authorizer) Can(sub Subject, resource, action, org string) (bool, error) {
	scopes, err := a.Scopes(sub, resource, action)
	if err != nil {
		return false, err
	}
	for _, s := range scopes {
		switch s {
		case ScopeAll:
			return true, nil
		case ScopeOrg:
			if org == sub.Org {
				return true, nil
			}
		}
	}
	return false, nil
}
