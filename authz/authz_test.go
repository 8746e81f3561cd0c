package authz

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"registro/policies"
)

func mustNew(tb testing.TB) *Authorizer {
	tb.Helper()
	a, err := New()
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return a
}

// policyTable is SPEC §3, one entry per line of policy.csv. Every other (role,
// resource, action) must have no scope.
var policyTable = []struct {
	role, resource, action string
	want                   []Scope
}{
	{"outreach", "case", "create", []Scope{ScopeOrg}},
	{"outreach", "case", "read", []Scope{ScopeOwn}},
	{"outreach", "case", "update", []Scope{ScopeOwn}},
	{"outreach", "case", "followup", []Scope{ScopeOwn}},
	{"outreach", "alert", "read", []Scope{ScopeOrg}},
	{"outreach", "alert", "propose", []Scope{ScopeOrg}},

	{"coordinator", "case", "create", []Scope{ScopeOrg}},
	{"coordinator", "case", "read", []Scope{ScopeOrg}},
	{"coordinator", "case", "update", []Scope{ScopeOrg}},
	{"coordinator", "case", "followup", []Scope{ScopeOrg}},
	{"coordinator", "case", "share", []Scope{ScopeOrg}},
	{"coordinator", "case", "erase", []Scope{ScopeOrg}},
	{"coordinator", "case", "import", []Scope{ScopeOrg}},
	{"coordinator", "stats", "read", []Scope{ScopeOrg}},
	{"coordinator", "stats", "live", []Scope{ScopeOrg}},
	{"coordinator", "stats", "publish", []Scope{ScopeOrg}},
	{"coordinator", "accounts", "manage", []Scope{ScopeOrg}},
	{"coordinator", "account.outreach", "manage", []Scope{ScopeOrg}},
	{"coordinator", "account.legal", "manage", []Scope{ScopeOrg}},
	{"coordinator", "account.advocate", "manage", []Scope{ScopeOrg}},
	{"coordinator", "account.coordinator", "manage", []Scope{ScopeOrg}},
	{"coordinator", "alert", "read", []Scope{ScopeOrg}},
	{"coordinator", "alert", "propose", []Scope{ScopeOrg}},
	{"coordinator", "alert", "approve", []Scope{ScopeOrg}},
	{"coordinator", "alert", "reject", []Scope{ScopeOrg}},
	{"coordinator", "alert", "edit", []Scope{ScopeOrg}},
	{"coordinator", "alert", "renew", []Scope{ScopeOrg}},
	{"coordinator", "alert", "withdraw", []Scope{ScopeOrg}},
	{"coordinator", "alert", "share", []Scope{ScopeOrg}},
	{"coordinator", "alert", "receive", []Scope{ScopeOrg}},

	{"legal", "case", "read", []Scope{ScopeGranted}},
	{"legal", "case", "followup", []Scope{ScopeGranted}},

	{"advocate", "stats", "read", []Scope{ScopeOrg}},

	{"auditor", "audit", "read", []Scope{ScopeOrg}},

	{"admin", "accounts", "manage", []Scope{ScopeAll}},
	{"admin", "orgs", "manage", []Scope{ScopeAll}},
	{"admin", "account.coordinator", "first", []Scope{ScopeAll}},
	{"admin", "account.auditor", "manage", []Scope{ScopeAll}},
	{"admin", "account.admin", "manage", []Scope{ScopeAll}},
	{"admin", "account.outreach", "disable", []Scope{ScopeAll}},
	{"admin", "account.coordinator", "disable", []Scope{ScopeAll}},
	{"admin", "account.legal", "disable", []Scope{ScopeAll}},
	{"admin", "account.advocate", "disable", []Scope{ScopeAll}},
}

// The full cross product, with names outside the vocabulary that must get nothing.
var (
	allRoles     = append([]string{"superuser", "Coordinator"}, roles...)
	allResources = []string{"case", "stats", "accounts", "orgs", "audit", "alert", "alerts", "cases", "*",
		"account.outreach", "account.coordinator", "account.legal", "account.advocate", "account.auditor", "account.admin", "account.*"}
	allActions = []string{"create", "read", "update", "followup", "share", "erase", "manage", "live", "publish", "delete", "*",
		"disable", "first", "propose", "approve", "reject", "edit", "renew", "withdraw", "receive"}
)

func subject(role string) Subject {
	return Subject{UserID: "u-1", Org: "org-a", Role: role}
}

