package cases

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/keyring"
)

// Markers are distinctive strings put in sensitive fields, to look for in raw data.
const (
	narrativeMarker = "NARRATIVA-MARCADOR-91f3"
	contactMarker   = "CONTACTO-MARCADOR-5c2e"
	noteMarker      = "NOTA-MARCADOR-a7d0"
	rawUIC          = "Zú-ri 07.90"
	normalizedUIC   = "ZURI0790"
)

// mustSensitiveCase creates a case with every sensitive field set to a marker.
func mustSensitiveCase(t *testing.T, s *Store, a Actor) *Case {
	t.Helper()
	in := validInput()
	in.UIC, in.Narrative = rawUIC, "Me golpearon. "+narrativeMarker
	in.Contact, in.Consent.Contact = "+51 "+contactMarker, true
	c := mustCreate(t, s, a, in)
	c, err := s.AddFollowup(context.Background(), a, c.ID, FollowupInput{Note: "Llamamos. " + noteMarker}, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSensitiveFieldsAreSealed(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustSensitiveCase(t, s, ana)
	raw := rawCase(t, s, c.ID)
	var doc bson.M
	if err := bson.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["uic"]; ok {
		t.Error("stored case has a uic field")
	}
	// Every collection of the store, read raw: the case, its lists, counters, keys.
	for _, coll := range []string{"cases", "case_lists", "counters", "idempotency", "org_keys"} {
		cur, err := s.cases.Database().Collection(coll).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(ctx) {
			for _, m := range []string{narrativeMarker, contactMarker, noteMarker, normalizedUIC, rawUIC, "Zú-ri"} {
				if bytes.Contains(cur.Current, []byte(m)) {
					t.Errorf("%s holds %q in clear", coll, m)
				}
			}
		}
		if err := cur.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Case(ctx, c.ID, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if got.Narrative != c.Narrative || got.Contact != c.Contact || got.Followups[0].Note != c.Followups[0].Note {
		t.Errorf("decrypted %q / %q / %q, want what was written", got.Narrative, got.Contact, got.Followups[0].Note)
	}
}

// sealedFields is the part of a stored case that holds ciphertext.
type sealedFields struct {
	Narrative []byte          `bson:"narrative"`
	Contact   []byte          `bson:"contact"`
	Key       keyring.Wrapped `bson:"key"`
	Followups []bson.M        `bson:"followups"`
}

func TestTamperedCiphertextFailsToOpen(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	victim, donor := mustSensitiveCase(t, s, ana), mustSensitiveCase(t, s, ana)
	var v, d sealedFields
	if err := bson.Unmarshal(rawCase(t, s, victim.ID), &v); err != nil {
		t.Fatal(err)
	}
	if err := bson.Unmarshal(rawCase(t, s, donor.ID), &d); err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(v.Narrative)
	flipped[len(flipped)/2] ^= 0x01
	tests := []struct {
		name  string
		field string
		value any
	}{
		{"ErrNarrativeByteFlipped", "narrative", flipped},
		{"ErrNarrativeOfAnotherCase", "narrative", d.Narrative},
		{"ErrContactOfAnotherCase", "contact", d.Contact},
		{"ErrNarrativeInContact", "contact", v.Narrative},
		{"ErrNoteOfAnotherCase", "followups.0.note", d.Followups[0]["note"]},
		{"ErrDataKeyOfAnotherCase", "key", d.Key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rawCase(t, s, victim.ID)
			set(t, s, victim.ID, tt.field, tt.value)
			t.Cleanup(func() { restore(t, s, before) })
			_, err := s.Case(ctx, victim.ID, allowAll)
			if !errors.Is(err, keyring.ErrDecrypt) {
				t.Fatalf("Case = %v, want an error wrapping keyring.ErrDecrypt", err)
			}
			if errors.Is(err, ErrNotFound) {
				t.Fatal("a damaged case reads as not found")
			}
		})
	}
	if _, err := s.Case(ctx, victim.ID, allowAll); err != nil {
		t.Fatalf("restored case: %v", err)
	}
}

func set(t *testing.T, s *Store, id, field string, value any) {
	t.Helper()
	_, err := s.cases.UpdateOne(context.Background(), bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: field, Value: value}}}})
	if err != nil {
		t.Fatal(err)
	}
}

func restore(t *testing.T, s *Store, raw bson.Raw) {
	t.Helper()
	id := raw.Lookup("_id").StringValue()
	if _, err := s.cases.ReplaceOne(context.Background(), bson.D{{Key: "_id", Value: id}}, raw); err != nil {
		t.Fatal(err)
	}
}
