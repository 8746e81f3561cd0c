package authz

import (
	"testing"
	"time"
)

// The target is at most 5 µs per decision; plain Casbin takes tens of microseconds,
// which is why New precomputes its answers (BenchmarkEnforcer shows the difference).

func BenchmarkScopes(b *testing.B) {
	a := mustNew(b)
	sub := Subject{UserID: "u-legal", Org: "org-a", Role: "legal"}
	for b.Loop() {
		if _, err := a.Scopes(sub, "case", "read"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCan(b *testing.B) {
	a := mustNew(b)
	sub := Subject{UserID: "u-adv", Org: "org-a", Role: "advocate"}
	for b.Loop() {
		if ok, err := a.Can(sub, "stats", "read", "org-a"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkAllowsCase(b *testing.B) {
	sub := Subject{UserID: "u-legal2", Org: "org-a", Role: "legal"}
	f := CaseFacts{Org: "org-a", RecordedBy: "u-coord", LegalConsent: true, Grants: []Grant{
		grant("u-legal", -time.Hour), grant("u-other", time.Hour), grant("u-legal2", 24*time.Hour),
	}}
	scopes := []Scope{ScopeOwn, ScopeGranted}
	for b.Loop() {
		if !AllowsCase(scopes, sub, f, now) {
			b.Fatal("refused")
		}
	}
}

// BenchmarkEnforcer is what Scopes would cost if it asked Casbin on every call: one
// Enforce per scope.
func BenchmarkEnforcer(b *testing.B) {
	a := mustNew(b)
	for b.Loop() {
		if _, err := a.enforce("legal", "case", "read"); err != nil {
			b.Fatal(err)
		}
	}
}
