package cases

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/keyring"
)

// TestRewrapKeys: after a rotation every case opens under the new key alone.
func TestRewrapKeys(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	a := mustCreate(t, s, ana, validInput())
	b := mustCreate(t, s, bea, validInput())
	if _, err := s.Erase(ctx, bea, b.ID, allowAll); err != nil {
		t.Fatal(err)
	}
	const newKey = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
	rotated, err := keyring.ParseRing(newKey + "\n" + testRing)
	if err != nil {
		t.Fatal(err)
	}
	s.ring = rotated
	if n, err := s.RewrapKeys(ctx); err != nil || n != 1 {
		t.Fatalf("rewrapped %d, %v; want the one live case", n, err)
	}
	if n, err := s.RewrapKeys(ctx); err != nil || n != 0 {
		t.Fatalf("second run rewrapped %d, %v; want 0", n, err)
	}
	onlyNew, _ := keyring.ParseRing(newKey)
	s.ring = onlyNew
	got, err := s.Case(ctx, a.ID, allowAll)
	if err != nil || got.Narrative != a.Narrative {
		t.Fatalf("case under the new key alone: %v", err)
	}
}

// TestOpenAll: every live case opens; an altered ciphertext (a damaged backup, a
// tampered store) is named, and a case whose epoch's key is gone is named too.
func TestOpenAll(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	a := mustCreate(t, s, ana, validInput())
	mustCreate(t, s, bea, validInput())
	gone := mustCreate(t, s, bea, validInput())
	if _, err := s.Erase(ctx, bea, gone.ID, allowAll); err != nil {
		t.Fatal(err)
	}
	if n, err := s.OpenAll(ctx); err != nil || n != 2 {
		t.Fatalf("OpenAll = %d, %v; want the 2 live cases", n, err)
	}
	d, err := s.load(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	d.Narrative[len(d.Narrative)-1] ^= 1
	if _, err := s.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: a.ID}}, bson.D{{Key: "$set", Value: bson.D{{Key: "narrative", Value: d.Narrative}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenAll(ctx); err == nil || !strings.Contains(err.Error(), a.ID) {
		t.Fatalf("OpenAll over an altered narrative = %v, want an error naming %s", err, a.ID)
	}
	other, _ := keyring.ParseRing("k9:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")
	s.ring = other
	if _, err := s.OpenAll(ctx); !errors.Is(err, keyring.ErrUnknownKey) {
		t.Fatalf("OpenAll without the cases' key = %v, want ErrUnknownKey", err)
	}
}
