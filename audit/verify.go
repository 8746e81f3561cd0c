package audit

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

// Reasons a chain is broken, in Result.Reason.
const (
	ReasonHash    = "hash mismatch"          // an entry's content does not match its hash
	ReasonPrev    = "previous hash mismatch" // an entry does not link to the one before it
	ReasonMissing = "missing entry"          // a seq is absent from the chain
	ReasonHead    = "head mismatch"          // the head names an entry the chain lacks or differs from
	ReasonUnkeyed = "unkeyed entry"          // an entry hashed without the key (version 1), which anyone could forge
)

// Result is the outcome of Verify or Rekey. Entries counts the entries found intact, up
// to the first broken one, BrokenAt is that entry's seq, and Reason says what is wrong
// there; Rekeyed counts the entries Rekey rewrote.
type Result struct {
	OK       bool   `json:"ok"`
	Entries  int64  `json:"entries"`
	BrokenAt int64  `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Rekeyed  int64  `json:"rekeyed,omitempty"`
}

// Verify walks org's chain in seq order, recomputes every hash under the key, checks
// every link and that seqs run 1, 2, 3, … without gaps, and checks the head against
// the chain, so that deleting the newest entries is detected too. An entry of version
// 1 (hashed without the key, from before Rekey) breaks the chain: anyone with access
// to the database could have written it. A broken chain is reported in the Result, not
// as an error; Verify returns a *validation.Error when org is empty, the context's
// error, or the database's error.
//
// A head that lags behind the chain (a crash between an entry's insert and the head's
// update) is accepted; a head beyond the chain, or differing from the entry at its
// seq, is not.
func (l *Log) Verify(ctx context.Context, org string) (res Result, err error) {
	defer wrap(&err, "audit.Log.Verify(%s)", org)
	if org == "" {
		return Result{}, validation.Field("org", validation.Required)
	}
	_, res, err = l.walkChain(ctx, org, keyedOnly)
	return res, err
}

// walkChain checks org's chain in mode, up to the entry that was last when it began,
// and returns the walker that finished (with what an upgrade walk collected) and its
// result. A chain without entries is intact.
func (l *Log) walkChain(ctx context.Context, org string, mode walkMode) (*walker, Result, error) {
	// The head and the last seq are read before the scan, and the scan stops at that
	// seq: entries appended meanwhile, which a scan may meet out of order, are left to
	// the next walk.
	h, found, err := l.head(ctx, org)
	if err != nil {
		return nil, Result{}, err
	}
	if !found {
		// Append creates the head before a chain's first entry, so entries without a
		// head mean it was deleted, unless the chain was started since it was read.
		err := l.entries.FindOne(ctx, bson.D{{Key: "org", Value: org}}).Err()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return &walker{org: org, head: h}, Result{OK: true}, nil
		}
		if err != nil {
			return nil, Result{}, err
		}
		if h, found, err = l.head(ctx, org); err != nil {
			return nil, Result{}, err
		}
	}
	filter := bson.D{{Key: "org", Value: org}}
	last := h.Seq
	if found {
		c := chain{seq: h.Seq, hash: h.Hash}
		if err := l.probe(ctx, org, &c); err != nil {
			return nil, Result{}, err
		}
		last = c.seq
		filter = append(filter, bson.E{Key: "seq", Value: bson.D{{Key: "$lte", Value: last}}})
	}
	var m *marker
	if mode == upgrade && h.Rekey != nil && l.markerOK(org, *h.Rekey) {
		m = h.Rekey // a marker that does not verify is no marker: nobody but Rekey can make one
	}
	return l.walkEntries(ctx, filter, func(sorted bool) *walker {
		return &walker{org: org, key: l.key, mode: mode, head: h, hasHead: found, last: last,
			sorted: sorted, marker: m}
	})
}

// walkEntries runs a walker that start makes over the entries filter selects: first in
// the order the store keeps, which is the order of appends, because a sort would make
// the embedded store hold the whole chain in memory. Only a chain too far out of order
// for the walk's buffer (tampered with, or on a store that reorders) is read again,
// sorted by seq, with a new walker.
func (l *Log) walkEntries(ctx context.Context, filter bson.D, start func(sorted bool) *walker) (*walker, Result, error) {
	for _, sorted := range []bool{false, true} {
		opts := options.Find().SetBatchSize(500)
		if sorted {
			opts.SetSort(bson.D{{Key: "seq", Value: 1}})
		}
		cur, err := l.entries.Find(ctx, filter, opts)
		if err != nil {
			return nil, Result{}, err
		}
		w := start(sorted)
		res, done, err := w.walk(ctx, cur)
		_ = cur.Close(ctx)
		if err != nil || done {
			return w, res, err
		}
	}
	return nil, Result{}, errors.New("the sorted walk did not finish") // not reached
}

// head returns org's head document and whether there is one.
func (l *Log) head(ctx context.Context, org string) (head, bool, error) {
	var h head
	err := l.heads.FindOne(ctx, bson.D{{Key: "_id", Value: org}}).Decode(&h)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return head{Org: org}, false, nil
	}
	if err != nil {
		return head{}, false, err
	}
	return h, true, nil
}
