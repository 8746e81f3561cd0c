package cases

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func grantedTo(user string) ListQuery {
	return ListQuery{Sources: []Source{{Kind: "granted", Org: "LIM", User: user}}}
}

func TestGrantAndRevoke(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	expires := testNow.Add(30 * 24 * time.Hour)
	if _, err := s.Grant(ctx, bea, c.ID, "u-lawyer", "lawyer", testNow.Add(time.Hour), allowAll); err != nil {
		t.Fatal(err)
	}
	// A second grant to the same user replaces the first.
	got, err := s.Grant(ctx, bea, c.ID, "u-lawyer", "lawyer", expires, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	want := []Grant{{User: "u-lawyer", Username: "lawyer", GrantedBy: bea.UserID, GrantedAt: testNow, ExpiresAt: expires}}
	if diff := cmp.Diff(want, got.Grants); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
	l := mustList(t, s, grantedTo("u-lawyer"))
	if len(l) != 1 || l[0].ID != c.ID {
		t.Fatalf("lawyer's list = %v, want the granted case", refs(l))
	}
	if diff := cmp.Diff([]GrantSummary{{User: "u-lawyer", ExpiresAt: expires}}, l[0].Grants); diff != "" {
		t.Errorf("listed grants (-want +got):\n%s", diff)
	}

	got, err = s.Revoke(ctx, ana, c.ID, "u-lawyer", "lawyer", allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Grants) != 0 || got.Version != 4 {
		t.Errorf("after revoke: grants %v version %d, want none and 4", got.Grants, got.Version)
	}
	if l := mustList(t, s, grantedTo("u-lawyer")); len(l) != 0 {
		t.Errorf("lawyer's list after revoke = %v, want empty", refs(l))
	}
	for _, user := range []string{"u-lawyer", "u-never"} {
		if _, err := s.Revoke(ctx, ana, c.ID, user, user, allowAll); !errors.Is(err, ErrNotFound) {
			t.Errorf("Revoke(%s) of a case not shared = %v, want ErrNotFound", user, err)
		}
	}
}

func TestGrantValidation(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	in := validInput()
	in.Consent.LegalSharing = false
	noConsent := mustCreate(t, s, ana, in)
	ok := mustCreate(t, s, ana, validInput())
	tests := []struct {
		name    string
		id      string
		expires time.Time
		want    map[string]string
	}{
		{"ErrNoLegalConsent", noConsent.ID, testNow.Add(time.Hour), map[string]string{"consent.legal_sharing": "the survivor did not consent to legal sharing"}},
		{"ErrExpiresInPast", ok.ID, testNow.Add(-time.Hour), map[string]string{"expires_at": "must be in the future"}},
		{"ErrExpiresNow", ok.ID, testNow, map[string]string{"expires_at": "must be in the future"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rawCase(t, s, tt.id)
			_, err := s.Grant(ctx, bea, tt.id, "u-lawyer", "lawyer", tt.expires, allowAll)
			if diff := cmp.Diff(tt.want, fieldsOf(t, err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if !bytes.Equal(before, rawCase(t, s, tt.id)) {
				t.Error("a refused grant changed the stored case")
			}
		})
	}
	if l := mustList(t, s, grantedTo("u-lawyer")); len(l) != 0 {
		t.Errorf("lawyer's list = %v, want empty", refs(l))
	}
}

func TestWithdrawingLegalConsentEndsGrants(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	for _, user := range []string{"u-lawyer", "u-lawyer2"} {
		var err error
		if c, err = s.Grant(ctx, bea, c.ID, user, user, testNow.Add(time.Hour), allowAll); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Update(ctx, bea, c.ID, Patch{Version: ptr(c.Version), Consent: &ConsentPatch{LegalSharing: ptr(false)}}, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Grants) != 0 || got.Consent.LegalSharing {
		t.Errorf("after withdrawal: grants %v legal_sharing %v, want none and false", got.Grants, got.Consent.LegalSharing)
	}
	stored, err := s.Case(ctx, c.ID, allowAll)
	if err != nil || len(stored.Grants) != 0 {
		t.Fatalf("stored grants %v (%v), want none", stored, err)
	}
	for _, user := range []string{"u-lawyer", "u-lawyer2"} {
		if l := mustList(t, s, grantedTo(user)); len(l) != 0 {
			t.Errorf("%s's list after withdrawal = %v, want empty", user, refs(l))
		}
	}
	_, err = s.Grant(ctx, bea, c.ID, "u-lawyer", "lawyer", testNow.Add(time.Hour), allowAll)
	if _, ok := fieldsOf(t, err)["consent.legal_sharing"]; !ok {
		t.Errorf("Grant after withdrawal = %v, want a consent.legal_sharing problem", err)
	}
}

// TestGrantLimit: authorization's MongoDB filter sees the first MaxGrants shares, so
// the store refuses one more live share; expired shares make room and leave their lists.
func TestGrantLimit(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	for i := range MaxGrants {
		expires := testNow.Add(time.Duration(i+1) * time.Hour)
		if _, err := s.Grant(ctx, bea, c.ID, fmt.Sprintf("u-law%d", i), "law", expires, allowAll); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.Grant(ctx, bea, c.ID, "u-one-more", "law", testNow.Add(48*time.Hour), allowAll)
	if got := fieldsOf(t, err); got["user"] == "" {
		t.Fatalf("share number %d: err = %v, want a validation error on user", MaxGrants+1, err)
	}
	// Two hours later the first two shares have expired.
	s.SetClock(func() time.Time { return testNow.Add(2 * time.Hour) })
	got, err := s.Grant(ctx, bea, c.ID, "u-one-more", "law", testNow.Add(48*time.Hour), allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Grants) != MaxGrants-1 {
		t.Fatalf("%d grants after pruning, want %d", len(got.Grants), MaxGrants-1)
	}
	if l := mustList(t, s, grantedTo("u-law0")); len(l) != 0 {
		t.Fatalf("an expired share is still listed: %v", refs(l))
	}
}
