package cases

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// RebuildLists recomputes the lists from the cases, which are the source of truth:
// it first gives every case its canonical place (reference order; chunks filled in
// turn), then rewrites each list document that differs, deletes those that should not
// exist, and returns how many documents it fixed. It scans every case: a maintenance
// command, run with the server stopped (`registro reindex`). On stores that list by
// query it only fills in what older versions did not store (the reference order).
func (s *Store) RebuildLists(ctx context.Context) (fixed int, err error) {
	defer wrap(&err, "cases.Store.RebuildLists")
	defer s.heads.reset()
	defer s.forgetRefs()
	if err := s.placeAll(ctx); err != nil || !s.derived {
		return 0, err
	}
	want, _, err := s.derivedDocs(ctx)
	if err != nil {
		return 0, err
	}
	return s.reconcile(ctx, s.lists, want, false)
}

// RebuildFacts recomputes the statistical facts chunks from the cases the same way and
// returns how many documents it fixed; with dryRun it only counts the facts documents
// that disagree with the cases.
func (s *Store) RebuildFacts(ctx context.Context, dryRun bool) (fixed int, err error) {
	defer wrap(&err, "cases.Store.RebuildFacts")
	if !s.derived {
		return 0, nil
	}
	if !dryRun {
		defer s.heads.reset()
		if err := s.placeAll(ctx); err != nil {
			return 0, err
		}
	}
	_, facts, err := s.derivedDocs(ctx)
	if err != nil {
		return 0, err
	}
	return s.reconcile(ctx, s.facts, facts, dryRun)
}

// Check reports how many list and facts documents disagree with the cases (0: all
// agree) and how many intents are left unsettled; it changes nothing.
func (s *Store) Check(ctx context.Context) (disagree int, unsettled int64, err error) {
	defer wrap(&err, "cases.Store.Check")
	if s.derived {
		lists, facts, err := s.derivedDocs(ctx)
		if err != nil {
			return 0, 0, err
		}
		for _, c := range []struct {
			coll *mongo.Collection
			want map[string]bson.M
		}{{s.lists, lists}, {s.facts, facts}} {
			n, err := s.reconcile(ctx, c.coll, c.want, true)
			if err != nil {
				return 0, 0, err
			}
			disagree += n
		}
	}
	unsettled, err = s.intents.CountDocuments(ctx, bson.D{})
	return disagree, unsettled, err
}

// placeAll gives every case its canonical reference order and chunk positions, and
// stores those that differ; it raises the reference counters to the numbers in use.
func (s *Store) placeAll(ctx context.Context) error {
	var docs []*caseDoc
	if err := s.eachCase(ctx, func(d *caseDoc) error {
		docs = append(docs, d)
		return nil
	}); err != nil {
		return err
	}
	// Reference counters never behind the numbers in use (the org list starts there).
	for id, seq := range highestRefs(docs) {
		var have struct {
			Seq int64 `bson:"seq"`
		}
		if _, err := s.readDoc(ctx, s.counters, id, &have); err != nil {
			return err
		}
		if have.Seq < seq {
			if err := bulkWrite(ctx, s.counters, []mongo.WriteModel{counterModel(id, seq)}, false); err != nil {
				return err
			}
		}
	}
	slices.SortFunc(docs, func(a, b *caseDoc) int {
		if c := strings.Compare(a.Org, b.Org); c != 0 {
			return c
		}
		return cmp.Compare(refNumber(a.Ref), refNumber(b.Ref))
	})
	own := map[string]int{}
	facts := map[string]int{}
	var models []mongo.WriteModel
	for _, d := range docs {
		refn := refNumber(d.Ref)
		pos := d.Pos
		if s.derived && d.Erased == nil && d.Key != nil {
			k := ownHead(d.Org, d.RecordedBy)
			pos.Own = own[k] / ownChunk
			own[k]++
			pos.Facts = ""
			if counts(d) {
				p := factsPeriod(d.Period)
				k := factsHead(d.Org, p)
				pos.Facts = factsChunkID(d.Org, p, facts[k]/factsChunk)
				facts[k]++
			}
		}
		if refn != d.RefN || pos != d.Pos {
			models = append(models, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: d.ID}}).
				SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "refn", Value: refn}, {Key: "pos", Value: pos}}}}))
		}
	}
	return bulkWrite(ctx, s.cases, models, false)
}