func TestScopesPolicyLines(t *testing.T) {
	a := mustNew(t)
	for _, tt := range policyTable {
		t.Run(tt.role+"/"+tt.resource+"/"+tt.action, func(t *testing.T) {
			got, err := a.Scopes(subject(tt.role), tt.resource, tt.action)
			if err != nil {
				t.Fatalf("Scopes: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Scopes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPolicyTableCoversPolicyFile keeps the table above in step with policy.csv: a line
// added to the file without a test entry (or the reverse) fails here.
func TestPolicyTableCoversPolicyFile(t *testing.T) {
	rules, err := parsePolicy(policies.Policy)
	if err != nil {
		t.Fatal(err)
	}
	var fromFile, fromTable []string
	for _, r := range rules {
		fromFile = append(fromFile, strings.Join(r, ","))
	}
	for _, tt := range policyTable {
		for _, s := range tt.want {
			fromTable = append(fromTable, strings.Join([]string{tt.role, tt.resource, tt.action, string(s)}, ","))
		}
	}
	slices.Sort(fromFile)
	slices.Sort(fromTable)
	if diff := cmp.Diff(fromTable, fromFile); diff != "" {
		t.Errorf("policy.csv rules (-table +file):\n%s", diff)
	}
}

func TestScopesNoneOutsidePolicy(t *testing.T) {
	a := mustNew(t)
	inTable := make(map[decision]bool)
	for _, tt := range policyTable {
		inTable[decision{tt.role, tt.resource, tt.action}] = true
	}
	for _, role := range allRoles {
		for _, resource := range allResources {
			for _, action := range allActions {
				if inTable[decision{role, resource, action}] {
					continue
				}
				got, err := a.Scopes(subject(role), resource, action)
				if err != nil {
					t.Fatalf("Scopes(%s, %s, %s): %v", role, resource, action, err)
				}
				if len(got) != 0 {
					t.Errorf("Scopes(%s, %s, %s) = %v, want none", role, resource, action, got)
				}
			}
		}
	}
}

// TestDecisionsMatchEnforcer checks the precomputed answers against Casbin itself for
// every combination, so the map can never drift from the policy.
func TestDecisionsMatchEnforcer(t *testing.T) {
	a := mustNew(t)
	for _, role := range allRoles {
		for _, resource := range allResources {
			for _, action := range allActions {
				want, err := a.enforce(role, resource, action)
				if err != nil {
					t.Fatalf("enforce(%s, %s, %s): %v", role, resource, action, err)
				}
				got, err := a.Scopes(subject(role), resource, action)
				if err != nil {
					t.Fatalf("Scopes(%s, %s, %s): %v", role, resource, action, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Scopes(%s, %s, %s) (-enforcer +map):\n%s", role, resource, action, diff)
				}
			}
		}
	}
}

func TestScopesIncompleteSubject(t *testing.T) {
	a := mustNew(t)
	for name, sub := range map[string]Subject{
		"NoUser": {Org: "org-a", Role: "coordinator"},
		"NoOrg":  {UserID: "u-1", Role: "coordinator"},
		"NoRole": {UserID: "u-1", Org: "org-a"},
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := a.Scopes(sub, "case", "read"); err == nil {
				t.Errorf("Scopes = %v, nil; want an error", got)
			}
			if ok, err := a.Can(sub, "stats", "read", "org-a"); err == nil || ok {
				t.Errorf("Can = %v, %v; want false and an error", ok, err)
			}
		})
	}
}

func TestScopesAnswerIsACopy(t *testing.T) {
	a := mustNew(t)
	got, err := a.Scopes(subject("coordinator"), "case", "read")
	if err != nil || len(got) != 1 {
		t.Fatalf("Scopes = %v, %v; want one scope", got, err)
	}
	got[0] = ScopeAll
	again, err := a.Scopes(subject("coordinator"), "case", "read")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Scope{ScopeOrg}, again); diff != "" {
		t.Errorf("second answer changed by the first caller (-want +got):\n%s", diff)
	}
}

func TestCan(t *testing.T) {
	a := mustNew(t)
	tests := []struct {
		name                   string
		role, resource, action string
		org                    string
		want                   bool
	}{
		{"CoordinatorStatsOwnOrg", "coordinator", "stats", "read", "org-a", true},
		{"CoordinatorStatsOtherOrg", "coordinator", "stats", "read", "org-b", false},
		{"CoordinatorAccountsOwnOrg", "coordinator", "accounts", "manage", "org-a", true},
		{"CoordinatorAccountsOtherOrg", "coordinator", "accounts", "manage", "org-b", false},
		{"CoordinatorOrgsNever", "coordinator", "orgs", "manage", "org-a", false},
		{"AdvocateStatsOwnOrg", "advocate", "stats", "read", "org-a", true},
		{"AdvocateStatsOtherOrg", "advocate", "stats", "read", "org-b", false},
		{"CoordinatorPublishOwnOrg", "coordinator", "stats", "publish", "org-a", true},
		{"CoordinatorPublishOtherOrg", "coordinator", "stats", "publish", "org-b", false},
		{"CoordinatorLiveOwnOrg", "coordinator", "stats", "live", "org-a", true},
		{"AdvocatePublishNever", "advocate", "stats", "publish", "org-a", false},
		{"AdvocateLiveNever", "advocate", "stats", "live", "org-a", false},
		{"AdvocateCaseCreateNever", "advocate", "case", "create", "org-a", false},
		{"AuditorAuditOwnOrg", "auditor", "audit", "read", "org-a", true},
		{"AuditorAuditOtherOrg", "auditor", "audit", "read", "org-b", false},
		{"AuditorStatsNever", "auditor", "stats", "read", "org-a", false},
		{"OutreachCaseCreateOwnOrg", "outreach", "case", "create", "org-a", true},
		{"OutreachCaseCreateOtherOrg", "outreach", "case", "create", "org-b", false},
		{"OutreachCaseReadNeedsTheCase", "outreach", "case", "read", "org-a", false},
		{"LegalCaseReadNeedsTheCase", "legal", "case", "read", "org-a", false},
		{"AdminAccountsOwnOrg", "admin", "accounts", "manage", "org-a", true},
		{"AdminAccountsOtherOrg", "admin", "accounts", "manage", "org-b", true},
		{"AdminOrgsAnyOrg", "admin", "orgs", "manage", "org-z", true},
		{"AdminOrgsNoOrg", "admin", "orgs", "manage", "", true},
		{"AdminStatsNever", "admin", "stats", "read", "org-a", false},
		{"AdminCaseCreateNever", "admin", "case", "create", "org-a", false},
		{"UnknownRole", "superuser", "orgs", "manage", "org-a", false},
		{"EmptyOrg", "coordinator", "stats", "read", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Can(subject(tt.role), tt.resource, tt.action, tt.org)
			if err != nil {
				t.Fatalf("Can: %v", err)
			}
			if got != tt.want {
				t.Errorf("Can(%s, %s, %s, %q) = %v, want %v", tt.role, tt.resource, tt.action, tt.org, got, tt.want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	const rule = "p, coordinator, case, read, org\n"
	tests := []struct {
		name          string
		model, policy string
		wantErr       string
	}{
		{"ErrModelSyntax", "[request_definition]\nr = role,\n", rule, "model"},
		{"ErrModelMissingMatcher", strings.Split(policies.Model, "[matchers]")[0], rule, "model"},
		{"ErrMatcherUnknownField", strings.Replace(policies.Model, "r.scope == p.scope", "r.scope == p.nope", 1), rule, "enforce"},
		{"ErrUnknownScope", policies.Model, "p, legal, case, read, grantd\n", `unknown scope "grantd"`},
		{"ErrTrailingComment", policies.Model, "p, legal, case, read, granted # why\n", "unknown scope"},
		{"ErrUnknownRole", policies.Model, "p, lawyer, case, read, granted\n", `unknown role "lawyer"`},
		{"ErrUnknownAction", policies.Model, "p, coordinator, case, delete, org\n", "unknown resource and action"},
		{"ErrActionOfOtherResource", policies.Model, "p, coordinator, stats, manage, org\n", "unknown resource and action"},
		{"ErrFieldCount", policies.Model, "p, coordinator, case, read\n", "got 4 fields"},
		{"ErrNotPolicyLine", policies.Model, "g, alice, coordinator\n", "got 3 fields"},
		{"ErrAllForNonAdmin", policies.Model, "p, coordinator, accounts, manage, all\n", "admin only"},
		{"ErrDuplicate", policies.Model, rule + "# again\n" + rule, "line 3: repeats line 1"},
		{"ErrEmpty", policies.Model, "# nothing\n\n", "no rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := newAuthorizer(tt.model, tt.policy)
			if err == nil {
				t.Fatalf("newAuthorizer = %v, nil; want an error containing %q", a, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("newAuthorizer error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
