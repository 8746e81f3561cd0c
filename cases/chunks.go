package cases

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// The embedded store scans a whole collection for any filter but {_id: value}, so
// there the lists and the statistical facts are kept as chunk documents addressed by
// _id, each holding at most a fixed number of entries keyed by case id: a write costs
// the same at ten cases a day or fifty thousand, and no document grows with the
// registry. One process owns the embedded store and its group committer is the only
// writer of these documents, so their updates need no isolation from each other.
//
//	o|ORG                   the years the organization has references in {years}
//	o|ORG|2026|k            organization's list: references 100k+1 … 100k+100 of 2026
//	u|ORG|USER              head of USER's own list {n: last chunk, c: its entries}
//	u|ORG|USER|k            USER's own list, chunk k (cases in order of reference)
//	g|ORG|USER              the cases shared with USER (at most MaxGrants per case)
//	f|ORG|2026-05           head of the facts of incidents in May 2026 {n, c}
//	f|ORG|2026-05|k         facts chunk k of that month (f|ORG|2026|k: year only)
//
// Lists hold summaries and facts hold facts, each BSON-encoded in one binary value,
// because the embedded store's cost is per value. The cases stay the source of truth:
// RebuildLists and RebuildFacts recompute every chunk from them.

const (
	// Every write of a chunk rewrites it whole, so sizes trade a page's reads against
	// a write's cost: the organization's chunk takes many cases per batch and is
	// rewritten once for all of them; a worker's chunk takes one or two per batch.
	listChunk  = 50  // entries of a chunk of the organization's list
	ownChunk   = 10  // entries of a chunk of a worker's own list
	factsChunk = 100 // facts of a facts chunk
)

func orgDir(org string) string { return "o|" + org }

func orgChunk(org string, year int, seq int64) string {
	return fmt.Sprintf("o|%s|%d|%d", org, year, (seq-1)/listChunk)
}

func orgChunkOf(d *caseDoc) string {
	y, n, _ := parseRef(d.Ref)
	return orgChunk(d.Org, y, n)
}

func ownHead(org, user string) string { return "u|" + org + "|" + user }

func ownChunkID(org, user string, k int) string { return chunkID(ownHead(org, user), k) }

func grantList(org, user string) string { return "g|" + org + "|" + user }

// factsPeriod is the period a counted case's facts fall in: the month of the
// incident, or its year when the month is unknown.
func factsPeriod(p Period) string {
	if p.Month != "" {
		return p.Month
	}
	return p.Year
}

func factsHead(org, period string) string { return "f|" + org + "|" + period }

func factsChunkID(org, period string, k int) string { return chunkID(factsHead(org, period), k) }

// chunkID names chunk k of the chunked list whose head is head; splitChunk undoes it.
func chunkID(head string, k int) string { return head + "|" + strconv.Itoa(k) }

func splitChunk(id string) (head string, k int) {
	i := strings.LastIndexByte(id, '|')
	k, _ = strconv.Atoi(id[i+1:])
	return id[:i], k
}

// counts reports whether a stored case counts in statistics.
func counts(d *caseDoc) bool {
	return d != nil && d.Erased == nil && d.Key != nil && d.Consent.Statistics
}

// chunkHead is the last chunk of a chunked list and how many entries were put in it.
// Only N is stored, and only when it changes: C is counted from the chunk when the
// head is first read.
type chunkHead struct {
	N     int `bson:"n"`
	C     int `bson:"-"`
	saved int // the N stored; -1 when none is
}

// heads is the committer's memory of chunk heads and known years, loaded lazily.
type heads struct {
	placing sync.Mutex // one batch placed at a time
	mu      sync.Mutex
	head    map[string]*chunkHead
	years   map[string]bool // "ORG|2026" named in o|ORG
}

func (h *heads) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.head)
	clear(h.years)
}

