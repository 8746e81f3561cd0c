package audit

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

// maxAttempts bounds how often one entry is retried after another writer took the seq
// it wanted; each loss means another entry went in, so the log as a whole progresses.
const maxAttempts = 32

// Append adds e to the end of its organization's chain and returns it as stored, with
// Seq, Prev, Hash and (when zero) Time filled in and long text cut to MaxText. It
// returns a *validation.Error when Org or Action is empty, ErrContention when other
// writers kept taking the next seq, the context's error, or the database's error.
//
// Append returns once the entry is committed: the insert of the entry under _id
// "<org>:<seq>" is the commit point, and the unique _id lets exactly one writer, in
// any process, take each seq, so the chain has no gaps and no forks without
// transactions. Concurrent Appends share that insert (see commit.go). ctx bounds only
// the wait: when it ends first, Append returns its error, and the entry is then either
// committed whole or not at all.
func (l *Log) Append(ctx context.Context, e Entry) (_ Entry, err error) {
	defer wrap(&err, "audit.Log.Append(%s, %s)", e.Org, e.Action)
	var verr validation.Error
	check(&verr, e, "")
	if err := verr.Err(); err != nil {
		return Entry{}, err
	}
	out, err := l.submit(ctx, []Entry{normalize(e)})
	if err != nil {
		return Entry{}, err
	}
	return out[0], nil
}

// AppendMany appends entries, of one organization or several, in this order and in
// one batch, and returns them as stored (see Append). Entries of one organization get
// increasing seqs in the order given, consecutive unless another process appends to
// the same chain meanwhile. It returns a *validation.Error (fields "<index>.org",
// "<index>.action") when an entry lacks Org or Action, and nothing is appended then.
//
// It is all or error from the caller's view, not atomic: on an error (ErrContention,
// the context's or the database's), a prefix of entries may have been committed, never
// an entry without the ones before it. For an access log that is the right failure: an
// access recorded although its request then failed is harmless, a gap is not possible.
func (l *Log) AppendMany(ctx context.Context, entries []Entry) (_ []Entry, err error) {
	defer wrap(&err, "audit.Log.AppendMany(%d entries)", len(entries))
	var verr validation.Error
	for i, e := range entries {
		check(&verr, e, fmt.Sprintf("%d.", i))
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return []Entry{}, nil
	}
	// A copy, which the committer fills in: the caller's slice stays as it was.
	own := make([]Entry, len(entries))
	for i, e := range entries {
		own[i] = normalize(e)
	}
	return l.submit(ctx, own)
}

// check records in verr what e lacks, its field names prefixed with prefix.
func check(verr *validation.Error, e Entry, prefix string) {
	if e.Org == "" {
		verr.Add(prefix+"org", validation.Required)
	}
	if e.Action == "" {
		verr.Add(prefix+"action", validation.Required)
	}
}

// submit queues normalized entries as one request, starts a committer when none is
// running, and waits until the request is done or ctx ends. It returns the entries as
// stored.
func (l *Log) submit(ctx context.Context, entries []Entry) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &request{entries: entries, done: make(chan struct{})}
	l.mu.Lock()
	// Stamped under the lock that orders the queue, so that within a process times
	// follow queue order, which is seq order within each chain.
	for i := range r.entries {
		if r.entries[i].Time.IsZero() {
			r.entries[i].Time = storedTime(l.now())
		}
	}
	l.queue = append(l.queue, r)
	if !l.running {
		// No batch in flight: this request leads. The committer runs on a goroutine of
		// its own rather than on this request's, so that this request's ctx ending
		// cannot stop a batch that other requests wait for.
		l.running = true
		go l.commitLoop()
	}
	l.mu.Unlock()

	select {
	case <-r.done:
		return r.result()
	case <-ctx.Done():
	}
	l.mu.Lock()
	if !r.taken {
		r.abandoned = true // still queued: the committer will drop it, nothing is written
	}
	l.mu.Unlock()
	select {
	case <-r.done: // finished all the same: report what happened rather than ctx's error
		return r.result()
	default:
		// In a batch that is under way: it may still commit the entries, whole.
		return nil, ctx.Err()
	}
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
	c.seq, c.hash, c.known, c.headSeq = h.Seq, h.Hash, true, h.Seq
	return nil
}

// catchUp moves c forward after an insert was refused because another writer took
// the seq: to the head when that is further along (it never runs ahead of the chain,
// and another replica moves it once per batch, so this skips most of a long probe),
// then past what the head lags behind.
func (l *Log) catchUp(ctx context.Context, org string, c *chain) error {
	h, found, err := l.head(ctx, org)
	if err != nil {
		return err
	}
	c.headSeq = h.Seq // 0 when it is gone: the next batch puts it back
	if found && h.Seq > c.seq {
		c.seq, c.hash = h.Seq, h.Hash
	}
	return l.probe(ctx, org, c)
}

// probe moves c forward past entries that other writers (other replicas, or this
// process before a crash) appended, looking each up by _id. On the embedded store such
// a lookup reads the table up to the entry (about 10 µs a row, the final miss the
// whole table), which is why appends probe only after an insert was refused.
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
