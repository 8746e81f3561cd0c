package authz

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
)

// The vocabulary of the policy. New asks Casbin about every role and (resource, action)
// listed here and refuses a policy line outside it, so the precomputed decisions cover
// every rule the policy can hold.
var (
	roles = []string{"outreach", "coordinator", "legal", "advocate", "auditor", "admin"}

	resourceActions = []struct{ resource, action string }{
		{"case", "create"},
		{"case", "read"},
		{"case", "update"},
		{"case", "followup"},
		{"case", "share"},
		{"case", "erase"},
		{"case", "import"},
		{"stats", "read"},
		{"stats", "live"},
		{"stats", "publish"},
		{"accounts", "manage"},
		{"account.outreach", "manage"},
		{"account.outreach", "disable"},
		{"account.coordinator", "manage"},
		{"account.coordinator", "first"},
		{"account.coordinator", "disable"},
		{"account.legal", "manage"},
		{"account.legal", "disable"},
		{"account.advocate", "manage"},
		{"account.advocate", "disable"},
		{"account.auditor", "manage"},
		{"account.auditor", "disable"},
		{"account.admin", "manage"},
		{"account.admin", "disable"},
		{"orgs", "manage"},
		{"audit", "read"},
		{"alert", "read"},
		{"alert", "propose"},
		{"alert", "approve"},
		{"alert", "reject"},
		{"alert", "edit"},
		{"alert", "renew"},
		{"alert", "withdraw"},
		{"alert", "share"},
		{"alert", "receive"},
	}

	allScopes = []Scope{ScopeOrg, ScopeOwn, ScopeGranted, ScopeAll}
)

// newEnforcer builds a Casbin enforcer from the model text and the commented policy.
func newEnforcer(modelText, policyText string) (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("authz: model: %w", err)
	}
	rules, err := parsePolicy(policyText)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("authz: enforcer: %w", err)
	}
	if _, err := e.AddPolicies(rules); err != nil {
		return nil, fmt.Errorf("authz: load policy: %w", err)
	}
	return e, nil
}

// parsePolicy reads policy.csv with our own loader rather than Casbin's adapters: the
// string adapter ignores lines it cannot load, and both would accept a typo such as
// "grantd" as a valid rule. Here blank lines and # comments are skipped, and any other
// line must be "p, role, resource, action, scope" in the vocabulary above, once.
func parsePolicy(text string) ([][]string, error) {
	var rules [][]string
	seen := make(map[string]int)
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ",")
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
		}
		if err := checkRule(fields); err != nil {
			return nil, fmt.Errorf("authz: policy.csv line %d: %w", n, err)
		}
		key := strings.Join(fields, ",")
		if first, dup := seen[key]; dup {
			return nil, fmt.Errorf("authz: policy.csv line %d: repeats line %d", n, first)
		}
		seen[key] = n
		rules = append(rules, fields[1:])
	}
	if len(rules) == 0 {
		return nil, errors.New("authz: policy.csv: no rules")
	}
	return rules, nil
}

// checkRule reports what is wrong with one policy line split into fields.
func checkRule(f []string) error {
	if len(f) != 5 || f[0] != "p" {
		return fmt.Errorf("want \"p, role, resource, action, scope\", got %d fields", len(f))
	}
	role, resource, action, scope := f[1], f[2], f[3], Scope(f[4])
	if !slices.Contains(roles, role) {
		return fmt.Errorf("unknown role %q", role)
	}
	if !slices.ContainsFunc(resourceActions, func(ra struct{ resource, action string }) bool {
		return ra.resource == resource && ra.action == action
	}) {
		return fmt.Errorf("unknown resource and action %q, %q", resource, action)
	}
	if !slices.Contains(allScopes, scope) {
		return fmt.Errorf("unknown scope %q", scope)
	}
	// Reaching across organizations is what admins alone do (SPEC §1); a line giving it
	// to anyone else is a mistake, however the rest of the line reads.
	if scope == ScopeAll && role != "admin" {
		return fmt.Errorf("scope %q is for admin only, not %q", scope, role)
	}
	return nil
}
