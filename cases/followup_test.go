package cases

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddFollowup(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	got, err := s.AddFollowup(ctx, bea, c.ID, FollowupInput{Date: "2026-06-01", Note: "Acompañamos a la fiscalía."}, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	got, err = s.AddFollowup(ctx, ana, c.ID, FollowupInput{Note: "Llamada de seguimiento."}, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	want := []Followup{
		{Date: "2026-06-01", Note: "Acompañamos a la fiscalía.", Author: bea.UserID, AuthorRole: bea.Role, RecordedAt: testNow},
		{Date: "2026-06-15", Note: "Llamada de seguimiento.", Author: ana.UserID, AuthorRole: ana.Role, RecordedAt: testNow},
	}
	ignoreID := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ID" }, cmp.Ignore())
	if diff := cmp.Diff(want, got.Followups, ignoreID); diff != "" {
		t.Errorf("followups (-want +got):\n%s", diff)
	}
	if got.Followups[0].ID == "" || got.Followups[0].ID == got.Followups[1].ID {
		t.Errorf("followup ids %q, %q: want distinct ids", got.Followups[0].ID, got.Followups[1].ID)
	}
	if got.Response.Status != "in_follow_up" || got.Version != 3 {
		t.Errorf("status %q version %d, want in_follow_up and 3", got.Response.Status, got.Version)
	}
	stored, err := s.Case(ctx, c.ID, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, stored); diff != "" {
		t.Errorf("stored (-returned +stored):\n%s", diff)
	}
	raw := rawCase(t, s, c.ID)
	for _, note := range []string{"fiscalía", "Llamada"} {
		if bytes.Contains(raw, []byte(note)) {
			t.Errorf("stored case holds note text %q in clear", note)
		}
	}
}

func TestAddFollowupKeepsClosedStatus(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	in := validInput()
	in.Response.Status, in.Response.Outcome = "closed", "resolved"
	c := mustCreate(t, s, ana, in)
	got, err := s.AddFollowup(context.Background(), ana, c.ID, FollowupInput{Note: "Volvió a llamar."}, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	want := Response{ReportedTo: []string{"none"}, Referrals: []string{"legal"}, Status: "closed", Outcome: "resolved"}
	if diff := cmp.Diff(want, got.Response); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestAddFollowupValidation(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	tests := []struct {
		name string
		in   FollowupInput
		want map[string]string
	}{
		{"ErrNoteEmpty", FollowupInput{Date: "2026-06-01"}, map[string]string{"note": "required"}},
		{"ErrNoteTooLong", FollowupInput{Note: strings.Repeat("n", maxNote+1)}, map[string]string{"note": "at most 5000 characters"}},
		{"ErrDateFormat", FollowupInput{Date: "01/06/2026", Note: "x"}, map[string]string{"date": "not a date: use YYYY-MM-DD, YYYY-MM or YYYY"}},
		{"ErrDateMonthOnly", FollowupInput{Date: "2026-06", Note: "x"}, map[string]string{"date": "a date with precision day needs YYYY-MM-DD"}},
		{"ErrDateFuture", FollowupInput{Date: "2026-07-01", Note: "x"}, map[string]string{"date": "in the future"}},
		{"ErrDateAndNote", FollowupInput{Date: "2026-13-01"}, map[string]string{"date": "not a date: use YYYY-MM-DD, YYYY-MM or YYYY", "note": "required"}},
	}
	before := rawCase(t, s, c.ID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.AddFollowup(ctx, ana, c.ID, tt.in, allowAll)
			if diff := cmp.Diff(tt.want, fieldsOf(t, err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
	if !bytes.Equal(before, rawCase(t, s, c.ID)) {
		t.Error("a rejected follow-up changed the stored case")
	}
}

// TestAddFollowupOnce: a phone that kept a follow-up while the signal was gone sends
// it again after a lost answer, and from two tabs at once: one follow-up. The same
// key from another author, or on another case, is another follow-up.
func TestAddFollowupOnce(t *testing.T) {
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	other := mustCreate(t, s, ana, validInput())
	in := FollowupInput{Note: "La acompañamos a la fiscalía.", Key: "clave-del-telefono-1"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := s.AddFollowup(ctx, ana, c.ID, in, allowAll); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.AddFollowup(ctx, ana, c.ID, in, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Followups) != 1 || got.Version != 2 {
		t.Fatalf("%d follow-ups at version %d after five sends of one key, want 1 at 2", len(got.Followups), got.Version)
	}
	if got, err = s.AddFollowup(ctx, bea, c.ID, in, allowAll); err != nil || len(got.Followups) != 2 {
		t.Fatalf("the same key from another author: %d follow-ups (%v), want 2", len(got.Followups), err)
	}
	if got, err = s.AddFollowup(ctx, ana, other.ID, in, allowAll); err != nil || len(got.Followups) != 1 {
		t.Fatalf("the same key on another case: %d follow-ups (%v), want 1", len(got.Followups), err)
	}
	in.Key = strings.Repeat("k", 201)
	if _, err := s.AddFollowup(ctx, ana, c.ID, in, allowAll); err == nil {
		t.Error("a key of 201 characters was taken")
	}
}

// TestFollowupOnceOnTwoServers: a phone sends the follow-up it kept again and again
// while two servers behind one address take the sends (a lost answer, two tabs). On
// an external store whose updates are not atomic, the case gets it once.
func TestFollowupOnceOnTwoServers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	servers, _ := externalServers(t, 2)
	c := mustCreate(t, servers[0], ana, validInput())
	in := FollowupInput{Note: "Seguimiento guardado en el teléfono.", Key: "clave-del-telefono-2"}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			if _, err := servers[i%2].AddFollowup(ctx, ana, c.ID, in, allowAll); err != nil {
				t.Errorf("send %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	got, err := servers[1].Case(ctx, c.ID, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Followups) != 1 || got.Version != 2 {
		t.Fatalf("%d follow-ups at version %d after six sends of one key through two servers, want 1 at 2", len(got.Followups), got.Version)
	}
}
