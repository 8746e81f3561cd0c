package cases

import (
	"bytes"
	"context"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// listDoc is a list document as RebuildLists writes it: a directory holds Periods, a
// bucket holds E, the BSON summaries by case id.
type listDoc struct {
	ID      string            `bson:"_id"`
	Periods []string          `bson:"periods,omitempty"`
	E       map[string][]byte `bson:"e,omitempty"`
}

// RebuildLists recomputes every case list from the cases, which are the source of
// truth, rewrites each list document whose content differs, deletes those that should
// not exist (lists of erased cases only, stray documents), and returns how many it
// fixed. It scans every case: a maintenance command, for after a crash between a
// case's write and its lists'. A running server remembers which periods its
// directories hold, so on MongoDB run it with the servers stopped; on the embedded
// store it holds the list lock, so this store's writes wait and stay listed.
func (s *Store) RebuildLists(ctx context.Context) (fixed int, err error) {
	defer wrap(&err, "cases.Store.RebuildLists")
	defer s.lockShared()()
	// Directories may lose periods: forget which ones indexCase thought present.
	defer s.known.Clear()
	want, err := s.derivedLists(ctx)
	if err != nil {
		return 0, err
	}
	cur, err := s.lists.Find(ctx, bson.D{})
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	var stale []bson.RawValue
	for cur.Next(ctx) {
		rawID := cur.Current.Lookup("_id")
		id, isString := rawID.StringValueOK()
		w, wanted := want[id]
		var have listDoc
		switch {
		case !isString || !wanted:
			stale = append(stale, bson.RawValue{Type: rawID.Type, Value: bytes.Clone(rawID.Value)})
		case cur.Decode(&have) == nil && sameList(&have, w):
			delete(want, id) // already right
		}
	}
	if err := cur.Err(); err != nil {
		return 0, err
	}
	for _, id := range stale {
		if _, err := s.lists.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			return fixed, err
		}
		fixed++
	}
	// What is left in want is missing or differs.
	for id, w := range want {
		_, err := s.lists.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, w, options.Replace().SetUpsert(true))
		if err != nil {
			return fixed, err
		}
		fixed++
	}
	return fixed, nil
}

// derivedLists streams every case and returns the list documents they call for.
func (s *Store) derivedLists(ctx context.Context) (map[string]*listDoc, error) {
	want := map[string]*listDoc{}
	add := func(id, caseID string, sum []byte) {
		l := want[id]
		if l == nil {
			l = &listDoc{ID: id, E: map[string][]byte{}}
			want[id] = l
		}
		l.E[caseID] = sum
	}
	addPeriod := func(id, m string) {
		l := want[id]
		if l == nil {
			l = &listDoc{ID: id}
			want[id] = l
		}
		if !slices.Contains(l.Periods, m) {
			l.Periods = append(l.Periods, m)
		}
	}
	err := s.eachCase(ctx, func(d *caseDoc) error {
		if d.Erased != nil || d.Key == nil {
			return nil // erased cases are in no list
		}
		sum, err := bson.Marshal(summarize(d))
		if err != nil {
			return err
		}
		for _, dir := range []string{orgList(d.Org), ownList(d.Org, d.RecordedBy)} {
			p := bucketPeriod(dir, d.ID)
			addPeriod(dir, p)
			add(dir+"|"+p, d.ID, sum)
		}
		for _, g := range d.Grants {
			add(grantList(d.Org, g.User), d.ID, sum)
		}
		return nil
	})
	for _, l := range want {
		slices.Sort(l.Periods)
	}
	return want, err
}

// eachCase streams every stored case, tombstones included, without the sealed
// fields (not needed by maintenance, and the bulk of a case), to fn.
func (s *Store) eachCase(ctx context.Context, fn func(*caseDoc) error) error {
	opts := options.Find().SetProjection(bson.D{
		{Key: "narrative", Value: 0}, {Key: "contact", Value: 0}, {Key: "followups", Value: 0},
	})
	cur, err := s.cases.Find(ctx, bson.D{}, opts)
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d caseDoc
		if err := cur.Decode(&d); err != nil {
			return err
		}
		if err := fn(&d); err != nil {
			return err
		}
	}
	return cur.Err()
}

// sameList reports whether a stored list document holds what w calls for: the same
// periods (in any order) or the same entries.
func sameList(have, w *listDoc) bool {
	periods := slices.Clone(have.Periods)
	slices.Sort(periods)
	if !slices.Equal(periods, w.Periods) || len(have.E) != len(w.E) {
		return false
	}
	for id, sum := range w.E {
		if got, ok := have.E[id]; !ok || !bytes.Equal(got, sum) {
			return false
		}
	}
	return true
}
