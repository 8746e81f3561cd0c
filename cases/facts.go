package cases

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Statistics read compact facts, never the cases: for each organization and month of
// incident one document (f|ORG|2026-05; f|ORG|2026 for incidents known only to the
// year) holds, packed in a single binary value, the facts of every case whose survivor
// consented to statistics. A quarter is three reads by _id and one decode, at any
// registry size the embedded store can hold. Facts are written after the case, like
// the lists, and RebuildFacts recomputes them from the cases.

// Fact is what statistics know of one case: no narrative, contact, notes or dates
// finer than the month.
type Fact struct {
	Case         string   `bson:"-"`
	Subject      string   `bson:"s"`
	Perpetrators []string `bson:"p"`
	Violations   []string `bson:"v"`
	District     string   `bson:"d"`
	Place        string   `bson:"l"`
	AgeBand      string   `bson:"a,omitempty"`
	Gender       string   `bson:"g,omitempty"`
	Nationality  string   `bson:"n,omitempty"`
	WorkSetting  string   `bson:"w,omitempty"`
	Month        string   `bson:"-"` // "2026-05", or "" when only the year is known
	Quarter      string   `bson:"-"` // "2026-Q2", or "" when only the year is known
	Year         string   `bson:"-"`
}

type factsDoc struct {
	ID   string `bson:"_id"`
	Rev  int64  `bson:"rev"`
	Data []byte `bson:"data"`
}

type factsData struct {
	F map[string]Fact `bson:"f"`
}

// factsKey is the facts document of a case, or "" when the case does not count.
func factsKey(d *caseDoc) string {
	if d == nil || d.Erased != nil || d.Key == nil || !d.Consent.Statistics {
		return ""
	}
	return FactsID(d.Org, d.Period)
}

// FactsID names the facts document of org for the month of p (or its year when the
// month is unknown).
func FactsID(org string, p Period) string {
	if p.Month != "" {
		return "f|" + org + "|" + p.Month
	}
	return "f|" + org + "|" + p.Year
}

func factOf(d *caseDoc) Fact {
	return Fact{Subject: d.Subject, Perpetrators: d.Perpetrators, Violations: d.Violations,
		District: d.Incident.District, Place: d.Incident.Place, AgeBand: d.Survivor.AgeBand,
		Gender: d.Survivor.Gender, Nationality: d.Survivor.Nationality, WorkSetting: d.Survivor.WorkSetting}
}

// updateFacts moves a case's fact from where old had it to where nd has it (either
// may be nil): a change of month, a withdrawn consent and an erasure all land here.
func (s *Store) updateFacts(ctx context.Context, old, nd *caseDoc) error {
	from, to := factsKey(old), factsKey(nd)
	if from != "" && from != to {
		if err := s.mutateFacts(ctx, from, func(f map[string]Fact) { delete(f, old.ID) }); err != nil {
			return err
		}
	}
	if to != "" {
		fact := factOf(nd)
		return s.mutateFacts(ctx, to, func(f map[string]Fact) { f[nd.ID] = fact })
	}
	return nil
}

// mutateFacts rewrites one facts document. Its packed value is read, changed and
// written back: on MongoDB the revision in the filter makes replicas retry instead
// of overwriting each other; on the embedded store the shared lock does.
func (s *Store) mutateFacts(ctx context.Context, id string, change func(map[string]Fact)) error {
	defer s.lockShared()()
	for attempt := 0; attempt < 10; attempt++ {
		var doc factsDoc
		err := s.facts.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return err
		}
		data := factsData{F: map[string]Fact{}}
		if len(doc.Data) > 0 {
			if err := bson.Unmarshal(doc.Data, &data); err != nil {
				return fmt.Errorf("facts %s: %w", id, err)
			}
		}
		change(data.F)
		packed, err := bson.Marshal(data)
		if err != nil {
			return err
		}
		filter := bson.D{{Key: "_id", Value: id}}
		if !s.embedded {
			filter = append(filter, bson.E{Key: "rev", Value: doc.Rev})
		}
		res, err := s.facts.ReplaceOne(ctx, filter, factsDoc{ID: id, Rev: doc.Rev + 1, Data: packed},
			options.Replace().SetUpsert(doc.Rev == 0))
		if mongo.IsDuplicateKeyError(err) {
			continue // another replica created it first
		}
		if err != nil {
			return err
		}
		if res.MatchedCount+res.UpsertedCount > 0 {
			return nil
		}
	}
	return fmt.Errorf("facts %s: too much contention", id)
}

// Facts returns the facts of org's cases in the given facts periods ("2026-05" for a
// month, "2026" for the incidents known only to that year), for statistics.
func (s *Store) Facts(ctx context.Context, org string, periods []string) (_ []Fact, err error) {
	defer wrap(&err, "cases.Store.Facts(%s)", org)
	var out []Fact
	for _, p := range periods {
		var doc factsDoc
		err := s.facts.FindOne(ctx, bson.D{{Key: "_id", Value: "f|" + org + "|" + p}}).Decode(&doc)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var data factsData
		if err := bson.Unmarshal(doc.Data, &data); err != nil {
			return nil, fmt.Errorf("facts %s: %w", doc.ID, err)
		}
		for _, id := range slices.Sorted(maps.Keys(data.F)) {
			f := data.F[id]
			f.Case, f.Year = id, p[:4]
			if len(p) == 7 {
				f.Month, f.Quarter = p, QuarterOf(p)
			}
			out = append(out, f)
		}
	}
	return out, nil
}
