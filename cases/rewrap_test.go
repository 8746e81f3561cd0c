package cases

import (
	"context"
	"testing"

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
