package audit

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// maxPending bounds the entries a walk holds while it waits for an earlier seq to come
// by: about a megabyte.
const maxPending = 1000

// walker checks a stream of one organization's entries as a chain.
type walker struct {
	org     string
	head    head
	hasHead bool
	last    int64 // the last seq there was when Verify started
	sorted  bool  // the stream comes sorted by seq, so a gap is a missing entry at once

	n    int64  // entries verified so far, which is also the last verified seq
	prev string // the hash of entry n
}

// walk verifies the entries cur yields. It returns done=false, and no result, when an
// unsorted stream strays further from seq order than maxPending entries, or holds a
// document it cannot decode (so it cannot tell where that belongs).
func (w *walker) walk(ctx context.Context, cur *mongo.Cursor) (res Result, done bool, err error) {
	pending := make(map[int64]stored)
	var bad int64 // lowest seq claimed by a document whose _id disagrees: a forgery
	for cur.Next(ctx) {
		var s stored
		if err := cur.Decode(&s); err != nil {
			if w.sorted {
				return w.broken(w.n+1, ReasonHash), true, nil // rewritten beyond recognition
			}
			return Result{}, false, nil
		}
		switch {
		case s.ID != entryID(w.org, s.Seq):
			if at := max(s.Seq, 1); bad == 0 || at < bad {
				bad = at
			}
		case s.Seq > w.n:
			pending[s.Seq] = s
		} // otherwise the cursor returned an entry again; its _id is unique
		for {
			want := w.n + 1
			if bad != 0 && bad <= want {
				return w.broken(bad, ReasonHash), true, nil
			}
			next, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			if reason := w.check(next.fromDB()); reason != "" {
				return w.broken(want, reason), true, nil
			}
		}
		switch {
		case w.sorted && len(pending) > 0:
			return w.broken(w.n+1, ReasonMissing), true, nil
		case len(pending) > maxPending:
			return Result{}, false, nil
		}
	}
	if err := cur.Err(); err != nil {
		return Result{}, false, err
	}
	if len(pending) > 0 || bad != 0 {
		// Later entries (or a forgery) came by, but never entry n+1.
		return w.broken(w.n+1, ReasonMissing), true, nil
	}
	return w.finish(), true, nil
}

// check verifies e as entry n+1 and advances the walk; it returns why e is broken, or
// "" when it is not.
func (w *walker) check(e Entry) string {
	switch {
	case hashEntry(e) != e.Hash:
		return ReasonHash
	case e.Prev != w.prev:
		return ReasonPrev
	case w.hasHead && e.Seq == w.head.Seq && e.Hash != w.head.Hash:
		return ReasonHead
	}
	w.n, w.prev = e.Seq, e.Hash
	return ""
}

// finish compares the end of the chain with the head and the last seq.
func (w *walker) finish() Result {
	switch {
	case !w.hasHead && w.n > 0:
		// The head is created before the first entry, so only tampering removes it.
		return w.broken(w.n+1, ReasonHead)
	case w.n < w.head.Seq:
		return w.broken(w.n+1, ReasonHead) // the newest entries were deleted
	case w.n < w.last:
		return w.broken(w.n+1, ReasonMissing) // deleted while Verify ran
	}
	return Result{OK: true, Entries: w.n}
}

// broken reports the chain broken at seq at; the entries before it were verified.
func (w *walker) broken(at int64, reason string) Result {
	return Result{Entries: min(w.n, at-1), BrokenAt: at, Reason: reason}
}
