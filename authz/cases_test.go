package authz

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// now has a sub-millisecond part on purpose: BSON datetimes keep whole milliseconds.
var now = time.Date(2026, 5, 14, 10, 0, 0, 123_456_789, time.UTC)

// caseFixture is one case document and the facts AllowsCase sees for it.
type caseFixture struct {
	id    string
	facts CaseFacts
	// noConsent leaves the consent sub-document out, as in a case stored before
	// consent was recorded.
	noConsent bool
}

func grant(user string, d time.Duration) Grant {
	return Grant{User: user, ExpiresAt: now.Add(d)}
}

// othersGrants returns n open grants to other lawyers.
func othersGrants(n int) []Grant {
	var gs []Grant
	for i := range n {
		gs = append(gs, grant(fmt.Sprintf("u-other%d", i), 24*time.Hour))
	}
	return gs
}

// caseFixtures cover every situation the rules distinguish. Granted cases are recorded
// by the coordinator so that they stay out of the outreach workers' answers.
var caseFixtures = []caseFixture{
	{id: "own", facts: CaseFacts{Org: "org-a", RecordedBy: "u-out1", LegalConsent: true}},
	{id: "other-worker", facts: CaseFacts{Org: "org-a", RecordedBy: "u-out2"}},
	{id: "other-org", facts: CaseFacts{Org: "org-b", RecordedBy: "u-out1"}},
	{id: "other-org-granted", facts: CaseFacts{Org: "org-b", RecordedBy: "u-coordb", LegalConsent: true,
		Grants: []Grant{grant("u-legal", 24*time.Hour)}}},
	{id: "granted", facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: true,
		Grants: []Grant{grant("u-legal", 24*time.Hour)}}},
	{id: "expired", facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: true,
		Grants: []Grant{grant("u-legal", -time.Hour)}}},
	// The $elemMatch trap: u-legal's grant is expired, u-legal2's is open.
	{id: "elem-trap", facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: true,
		Grants: []Grant{grant("u-legal", -time.Hour), grant("u-legal2", 24*time.Hour)}}},
	{id: "no-consent", facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: false,
		Grants: []Grant{grant("u-legal", 24*time.Hour)}}},
	{id: "no-consent-field", noConsent: true, facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord",
		Grants: []Grant{grant("u-legal", 24*time.Hour)}}},
	// Expires 300µs after now, within now's millisecond: closed, as the database sees it.
	{id: "same-ms", facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: true,
		Grants: []Grant{grant("u-legal", 300*time.Microsecond)}}},
	{id: "next-ms", facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: true,
		Grants: []Grant{grant("u-legal", time.Millisecond)}}},
	{id: "expires-now", facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: true,
		Grants: []Grant{grant("u-legal", 0)}}},
	{id: "granted-to-worker", facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: true,
		Grants: []Grant{grant("u-out1", 24*time.Hour)}}},
	// Only the first MaxGrants grants count.
	{id: "last-counted-grant", facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: true,
		Grants: append(othersGrants(MaxGrants-1), grant("u-legal", 24*time.Hour))}},
	{id: "uncounted-grant", facts: CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: true,
		Grants: append(othersGrants(MaxGrants), grant("u-legal", 24*time.Hour))}},
	// A case without an organization must never match a subject without one.
	{id: "orphan", facts: CaseFacts{}},
}

var orgA = []string{"elem-trap", "expired", "expires-now", "granted", "granted-to-worker",
	"last-counted-grant", "next-ms", "no-consent", "no-consent-field", "other-worker", "own",
	"same-ms", "uncounted-grant"}

var allCases = []string{"elem-trap", "expired", "expires-now", "granted", "granted-to-worker",
	"last-counted-grant", "next-ms", "no-consent", "no-consent-field", "orphan", "other-org",
	"other-org-granted", "other-worker", "own", "same-ms", "uncounted-grant"}

// scopeCases are the subjects and scopes checked against the store: each role's own
// scopes for case read, and combinations no role has today, to exercise $or.
type scopeCase struct {
	name   string
	sub    Subject
	action string  // ask the Authorizer for case/action, or
	scopes []Scope // use these scopes when action is empty
	want   []string
}

