package cases

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Statistics read compact facts, never the sealed cases: on the embedded store the
// facts chunks of each month (see chunks.go), elsewhere the cases' statistical fields
// by query through the (org, period.month) index. Only cases whose survivor consented
// to statistics count.

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

// factsChunkDoc is a facts chunk: each fact BSON-encoded in one binary value.
type factsChunkDoc struct {
	ID string            `bson:"_id"`
	F  map[string][]byte `bson:"f"`
}

func factOf(d *caseDoc) Fact {
	return Fact{Subject: d.Subject, Perpetrators: d.Perpetrators, Violations: d.Violations,
		District: d.Incident.District, Place: d.Incident.Place, AgeBand: d.Survivor.AgeBand,
		Gender: d.Survivor.Gender, Nationality: d.Survivor.Nationality, WorkSetting: d.Survivor.WorkSetting}
}

// Facts returns the facts of org's cases in the given facts periods ("2026-05" for a
// month, "2026" for the incidents known only to that year), for statistics.
func (s *Store) Facts(ctx context.Context, org string, periods []string) (_ []Fact, err error) {
	defer wrap(&err, "cases.Store.Facts(%s)", org)
	var out []Fact
	for _, p := range periods {
		var got map[string]Fact
		if s.derived {
			got, err = s.chunkFacts(ctx, org, p)
		} else {
			got, err = s.queryFacts(ctx, org, p)
		}
		if err != nil {
			return nil, err
		}
		for _, id := range slices.Sorted(maps.Keys(got)) {
			f := got[id]
			f.Case, f.Year = id, p[:4]
			if len(p) == 7 {
				f.Month, f.Quarter = p, QuarterOf(p)
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// chunkFacts reads the facts chunks of one period.
func (s *Store) chunkFacts(ctx context.Context, org, period string) (map[string]Fact, error) {
	var h chunkHead
	found, err := s.readDoc(ctx, s.facts, factsHead(org, period), &h)
	if err != nil || !found {
		return nil, err
	}
	out := map[string]Fact{}
	for k := 0; k <= h.N; k++ {
		var doc factsChunkDoc
		if _, err := s.readDoc(ctx, s.facts, factsChunkID(org, period, k), &doc); err != nil {
			return nil, err
		}
		for id, raw := range doc.F {
			var f Fact
			if err := bson.Unmarshal(raw, &f); err != nil {
				return nil, fmt.Errorf("facts %s: %w", doc.ID, err)
			}
			out[id] = f
		}
	}
	return out, nil
}

// queryFacts reads the facts of one period from the cases.
func (s *Store) queryFacts(ctx context.Context, org, period string) (map[string]Fact, error) {
	filter := bson.D{{Key: "org", Value: org}}
	if len(period) == 7 {
		filter = append(filter, bson.E{Key: "period.month", Value: period})
	} else {
		filter = append(filter, bson.E{Key: "period.month", Value: ""}, bson.E{Key: "period.year", Value: period})
	}
	filter = append(filter, bson.E{Key: "consent.statistics", Value: true},
		bson.E{Key: "erased", Value: bson.D{{Key: "$exists", Value: false}}})
	cur, err := s.cases.Find(ctx, filter, options.Find().SetProjection(bson.D{
		{Key: "narrative", Value: 0}, {Key: "contact", Value: 0}, {Key: "followups", Value: 0}}))
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	out := map[string]Fact{}
	for cur.Next(ctx) {
		var d caseDoc
		if err := cur.Decode(&d); err != nil {
			return nil, err
		}
		if counts(&d) {
			out[d.ID] = factOf(&d)
		}
	}
	return out, cur.Err()
}
