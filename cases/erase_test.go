package cases

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestErase(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	kept := mustCreate(t, s, ana, validInput())
	c := mustSensitiveCase(t, s, ana)
	if _, err := s.Grant(ctx, bea, c.ID, "u-lawyer", "lawyer", testNow.Add(time.Hour), allowAll); err != nil {
		t.Fatal(err)
	}
	ref, err := s.Erase(ctx, bea, c.ID, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if ref != c.Ref {
		t.Errorf("Erase returned %s, want %s", ref, c.Ref)
	}
	if _, err := s.Case(ctx, c.ID, allowAll); !errors.Is(err, ErrNotFound) {
		t.Errorf("Case after erase = %v, want ErrNotFound", err)
	}

	var tomb bson.M
	if err := bson.Unmarshal(rawCase(t, s, c.ID), &tomb); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for k := range tomb {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	// Only what explains the reference sequence: no key, narrative, contact,
	// follow-ups, subject, incident, survivor or grants; the reference order and the
	// chunk of its recorder's list it left (never its facts chunk, which names a month).
	want := []string{"_id", "erased", "org", "pos", "recorded_at", "recorded_by", "ref", "refn", "version", "write"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("tombstone fields (-want +got):\n%s", diff)
	}
	var d caseDoc
	if err := bson.Unmarshal(rawCase(t, s, c.ID), &d); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Erasure{At: testNow, By: bea.UserID}, d.Erased); diff != "" {
		t.Errorf("erasure (-want +got):\n%s", diff)
	}

	// The case left every list it was in.
	all := ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}, {Kind: "own", Org: "LIM", User: ana.UserID},
		{Kind: "granted", Org: "LIM", User: "u-lawyer"}}}
	if diff := cmp.Diff([]string{kept.Ref}, refs(mustList(t, s, all))); diff != "" {
		t.Errorf("lists after erase (-want +got):\n%s", diff)
	}
	if l := mustList(t, s, grantedTo("u-lawyer")); len(l) != 0 {
		t.Errorf("lawyer's list after erase = %v, want empty", refs(l))
	}

	// Nothing more can be done with it, and its number is not given again.
	if _, err := s.Erase(ctx, bea, c.ID, allowAll); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Erase = %v, want ErrNotFound", err)
	}
	if _, err := s.Update(ctx, bea, c.ID, Patch{Version: ptr(c.Version + 2)}, allowAll); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update after erase = %v, want ErrNotFound", err)
	}
	if _, err := s.AddFollowup(ctx, bea, c.ID, FollowupInput{Note: "x"}, allowAll); !errors.Is(err, ErrNotFound) {
		t.Errorf("AddFollowup after erase = %v, want ErrNotFound", err)
	}
	if next := mustCreate(t, s, ana, validInput()); next.Ref != refOf("LIM", 3) {
		t.Errorf("ref after erase = %s, want %s", next.Ref, refOf("LIM", 3))
	}
}

func TestAllowRefusedReadsAsNotFound(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	if _, err := s.Grant(ctx, bea, c.ID, "u-lawyer", "lawyer", testNow.Add(time.Hour), allowAll); err != nil {
		t.Fatal(err)
	}
	before := rawCase(t, s, c.ID)
	tests := []struct {
		name string
		call func() error
	}{
		{"Case", func() error { _, err := s.Case(ctx, c.ID, allowNone); return err }},
		{"Update", func() error {
			_, err := s.Update(ctx, ana, c.ID, Patch{Version: ptr(int64(2)), Narrative: ptr("x")}, allowNone)
			return err
		}},
		{"UpdateStaleVersion", func() error { // refusal comes before the version check
			_, err := s.Update(ctx, ana, c.ID, Patch{Version: ptr(int64(1))}, allowNone)
			return err
		}},
		{"AddFollowup", func() error { _, err := s.AddFollowup(ctx, ana, c.ID, FollowupInput{Note: "x"}, allowNone); return err }},
		{"Grant", func() error {
			_, err := s.Grant(ctx, ana, c.ID, "u-other", "other", testNow.Add(time.Hour), allowNone)
			return err
		}},
		{"Revoke", func() error { _, err := s.Revoke(ctx, ana, c.ID, "u-lawyer", "lawyer", allowNone); return err }},
		{"Erase", func() error { _, err := s.Erase(ctx, ana, c.ID, allowNone); return err }},
		{"CaseUnknownID", func() error { _, err := s.Case(ctx, "01a2192a-90d9-78b9-9998-9d633d96d190", allowAll); return err }},
	}
	for _, tt := range tests {
		t.Run("ErrNotFound"+tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
	if !bytes.Equal(before, rawCase(t, s, c.ID)) {
		t.Error("a refused call changed the stored case")
	}
}