// headOf returns the head of a chunked list, reading it on first use.
func (s *Store) headOf(ctx context.Context, coll *mongo.Collection, id string) (*chunkHead, error) {
	s.heads.mu.Lock()
	h, ok := s.heads.head[id]
	s.heads.mu.Unlock()
	if ok {
		return h, nil
	}
	h = &chunkHead{saved: -1}
	found, err := s.readDoc(ctx, coll, id, h)
	if err != nil {
		return nil, err
	}
	if found {
		h.saved = h.N
		var chunk struct {
			E map[string]bson.RawValue `bson:"e"`
			F map[string]bson.RawValue `bson:"f"`
		}
		if _, err := s.readDoc(ctx, coll, chunkID(id, h.N), &chunk); err != nil {
			return nil, err
		}
		h.C = len(chunk.E) + len(chunk.F)
	}
	s.heads.mu.Lock()
	s.heads.head[id] = h
	s.heads.mu.Unlock()
	return h, nil
}

// slot takes the next place in a chunked list.
func slot(h *chunkHead, size int) int {
	if h.C >= size {
		h.N, h.C = h.N+1, 0
	}
	h.C++
	return h.N
}

// place gives the cases of a batch their chunk positions: a new case goes to the last
// chunk of its recorder's list, a case that starts counting (or moves to another
// month) to the last facts chunk of its month. The heads are written with the chunks
// by writeDerived; a batch that fails after this leaves a few places unused, which
// only makes a chunk end early.
func (s *Store) place(ctx context.Context, batch []*writeOp) error {
	s.heads.placing.Lock()
	defer s.heads.placing.Unlock()
	for _, op := range batch {
		d := op.doc
		if op.old != nil {
			d.Pos.Own = op.old.Pos.Own
		} else {
			h, err := s.headOf(ctx, s.lists, ownHead(d.Org, d.RecordedBy))
			if err != nil {
				return err
			}
			s.heads.mu.Lock()
			d.Pos.Own = slot(h, ownChunk)
			s.heads.mu.Unlock()
		}
		switch {
		case !counts(d): // an erased case among them: its intent names the chunk it leaves
			d.Pos.Facts = ""
		case op.old != nil && counts(op.old) && op.old.Pos.Facts != "" && factsPeriod(op.old.Period) == factsPeriod(d.Period):
			d.Pos.Facts = op.old.Pos.Facts
		default:
			p := factsPeriod(d.Period)
			h, err := s.headOf(ctx, s.facts, factsHead(d.Org, p))
			if err != nil {
				return err
			}
			s.heads.mu.Lock()
			k := slot(h, factsChunk)
			s.heads.mu.Unlock()
			d.Pos.Facts = factsChunkID(d.Org, p, k)
		}
	}
	return nil
}

// edits gathers the changes of one batch per document, so each is written once.
type edits struct {
	order []string
	set   map[string]bson.D
	unset map[string]bson.D
}

func newEdits() *edits {
	return &edits{set: map[string]bson.D{}, unset: map[string]bson.D{}}
}

func (e *edits) touch(id string) {
	if _, ok := e.set[id]; !ok {
		if _, ok := e.unset[id]; !ok {
			e.order = append(e.order, id)
		}
	}
}

func (e *edits) put(id, field string, v any) {
	e.touch(id)
	e.set[id] = append(e.set[id], bson.E{Key: field, Value: v})
}

func (e *edits) remove(id, field string) {
	e.touch(id)
	e.unset[id] = append(e.unset[id], bson.E{Key: field, Value: ""})
}

func (e *edits) models() []mongo.WriteModel {
	var out []mongo.WriteModel
	for _, id := range e.order {
		upd := bson.D{}
		if set := e.set[id]; len(set) > 0 {
			upd = append(upd, bson.E{Key: "$set", Value: set})
		}
		if unset := e.unset[id]; len(unset) > 0 {
			upd = append(upd, bson.E{Key: "$unset", Value: unset})
		}
		out = append(out, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}).
			SetUpdate(upd).SetUpsert(len(e.set[id]) > 0))
	}
	return out
}

