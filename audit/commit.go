package audit

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Group commit. Appends queue as requests; the first one that finds no committer
// running starts one, which takes everything queued (up to maxBatch entries), gives
// each entry the next seq of its organization's chain as this process knows it, and
// inserts them all with one ordered InsertMany. Requests that arrive meanwhile wait
// for the next batch, so batches grow with the load and there is no timer: a lone
// append is written at once.
//
// The insert stays the commit point, and only it decides seqs across processes. An
// ordered InsertMany stops at the first refused document: the entries before it are
// committed, the rest are not, so every committed entry's predecessor is committed
// too. When the refusal is a duplicate key, another writer took that seq: the
// committer catches that chain up and inserts the rest again, with seqs, links and
// hashes recomputed (those of other organizations come out the same). Any other error
// leaves the stored state unknown: the requests still waiting fail, and the chains
// concerned are reloaded from the database before their next use. After the insert,
// the heads that lag are moved, one bulk write per batch (see advanceHeads).

// maxBatch is the most entries one InsertMany carries. The embedded store (FerretDB
// 1.24) inserts in chunks of 100 and, after a duplicate key in one chunk, still inserts
// the later chunks although the insert is ordered (measured): an entry could then be
// stored after a missing one, linked to an entry that never went in. Up to 100 entries
// nothing after the refused entry is inserted, there as on MongoDB. Back to back,
// inserts of 500 entries went faster (about 6,900 entries/s against 4,600 with 100),
// but a batch only grows past 100 with more than 100 appends waiting at once.
const maxBatch = 100

// batchTimeout bounds one batch, retries and probes included. The batch runs on a
// context of its own, detached from the requests it serves: a request that gives up
// must not abort the others' commit.
const batchTimeout = 30 * time.Second

// headTimeout bounds the update of the heads after a batch.
const headTimeout = 5 * time.Second

// While more appends wait, a head is moved only once it lags headLag entries or
// headEvery behind, rather than after every batch: each head moved costs the
// embedded store a read and a disk sync, which with four busy organizations took more
// than half of each batch's time. A lagging head costs Verify and a restarted Log one
// lookup by _id per entry it lags, so both bounds are small. When no append waits,
// every head is brought up to date before the batch is answered, so that at low load
// a head is as fresh as it was with single appends.
const (
	headLag   = 64
	headEvery = 250 * time.Millisecond
)

// request is one Append or AppendMany waiting for the committer.
type request struct {
	entries []Entry       // normalized and stamped; the committer fills in Seq, Prev and Hash
	err     error         // the first failure, set by the committer before done closes
	done    chan struct{} // closed when the committer is finished with the request

	taken     bool // guarded by Log.mu: in a batch, so its waiter can no longer withdraw it
	abandoned bool // guarded by Log.mu: its waiter left before it was taken
}

// result returns the request's outcome; only after done is closed.
func (r *request) result() ([]Entry, error) {
	if r.err != nil {
		return nil, r.err
	}
	return r.entries, nil
}

// fail records err as r's failure unless an earlier one was recorded. Entries of r not
// yet inserted are then dropped, so that what r committed is a prefix of it.
func (r *request) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// item is one entry of a batch.
type item struct {
	req      *request
	e        *Entry // in req.entries
	attempts int    // inserts of this entry refused as duplicates
}

// pos is a place in a chain: a seq and that entry's hash.
type pos struct {
	seq  int64
	hash string
}

// commitLoop commits batches until the queue is empty.
func (l *Log) commitLoop() {
	for {
		batch := l.take()
		if batch == nil {
			return
		}
		l.commit(batch)
		l.advanceHeads()
		for _, r := range batch {
			close(r.done)
		}
		// The requests just answered often append again at once (a request writes
		// several entries, a client several requests): a yield lets them queue
		// before the next take, rather than only in the batch after it, which split
		// 20 busy callers into two alternating batches of 10.
		runtime.Gosched()
	}
}

// take removes the next batch from the queue: requests in arrival order, up to
// maxBatch entries (one larger AppendMany goes alone). With nothing left it returns
// nil and ends this committer's turn, under the same lock that submit checks.
func (l *Log) take() []*request {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Chains that Rekey rewrote end in other hashes now: read them again before use.
	for _, org := range l.stale {
		delete(l.orgs, org)
	}
	l.stale = nil
	var batch []*request
	n, i := 0, 0
	for ; i < len(l.queue); i++ {
		r := l.queue[i]
		if r.abandoned {
			continue
		}
		if len(batch) > 0 && n+len(r.entries) > maxBatch {
			break
		}
		r.taken = true
		batch = append(batch, r)
		n += len(r.entries)
	}
	clear(l.queue[:i]) // let the taken requests go once they are done
	l.queue = l.queue[i:]
	if len(l.queue) == 0 {
		l.queue = nil
	}
	if batch == nil {
		l.running = false
	}
	return batch
}

