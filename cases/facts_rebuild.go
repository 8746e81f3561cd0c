package cases

import (
	"context"
	"reflect"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// RebuildFacts recomputes the statistical facts from the cases, rewrites every facts
// document that differs, deletes those no case calls for, and returns how many it
// fixed; with dryRun it only counts them, which is the check that statistics agree
// with the cases. It scans every case: a maintenance command.
func (s *Store) RebuildFacts(ctx context.Context, dryRun bool) (fixed int, err error) {
	defer wrap(&err, "cases.Store.RebuildFacts")
	defer s.lockShared()()
	want, err := s.derivedFacts(ctx)
	if err != nil {
		return 0, err
	}
	cur, err := s.facts.Find(ctx, bson.D{})
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	var stale []string
	for cur.Next(ctx) {
		var doc factsDoc
		var have factsData
		if cur.Decode(&doc) != nil || bson.Unmarshal(doc.Data, &have) != nil {
			stale = append(stale, doc.ID)
			continue
		}
		w, wanted := want[doc.ID]
		switch {
		case !wanted && len(have.F) == 0:
			// Emptied by edits: harmless, and kept so its revision goes on.
		case !wanted:
			stale = append(stale, doc.ID)
		case reflect.DeepEqual(normalizeFacts(have.F), w):
			delete(want, doc.ID)
		}
	}
	if err := cur.Err(); err != nil {
		return 0, err
	}
	if dryRun {
		return len(stale) + len(want), nil
	}
	for _, id := range stale {
		if _, err := s.facts.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			return fixed, err
		}
		fixed++
	}
	for id, f := range want {
		packed, err := bson.Marshal(factsData{F: f})
		if err != nil {
			return fixed, err
		}
		// The revision restarts high enough that no writer's stale read can match it.
		doc := factsDoc{ID: id, Rev: s.now().UnixNano(), Data: packed}
		if _, err := s.facts.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, doc, options.Replace().SetUpsert(true)); err != nil {
			return fixed, err
		}
		fixed++
	}
	return fixed, nil
}

// derivedFacts streams every case and returns the facts documents they call for.
func (s *Store) derivedFacts(ctx context.Context) (map[string]map[string]Fact, error) {
	want := map[string]map[string]Fact{}
	err := s.eachCase(ctx, func(d *caseDoc) error {
		if key := factsKey(d); key != "" {
			if want[key] == nil {
				want[key] = map[string]Fact{}
			}
			want[key][d.ID] = normalizeFact(factOf(d))
		}
		return nil
	})
	return want, err
}

// normalizeFacts makes decoded facts comparable with derived ones (nil and empty
// lists alike).
func normalizeFacts(f map[string]Fact) map[string]Fact {
	out := make(map[string]Fact, len(f))
	for id, x := range f {
		out[id] = normalizeFact(x)
	}
	return out
}

func normalizeFact(f Fact) Fact {
	if len(f.Perpetrators) == 0 {
		f.Perpetrators = nil
	}
	if len(f.Violations) == 0 {
		f.Violations = nil
	}
	return f
}