// derive adds to lists and facts the changes that put d where it belongs and take it
// out of the places it leaves.
func derive(lists, facts *edits, d *caseDoc, leave leaving) error {
	for _, u := range leave.Grants {
		lists.remove(grantList(d.Org, u), "e."+d.ID)
	}
	if leave.Facts != "" && leave.Facts != d.Pos.Facts {
		facts.remove(leave.Facts, "f."+d.ID)
	}
	if d.Erased != nil || d.Key == nil {
		lists.remove(orgChunkOf(d), "e."+d.ID)
		lists.remove(ownChunkID(d.Org, d.RecordedBy, d.Pos.Own), "e."+d.ID)
		if d.Pos.Facts != "" {
			facts.remove(d.Pos.Facts, "f."+d.ID)
		}
		return nil
	}
	sum, err := bson.Marshal(summarize(d))
	if err != nil {
		return err
	}
	lists.put(orgChunkOf(d), "e."+d.ID, sum)
	lists.put(ownChunkID(d.Org, d.RecordedBy, d.Pos.Own), "e."+d.ID, sum)
	for _, g := range d.Grants {
		lists.put(grantList(d.Org, g.User), "e."+d.ID, sum)
	}
	if d.Pos.Facts != "" {
		f, err := bson.Marshal(factOf(d))
		if err != nil {
			return err
		}
		facts.put(d.Pos.Facts, "f."+d.ID, f)
	}
	return nil
}

// writeDerived writes the heads, year directories and chunks a batch changes: one
// bulk write per collection.
func (s *Store) writeDerived(ctx context.Context, owed []owing) error {

	lists, facts := newEdits(), newEdits()
	for _, o := range owed {
		if err := derive(lists, facts, o.doc, o.leave); err != nil {
			return err
		}
	}
	// Heads and directories go first: a reader that finds a head ahead of its chunk
	// reads an empty chunk, never misses a full one. A head this process did not move
	// (a write settled after a crash) is brought up to the chunk the case was given.
	var listHeads, factHeads []mongo.WriteModel
	wrote := map[string]bool{}
	type savedHead struct {
		h *chunkHead
		n int
	}
	var saved []savedHead
	for _, o := range owed {
		d := o.doc
		if d.Erased != nil {
			continue
		}
		type placed struct {
			coll    *mongo.Collection
			id      string
			k, size int
			models  *[]mongo.WriteModel
		}
		ps := []placed{{s.lists, ownHead(d.Org, d.RecordedBy), d.Pos.Own, ownChunk, &listHeads}}
		if d.Pos.Facts != "" {
			head, k := splitChunk(d.Pos.Facts)
			ps = append(ps, placed{s.facts, head, k, factsChunk, &factHeads})
		}
		for _, p := range ps {
			h, err := s.headOf(ctx, p.coll, p.id)
			if err != nil {
				return err
			}
			s.heads.mu.Lock()
			if p.k > h.N {
				h.N, h.C = p.k, p.size
			}
			n, changed := h.N, h.N != h.saved
			s.heads.mu.Unlock()
			if changed && !wrote[p.id] {
				wrote[p.id] = true
				*p.models = append(*p.models, headModel(p.id, n))
				saved = append(saved, savedHead{h, n})
			}
		}
		s.heads.mu.Lock()
		if y, _, ok := parseRef(d.Ref); ok && !s.heads.years[fmt.Sprintf("%s|%d", d.Org, y)] {
			listHeads = append(listHeads, mongo.NewUpdateOneModel().
				SetFilter(bson.D{{Key: "_id", Value: orgDir(d.Org)}}).
				SetUpdate(bson.D{{Key: "$addToSet", Value: bson.D{{Key: "years", Value: y}}}}).SetUpsert(true))
			s.heads.years[fmt.Sprintf("%s|%d", d.Org, y)] = true
		}
		s.heads.mu.Unlock()
	}
	// Lists and facts are separate collections: written side by side.
	errs := make(chan error, 2)
	for _, w := range []struct {
		coll   *mongo.Collection
		models []mongo.WriteModel
	}{{s.lists, append(listHeads, lists.models()...)}, {s.facts, append(factHeads, facts.models()...)}} {
		go func() {
			if len(w.models) == 0 {
				errs <- nil
				return
			}
			if err := bulkWrite(ctx, w.coll, w.models, true); err != nil {
				errs <- fmt.Errorf("write %s: %w", w.coll.Name(), err)
				return
			}
			errs <- nil
		}()
	}
	if err := errors.Join(<-errs, <-errs); err != nil {
		s.heads.reset() // what is stored is no longer known exactly
		return err
	}
	s.heads.mu.Lock()
	for _, sh := range saved {
		sh.h.saved = max(sh.h.saved, sh.n)
	}
	s.heads.mu.Unlock()
	return nil
}

func headModel(id string, n int) mongo.WriteModel {
	return mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}).
		SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: n}}}}).
		SetUpsert(true)
}
