package cases

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"registro/database"
	"registro/database/dbtest"
	"registro/keyring"
	"registro/validation"
	"registro/vocabulary"
)

// testNow is the store's clock in tests, so that "in the future" and default dates do
// not depend on the day the tests run. Ids, recorded_at and references still carry
// the real time.
var testNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

const testRing = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

var (
	ana   = Actor{UserID: "u-ana", Username: "ana", Org: "LIM", Role: "outreach"}
	bea   = Actor{UserID: "u-bea", Username: "bea", Org: "LIM", Role: "coordinator"}
	carla = Actor{UserID: "u-carla", Username: "carla", Org: "CAL", Role: "outreach"}
)

func allowAll(*Case) bool  { return true }
func allowNone(*Case) bool { return false }
func seeAll(Summary) bool  { return true }
func ptr[T any](v T) *T    { return &v }
func refOf(org string, n int) string {
	return fmt.Sprintf("%s-%d-%05d", org, time.Now().UTC().Year(), n)
}

// mustStore returns a store over a fresh database of its own.
func mustStore(tb testing.TB) *Store {
	tb.Helper()
	return mustStoreOn(tb, dbtest.New(tb))
}

// mustStoreOn returns a store over db with the baseline vocabulary and the test key.
func mustStoreOn(tb testing.TB, db *database.DB) *Store {
	tb.Helper()
	v, err := vocabulary.Baseline()
	if err != nil {
		tb.Fatal(err)
	}
	ring, err := keyring.ParseRing(testRing)
	if err != nil {
		tb.Fatal(err)
	}
	s := NewStore(db, v, ring, keyring.NewOrgKeys(db.Database, ring))
	s.SetClock(func() time.Time { return testNow })
	return s
}

// validInput returns a complete, valid case (SPEC §2's example); each call returns
// fresh slices.
func validInput() Input {
	return Input{
		UIC:          "MAJO1585",
		Incident:     Incident{Date: "2026-05-14", DatePrecision: "day", District: "150115", Place: "street"},
		Perpetrators: []string{"serenazgo", "police"},
		Violations:   []string{"physical", "confiscation"},
		Survivor:     Survivor{AgeBand: "25-34", Gender: "cis_woman", Nationality: "VE", WorkSetting: "street"},
		Consent:      ConsentInput{Record: ptr(true), Statistics: true, LegalSharing: true},
		Narrative:    "Free text in the survivor's words.",
		Response:     Response{ReportedTo: []string{"none"}, Referrals: []string{"legal"}, Status: "open"},
	}
}

// mustCreate records in for a and fails the test on any error.
func mustCreate(tb testing.TB, s *Store, a Actor, in Input) *Case {
	tb.Helper()
	c, replayed, err := s.Create(context.Background(), a, in, "")
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	if replayed {
		tb.Fatal("Create without a key replayed")
	}
	return c
}

// fieldsOf returns the fields of a *validation.Error, or fails the test.
func fieldsOf(tb testing.TB, err error) map[string]string {
	tb.Helper()
	var ve *validation.Error
	if !errors.As(err, &ve) {
		tb.Fatalf("err = %v, want *validation.Error", err)
	}
	return ve.Messages()
}

// rawCase reads the stored document of case id as the driver sees it.
func rawCase(tb testing.TB, s *Store, id string) bson.Raw {
	tb.Helper()
	raw, err := s.cases.FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Raw()
	if err != nil {
		tb.Fatalf("read case %s: %v", id, err)
	}
	return raw
}

func mustCount(tb testing.TB, coll *mongo.Collection) int64 {
	tb.Helper()
	n, err := coll.CountDocuments(context.Background(), bson.D{})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// mustList returns every entry of q (one page of MaxPage) and fails on an error.
func mustList(tb testing.TB, s *Store, q ListQuery) []Summary {
	tb.Helper()
	if q.Allow == nil {
		q.Allow = seeAll
	}
	q.Limit = MaxPage
	l, _, err := s.List(context.Background(), q)
	if err != nil {
		tb.Fatalf("List: %v", err)
	}
	return l
}

// refs returns the references of l in order.
func refs(l []Summary) []string {
	out := []string{}
	for _, e := range l {
		out = append(out, e.Ref)
	}
	return out
}