// derivedDocs streams every case and returns the list and facts documents their
// stored positions call for, heads and year directories included.
func (s *Store) derivedDocs(ctx context.Context) (lists, facts map[string]bson.M, err error) {
	lists, facts = map[string]bson.M{}, map[string]bson.M{}
	entry := func(m map[string]bson.M, id, field, key string, v []byte) {
		if m[id] == nil {
			m[id] = bson.M{field: map[string][]byte{}}
		}
		m[id][field].(map[string][]byte)[key] = v
	}
	head := func(m map[string]bson.M, id string, k int) {
		h, _ := m[id]["n"].(int)
		if m[id] == nil || k > h {
			m[id] = bson.M{"n": k}
		}
	}
	years := map[string][]int{}
	err = s.eachCase(ctx, func(d *caseDoc) error {
		if d.Erased != nil || d.Key == nil {
			return nil
		}
		sum, err := bson.Marshal(summarize(d))
		if err != nil {
			return err
		}
		if y, _, ok := parseRef(d.Ref); ok && !slices.Contains(years[d.Org], y) {
			years[d.Org] = append(years[d.Org], y)
		}
		entry(lists, orgChunkOf(d), "e", d.ID, sum)
		entry(lists, ownChunkID(d.Org, d.RecordedBy, d.Pos.Own), "e", d.ID, sum)
		head(lists, ownHead(d.Org, d.RecordedBy), d.Pos.Own)
		for _, g := range d.Grants {
			entry(lists, grantList(d.Org, g.User), "e", d.ID, sum)
		}
		if counts(d) && d.Pos.Facts != "" {
			f, err := bson.Marshal(factOf(d))
			if err != nil {
				return err
			}
			entry(facts, d.Pos.Facts, "f", d.ID, f)
			h, k := splitChunk(d.Pos.Facts)
			head(facts, h, k)
		}
		return nil
	})
	for org, ys := range years {
		slices.Sort(ys)
		lists[orgDir(org)] = bson.M{"years": ys}
	}
	return lists, facts, err
}

// reconcile makes coll hold exactly want (or, with dryRun, counts the documents that
// differ). A head may be ahead of its chunks and a directory may name more years:
// both only cost a reader an empty read. An emptied chunk is harmless too.
func (s *Store) reconcile(ctx context.Context, coll *mongo.Collection, want map[string]bson.M, dryRun bool) (int, error) {
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	var stale []bson.RawValue
	ok := map[string]bool{}
	for cur.Next(ctx) {
		rawID := cur.Current.Lookup("_id")
		id, isString := rawID.StringValueOK()
		w, wanted := want[id]
		switch {
		case !isString || !wanted:
			if !dryRun || !harmless(cur.Current) {
				stale = append(stale, bson.RawValue{Type: rawID.Type, Value: bytes.Clone(rawID.Value)})
			}
		case sameDoc(cur.Current, w, dryRun):
			ok[id] = true
		}
	}
	if err := cur.Err(); err != nil {
		return 0, err
	}
	missing := 0
	for id := range want {
		if !ok[id] {
			missing++
		}
	}
	if dryRun {
		return len(stale) + missing, nil
	}
	fixed := 0
	for _, id := range stale {
		if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			return fixed, err
		}
		fixed++
	}
	for id, w := range want {
		if ok[id] {
			continue
		}
		doc := bson.M{"_id": id}
		for k, v := range w {
			doc[k] = v
		}
		if _, ok := w["n"]; ok {
			doc["n"] = w["n"].(int) + 1 // the next write starts a fresh chunk
		}
		if _, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, doc, options.Replace().SetUpsert(true)); err != nil {
			return fixed, err
		}
		fixed++
	}
	return fixed, nil
}

// harmless reports whether a stored document no case calls for changes nothing a
// reader sees: an emptied chunk, a head or a directory of lists now empty.
func harmless(raw bson.Raw) bool {
	if _, err := raw.LookupErr("n"); err == nil {
		return true
	}
	if _, err := raw.LookupErr("years"); err == nil {
		return true
	}
	for _, field := range []string{"e", "f"} {
		if v, err := raw.LookupErr(field); err == nil {
			doc, ok := v.DocumentOK()
			if !ok {
				return false
			}
			elems, _ := doc.Elements()
			return len(elems) == 0
		}
	}
	return false
}

// sameDoc reports whether a stored derived document holds what w calls for.
func sameDoc(raw bson.Raw, w bson.M, lenient bool) bool {
	if n, ok := w["n"].(int); ok {
		v, err := raw.LookupErr("n")
		got, isInt := v.AsInt64OK()
		return err == nil && isInt && (got == int64(n) || got == int64(n)+1 || lenient && got > int64(n))
	}
	if ys, ok := w["years"].([]int); ok {
		var have struct {
			Years []int `bson:"years"`
		}
		if bson.Unmarshal(raw, &have) != nil {
			return false
		}
		for _, y := range ys {
			if !slices.Contains(have.Years, y) {
				return false
			}
		}
		return lenient || len(have.Years) == len(ys)
	}
	for _, field := range []string{"e", "f"} {
		entries, ok := w[field].(map[string][]byte)
		if !ok {
			continue
		}
		var have map[string]map[string][]byte
		if bson.Unmarshal(raw, &have) != nil {
			var alt struct {
				E map[string][]byte `bson:"e"`
				F map[string][]byte `bson:"f"`
			}
			if bson.Unmarshal(raw, &alt) != nil {
				return false
			}
			have = map[string]map[string][]byte{"e": alt.E, "f": alt.F}
		}
		got := have[field]
		if len(got) != len(entries) {
			return false
		}
		for id, v := range entries {
			if g, ok := got[id]; !ok || !bytes.Equal(g, v) {
				return false
			}
		}
		return true
	}
	return false
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
