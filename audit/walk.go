package audit

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// maxPending bounds the entries a walk holds while it waits for an earlier seq to come
// by: about a megabyte.
const maxPending = 1000

// walkMode is what a walk accepts as a chain.
type walkMode int

const (
	// keyedOnly is Verify's rule: every entry is of version 2, its hash is the HMAC of
	// its content under the key, and its prev is the hash of the entry before it.
	keyedOnly walkMode = iota
	// upgrade is Rekey's rule for a chain on its way from version 1 to version 2: see
	// checkUpgrade.
	upgrade
)

// walker checks a stream of one organization's entries as a chain.
type walker struct {
	org      string
	key      []byte
	mode     walkMode
	head     head
	hasHead  bool
	headless bool  // the walk covers a prefix of the chain only: no head to compare
	last     int64 // the last seq there was when the walk started
	sorted   bool  // the stream comes sorted by seq, so a gap is a missing entry at once

	n    int64  // entries verified so far, which is also the last verified seq
	prev string // the hash of entry n

	// upgrade only.
	marker    *marker   // Rekey's verified marker, when it was interrupted
	v1, v2    string    // the version 1 and version 2 hashes of entry n, computed from its content
	keyedAt   int64     // the first entry of version 2 (0: none so far)
	lastV1    int64     // the last entry of version 1 (0: none)
	lastV1At  string    // and its hash
	rewrites  []rewrite // the entries Rekey must write, in seq order
	headStale bool      // the head does not name the version 2 hash of its entry
}

// rewrite is the version 2 link and hash that Rekey gives an entry.
type rewrite struct {
	seq        int64
	prev, hash string
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
	if w.mode == upgrade {
		return w.checkUpgrade(e)
	}
	switch {
	case e.Version == versionUnkeyed:
		// Anyone who can write to the database can make such an entry, and the chain
		// after it: in a keyed log it proves nothing.
		return ReasonUnkeyed
	case e.Version != versionKeyed || hashKeyed(w.key, e) != e.Hash:
		return ReasonHash
	case e.Prev != w.prev:
		return ReasonPrev
	case w.hasHead && e.Seq == w.head.Seq && e.Hash != w.head.Hash:
		return ReasonHead
	}
	w.n, w.prev = e.Seq, e.Hash
	return ""
}

// checkUpgrade is check for a chain that Rekey may rewrite. It computes for every
// entry, from its content alone, both the version 1 and the version 2 hash it would
// have in a chain of that version, and accepts:
//   - an entry of version 1 that verifies as one, linked to the version 1 hash of the
//     entry before it, provided no entry of version 2 came before, or Rekey's marker
//     covers its seq (an interrupted Rekey leaves version 2 entries, then version 1
//     ones);
//   - an entry of version 2 that verifies under the key, linked to the stored hash of
//     the entry before it or to either computed one (a keyed Log may append to a chain
//     nobody rekeyed yet, and Rekey may have rewritten the entry before since).
//
// Each of these links commits to the content of every entry before: the HMAC of a
// version 2 entry covers its prev, and a version 1 hash covers the prev before it. At
// the marker's seq, the version 1 hash must be the one the marker holds, so entries
// that stayed unkeyed cannot have been changed since Rekey verified them.
func (w *walker) checkUpgrade(e Entry) string {
	as1, as2 := e, e
	as1.Prev, as2.Prev = w.v1, w.v2
	v1, v2 := hashUnkeyed(as1), hashKeyed(w.key, as2)
	switch e.Version {
	case versionUnkeyed:
		if w.keyedAt != 0 && (w.marker == nil || e.Seq > w.marker.Seq) {
			return ReasonUnkeyed
		}
		if hashUnkeyed(e) != e.Hash {
			return ReasonHash
		}
		if e.Prev != w.v1 {
			return ReasonPrev
		}
		w.lastV1, w.lastV1At = e.Seq, e.Hash
	case versionKeyed:
		if hashKeyed(w.key, e) != e.Hash {
			return ReasonHash
		}
		if e.Prev != w.prev && e.Prev != w.v2 && e.Prev != w.v1 {
			return ReasonPrev
		}
		if w.keyedAt == 0 {
			w.keyedAt = e.Seq
		}
	default:
		return ReasonHash
	}
	if w.marker != nil && e.Seq == w.marker.Seq && v1 != w.marker.V1 {
		return ReasonHash
	}
	if w.hasHead && e.Seq == w.head.Seq {
		if h := w.head.Hash; h != e.Hash && h != v1 && h != v2 {
			return ReasonHead
		}
		w.headStale = w.head.Hash != v2
	}
	if e.Version != versionKeyed || e.Hash != v2 {
		w.rewrites = append(w.rewrites, rewrite{seq: e.Seq, prev: w.v2, hash: v2})
	}
	w.n, w.prev, w.v1, w.v2 = e.Seq, e.Hash, v1, v2
	return ""
}

// finish compares the end of the chain with the head and the last seq.
func (w *walker) finish() Result {
	switch {
	case w.headless:
	case !w.hasHead && w.n > 0:
		// The head is created before the first entry, so only tampering removes it.
		return w.broken(w.n+1, ReasonHead)
	case w.n < w.head.Seq:
		return w.broken(w.n+1, ReasonHead) // the newest entries were deleted
	}
	switch {
	case w.n < w.last:
		return w.broken(w.n+1, ReasonMissing) // deleted while the walk ran
	case w.marker != nil && w.n < w.marker.Seq:
		return w.broken(w.n+1, ReasonMissing) // deleted since Rekey verified them
	}
	return Result{OK: true, Entries: w.n}
}

// broken reports the chain broken at seq at; the entries before it were verified.
func (w *walker) broken(at int64, reason string) Result {
	return Result{Entries: min(w.n, at-1), BrokenAt: at, Reason: reason}
}