var scopeCases = []scopeCase{
	{name: "OutreachOwnCases", sub: Subject{"u-out1", "org-a", "outreach"}, action: "read", want: []string{"own"}},
	{name: "OutreachOtherWorker", sub: Subject{"u-out2", "org-a", "outreach"}, action: "update", want: []string{"other-worker"}},
	{name: "CoordinatorOrgA", sub: Subject{"u-coord", "org-a", "coordinator"}, action: "read", want: orgA},
	{name: "CoordinatorOrgB", sub: Subject{"u-coordb", "org-b", "coordinator"}, action: "erase", want: []string{"other-org", "other-org-granted"}},
	{name: "LegalGranted", sub: Subject{"u-legal", "org-a", "legal"}, action: "read", want: []string{"granted", "last-counted-grant", "next-ms"}},
	{name: "LegalElemMatchTrap", sub: Subject{"u-legal2", "org-a", "legal"}, action: "followup", want: []string{"elem-trap"}},
	{name: "LegalOtherOrg", sub: Subject{"u-legalb", "org-b", "legal"}, action: "read", want: nil},
	{name: "LegalCannotUpdate", sub: Subject{"u-legal", "org-a", "legal"}, action: "update", want: nil},
	{name: "AdvocateNone", sub: Subject{"u-adv", "org-a", "advocate"}, action: "read", want: nil},
	{name: "AuditorNone", sub: Subject{"u-aud", "org-a", "auditor"}, action: "read", want: nil},
	{name: "AdminNone", sub: Subject{"u-admin", "org-a", "admin"}, action: "read", want: nil},
	{name: "OwnOrGranted", sub: Subject{"u-out1", "org-a", "outreach"},
		scopes: []Scope{ScopeOwn, ScopeGranted}, want: []string{"granted-to-worker", "own"}},
	{name: "OrgOwnGrantedRepeated", sub: Subject{"u-legal", "org-a", "legal"},
		scopes: []Scope{ScopeGranted, ScopeOrg, ScopeOwn, ScopeOrg}, want: orgA},
	{name: "All", sub: Subject{"u-admin", "org-a", "admin"}, scopes: []Scope{ScopeOwn, ScopeAll}, want: allCases},
	{name: "NoScopes", sub: Subject{"u-coord", "org-a", "coordinator"}, scopes: []Scope{}, want: nil},
	{name: "UnknownScope", sub: Subject{"u-coord", "org-a", "coordinator"}, scopes: []Scope{"bogus"}, want: nil},
	{name: "SubjectWithoutOrg", sub: Subject{"", "", "coordinator"},
		scopes: []Scope{ScopeOrg, ScopeOwn, ScopeGranted}, want: nil},
	{name: "SubjectWithoutUser", sub: Subject{"", "org-a", "coordinator"},
		scopes: []Scope{ScopeOwn, ScopeGranted}, want: nil},
}

func (sc scopeCase) resolve(tb testing.TB, a *Authorizer) []Scope {
	tb.Helper()
	if sc.action == "" {
		return sc.scopes
	}
	scopes, err := a.Scopes(sc.sub, "case", sc.action)
	if err != nil {
		tb.Fatalf("Scopes: %v", err)
	}
	return scopes
}

// allowed lists the fixtures AllowsCase accepts, from the facts in memory (times not
// rounded to milliseconds), in id order.
func allowed(scopes []Scope, sub Subject) []string {
	var ids []string
	for _, c := range caseFixtures {
		if AllowsCase(scopes, sub, c.facts, now) {
			ids = append(ids, c.id)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestAllowsCase(t *testing.T) {
	a := mustNew(t)
	for _, sc := range scopeCases {
		t.Run(sc.name, func(t *testing.T) {
			got := allowed(sc.resolve(t, a), sc.sub)
			if diff := cmp.Diff(sc.want, got); diff != "" {
				t.Errorf("AllowsCase accepts (-want +got):\n%s", diff)
			}
		})
	}
}
