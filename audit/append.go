package audit

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

// maxAttempts bounds how often one Append retries after another writer took the seq
// it wanted; each loss means another entry went in, so the log as a whole progresses.
const maxAttempts = 32

// Append adds e to the end of its organization's chain and returns it as stored, with
// Seq, Prev, Hash and (when zero) Time filled in and long text cut to MaxText. It
// returns a *validation.Error when Org or Action is empty, ErrContention when other
// writers kept taking the next seq, the context's error, or the database's error.
//
// The insert of the entry under _id "<org>:<seq>" is the commit point: the unique _id
// lets exactly one writer, in any process, take each seq, so the chain has no gaps
// and no forks without transactions. The head document is updated afterwards as a
// hint.
func (l *Log) Append(ctx context.Context, e Entry) (_ Entry, err error) {
	defer wrap(&err, "audit.Log.Append(%s, %s)", e.Org, e.Action)
	var verr validation.Error
	if e.Org == "" {
		verr.Add("org", "required")
	}
	if e.Action == "" {
		verr.Add("action", "required")
	}
	if err := verr.Err(); err != nil {
		return Entry{}, err
	}

	c := l.chainOf(e.Org)
	select {
	case c.token <- struct{}{}:
	case <-ctx.Done():
		return Entry{}, ctx.Err()
	}
	defer func() { <-c.token }()

	// Stamped while holding the token, so that times follow seqs within a process.
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e = normalize(e)
	if !c.known {
		if err := l.loadHead(ctx, e.Org, c); err != nil {
			return Entry{}, err
		}
	}
	// The seq after this process's last known entry is tried without looking first:
	// with one replica it is right, and a wrong guess costs one refused insert, while
	// looking first would cost a lookup that the embedded store answers by reading the
	// whole table.
	for attempt := range maxAttempts {
		e.Seq, e.Prev = c.seq+1, c.hash
		e.Hash = hashEntry(e)
		_, err := l.entries.InsertOne(ctx, stored{ID: entryID(e.Org, e.Seq), Entry: e})
		if err == nil {
			c.seq, c.hash = e.Seq, e.Hash
			l.advanceHead(ctx, e.Org, e.Seq, e.Hash)
			return e, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return Entry{}, err
		}
		// Another writer took e.Seq. A short random pause keeps two replicas from
		// colliding again on the next seq in lockstep.
		pause := rand.N(time.Duration(min(attempt+1, 10)) * time.Millisecond)
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		}
		if err := l.probe(ctx, e.Org, c); err != nil {
			return Entry{}, err
		}
	}
	return Entry{}, ErrContention
}

// loadHead starts c from org's head document, without looking for entries the head
// lags behind: the first insert finds them, by failing. A missing head is created at
// seq 0 before the chain's first entry, so that Verify can treat a missing head beside
// existing entries as tampering rather than as a crash.
func (l *Log) loadHead(ctx context.Context, org string, c *chain) error {
	h, found, err := l.head(ctx, org)
	if err != nil {
		return err
	}
	if !found {
		if _, err := l.heads.InsertOne(ctx, h); err != nil && !mongo.IsDuplicateKeyError(err) {
			return err
		}
	}
	c.seq, c.hash, c.known = h.Seq, h.Hash, true
	return nil
}

// probe moves c forward past entries that other writers (other replicas, or this
// process before a crash) appended, looking each up by _id. On the embedded store such
// a lookup reads the table up to the entry (about 10 µs a row, the final miss the
// whole table), which is why Append probes only after an insert was refused.
func (l *Log) probe(ctx context.Context, org string, c *chain) error {
	proj := options.FindOne().SetProjection(bson.D{{Key: "hash", Value: 1}})
	for {
		var next struct {
			Hash string `bson:"hash"`
		}
		err := l.entries.FindOne(ctx, bson.D{{Key: "_id", Value: entryID(org, c.seq+1)}}, proj).Decode(&next)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil
		}
		if err != nil {
			return err
		}
		c.seq, c.hash = c.seq+1, next.Hash
	}
}

// advanceHead moves org's head to (seq, hash) unless it is already further along. It
// reads, compares and sets by _id, which the embedded store hands to SQL (a filter on
// seq as well, atomic on MongoDB, made the update about three times slower there).
// Two replicas racing here can move the head back a little; that is harmless, because
// the head is only a hint that may lag: the next Append catches it up and Verify
// accepts it. Failures are ignored for the same reason, and because the entry is
// committed.
func (l *Log) advanceHead(ctx context.Context, org string, seq int64, hash string) {
	// A request cancelled just after its insert should still move the hint.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	h, found, err := l.head(ctx, org)
	switch {
	case err != nil || h.Seq >= seq:
		return
	case !found: // deleted behind this Log's back (or lost): put it back
		_, _ = l.heads.InsertOne(ctx, head{Org: org, Seq: seq, Hash: hash})
		return
	}
	_, _ = l.heads.UpdateOne(ctx, bson.D{{Key: "_id", Value: org}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: seq}, {Key: "hash", Value: hash}}}})
}