// commit writes the entries of batch, in order, in rounds of at most maxBatch, and
// records each request's failure in it. A request whose entry fails keeps what it
// committed before and drops its remaining entries; the other requests go on.
func (l *Log) commit(batch []*request) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	var pending []*item
	for _, r := range batch {
		for i := range r.entries {
			pending = append(pending, &item{req: r, e: &r.entries[i]})
		}
	}
	for {
		pending = live(pending)
		if len(pending) == 0 {
			return
		}
		round := pending[:min(len(pending), maxBatch)]
		if !l.load(ctx, round) {
			continue // the organizations that could not be loaded failed; try the rest
		}

		// Seqs follow each chain as this process knows it, consecutive within the
		// round: one guess per entry, with no look at the database first (the embedded
		// store would answer a look by reading the whole table). A wrong guess costs a
		// refused insert.
		at := make(map[string]pos)
		docs := make([]any, len(round))
		for i, it := range round {
			p, ok := at[it.e.Org]
			if !ok {
				c := l.chainOf(it.e.Org)
				p = pos{c.seq, c.hash}
			}
			it.e.Seq, it.e.Prev = p.seq+1, p.hash
			it.e.Hash = hashKeyed(l.key, *it.e)
			at[it.e.Org] = pos{it.e.Seq, it.e.Hash}
			docs[i] = stored{ID: entryID(it.e.Org, it.e.Seq), Entry: *it.e}
		}

		n, dup, err := l.insertRound(ctx, docs)
		for _, it := range round[:n] {
			c := l.chainOf(it.e.Org)
			c.seq, c.hash = it.e.Seq, it.e.Hash
		}
		pending = pending[n:]
		switch {
		case err == nil:
		case dup:
			// Another writer took the seq of pending[0]. Entries after it, of any
			// organization, were not inserted either; the next round inserts them
			// again.
			l.refused.Add(1)
			it := pending[0]
			if it.attempts++; it.attempts >= maxAttempts {
				it.req.fail(ErrContention) // the chain is caught up all the same, for the rest
			}
			// A short random pause keeps two replicas from colliding again on the next
			// seq in lockstep.
			if err := sleep(ctx, rand.N(time.Duration(min(it.attempts, 10))*time.Millisecond)); err != nil {
				failAll(pending, err)
				continue
			}
			if err := l.catchUp(ctx, it.e.Org, l.chainOf(it.e.Org)); err != nil {
				failOrg(pending, it.e.Org, err)
			}
		default:
			// Whether the rest of the round went in is unknown (a timeout, a lost
			// connection): its requests fail, and its chains are read again before
			// their next use, which finds whatever did go in. Their seq and hash stay
			// at the last entry known committed, which the head may still be moved to.
			for _, it := range round[n:] {
				l.chainOf(it.e.Org).known = false
				it.req.fail(err)
			}
		}
	}
}

// load makes sure this process knows the chain of every organization in round. It
// returns false when some could not be loaded; their requests have failed then.
func (l *Log) load(ctx context.Context, round []*item) bool {
	ok := true
	for _, it := range round {
		c := l.chainOf(it.e.Org)
		if c.known || it.req.err != nil {
			continue
		}
		if err := l.loadHead(ctx, it.e.Org, c); err != nil {
			failOrg(round, it.e.Org, err)
			ok = false
		}
	}
	return ok
}

// insertRound inserts docs with one ordered InsertMany and returns how many of them,
// from the first, are committed, and whether the insert stopped on a duplicate key.
// When it is not sure that a prefix went in (any error but a single write error), it
// returns 0 and the error.
func (l *Log) insertRound(ctx context.Context, docs []any) (committed int, dup bool, err error) {
	err = l.insertMany(ctx, docs)
	if err == nil {
		return len(docs), false, nil
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil && len(bwe.WriteErrors) == 1 {
		if i := bwe.WriteErrors[0].Index; i >= 0 && i < len(docs) {
			return i, mongo.IsDuplicateKeyError(err), err
		}
	}
	return 0, false, err
}

// insertEntries is the real insertMany.
func (l *Log) insertEntries(ctx context.Context, docs []any) error {
	l.inserts.Add(1)
	_, err := l.entries.InsertMany(ctx, docs, options.InsertMany().SetOrdered(true))
	return err
}

// advanceHeads moves the heads that lag behind this process's chains (see headLag),
// each to the last entry this process knows committed, with one unordered bulk write
// for the whole batch, before the batch's requests are answered. It writes by _id,
// which the embedded store hands to SQL, and without reading a head first: this
// process remembers where it last saw or put each head. Two replicas racing here can
// move a head back a little; that is harmless, because the head is only a hint that
// may lag (it never runs ahead: it only ever names committed entries): the next
// append catches it up and Verify accepts it. An upsert puts back a head deleted
// behind this Log's back. Failures are ignored for the same reason, and because the
// entries are committed.
func (l *Log) advanceHeads() {
	l.mu.Lock()
	idle := len(l.queue) == 0
	l.mu.Unlock()
	now := time.Now()
	var (
		chains []*chain
		to     []pos
		models []mongo.WriteModel
	)
	for org, c := range l.orgs {
		lag := c.seq - c.headSeq
		if lag <= 0 || !idle && lag < headLag && now.Sub(c.headAt) < headEvery {
			continue
		}
		chains = append(chains, c)
		to = append(to, pos{c.seq, c.hash})
		models = append(models, mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: org}}).
			SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: c.seq}, {Key: "hash", Value: c.hash}}}}).
			SetUpsert(true))
	}
	if len(models) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), headTimeout)
	defer cancel()
	_, err := l.heads.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	failed := make(map[int]bool)
	if err != nil {
		var bwe mongo.BulkWriteException
		if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
			return // which heads moved is unknown: the next batch writes them again
		}
		for _, we := range bwe.WriteErrors {
			failed[we.Index] = true
		}
	}
	for i, c := range chains {
		if !failed[i] {
			c.headSeq, c.headAt = to[i].seq, now
		}
	}
}

// live returns the items whose request has not failed, in order.
func live(items []*item) []*item {
	out := items[:0]
	for _, it := range items {
		if it.req.err == nil {
			out = append(out, it)
		}
	}
	return out
}

// failOrg fails the requests of every item of org.
func failOrg(items []*item, org string, err error) {
	for _, it := range items {
		if it.e.Org == org {
			it.req.fail(err)
		}
	}
}

// failAll fails the requests of every item.
func failAll(items []*item, err error) {
	for _, it := range items {
		it.req.fail(err)
	}
}

// sleep waits for d, or returns ctx's error if it ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
