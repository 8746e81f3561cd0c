package cases

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/audit"
)

// The write path. Every create, update and erasure becomes a writeOp that one batch
// of the group committer carries out together with the operations of concurrent
// requests:
//
//  1. an intent per case (_id: the case id) says what the write still owes: the
//     places the case leaves and its access-log entry. Its unique _id is also the
//     lock that keeps two servers from writing one case at once;
//  2. reference counters (a hint, written before the cases they number);
//  3. the cases themselves: one insertMany for the new ones, replacements by _id for
//     the rest. This is the commit point: a write whose case document is stored is
//     acknowledged and completed, one whose case is not was never made;
//  4. the lists and statistical facts (on the embedded store; other stores derive
//     them by query from the cases);
//  5. the access-log entries, in one append;
//  6. the intents are deleted.
//
// The batch runs on a context of its own, so a client that walks away does not leave
// its case half-written. A crash after step 3 leaves intents behind; Recover (at
// start-up and every minute) completes those whose case carries their version and
// drops the others, so `registro check` agrees after a kill -9 at any moment.

// maxBatch bounds one batch; batches form naturally from what queued while the
// previous one ran, so a lone request waits for nobody. The embedded store inserts
// in runs of 100 documents, which is where a batch stops.
const maxBatch = 100

// batchTimeout bounds one batch's work on the store.
const batchTimeout = 30 * time.Second

type opKind int

const (
	opCreate opKind = iota
	opReplace
	opErase
	opRecover // settles intents left behind (see Recover)
)

// writeOp is one case write waiting for its batch.
type writeOp struct {
	kind opKind
	doc  *caseDoc // the new state: the new case, its next version, or its tombstone
	old  *caseDoc // the state replaced (nil for a create)
	// stored, when set, is what is written instead of doc (a tombstone keeps only
	// what explains the reference sequence and where the case was listed).
	stored bson.D
	// revoked names the grant lists the case leaves.
	revoked []string
	entry   audit.Entry
	// recover holds the intents an opRecover settles.
	recover []intentDoc
	// existed: the case was already stored under this id by an earlier attempt.
	existed bool
	// idem is the Idempotency-Key record a create claims in its batch.
	idem *idemDoc

	err  error
	done chan struct{}
}

// intentDoc is what a case write owes after its case document is stored.
type intentDoc struct {
	ID      string      `bson:"_id"`
	At      time.Time   `bson:"at"`
	Version int64       `bson:"version"`
	Leave   leaving     `bson:"leave"`
	Entry   audit.Entry `bson:"entry"`
}

// leaving names the derived places a case leaves with a write: its previous facts
// chunk and the grant lists of revoked shares.
type leaving struct {
	Facts  string   `bson:"facts"`
	Grants []string `bson:"grants"`
}

// AccessLog receives the access-log entries of case writes, one append per batch.
type AccessLog interface {
	AppendMany(ctx context.Context, entries []audit.Entry) ([]audit.Entry, error)
}

// SetAccessLog makes the store write the access-log entry of every case write it
// commits (case.create, case.update, case.followup, case.grant, case.revoke,
// case.erase) as part of the write.
func (s *Store) SetAccessLog(l AccessLog) { s.accessLog = l }

// committer gathers concurrent writes into batches.
type committer struct {
	mu      sync.Mutex
	queue   []*writeOp
	running bool
	// batches counts the batches run, for tests.
	batches int
}

// errInFlight reports that another write of the same case (on this server or another)
// has not finished yet.
var errInFlight = errors.New("another write of this case is in progress")

// errKeyUsed reports that a create's Idempotency-Key was claimed before.
var errKeyUsed = errors.New("idempotency key already used")

// commit queues op and waits until its batch has run. The batch goes on if ctx ends
// first; the caller then gets ctx's error but the write completes all the same.
func (s *Store) commit(ctx context.Context, op *writeOp) error {
	op.done, op.err, op.existed = make(chan struct{}), nil, false
	s.writer.mu.Lock()
	s.writer.queue = append(s.writer.queue, op)
	if !s.writer.running {
		s.writer.running = true
		go s.drain()
	}
	s.writer.mu.Unlock()
	select {
	case <-op.done:
		return op.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain runs batches until the queue is empty.
func (s *Store) drain() {
	// Batches overlap: while one batch settles (lists, facts, log), the next two store
	// their cases. Settling stays in batch order, one at a time, so the derived
	// documents keep a single writer.
	settled := make(chan struct{})
	close(settled)
	preparing := make(chan struct{}, 2) // batches storing their cases at once
	for {
		s.writer.mu.Lock()
		n := min(len(s.writer.queue), maxBatch)
		if n == 0 {
			// Only once the last batch settled may another drain start.
			s.writer.mu.Unlock()
			<-settled
			s.writer.mu.Lock()
			if len(s.writer.queue) == 0 {
				s.writer.running = false
				s.writer.mu.Unlock()
				return
			}
			s.writer.mu.Unlock()
			continue
		}
		batch := s.writer.queue[:n:n]
		s.writer.queue = s.writer.queue[n:]
		s.writer.batches++
		s.writer.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
		prev, done := settled, make(chan struct{})
		settled = done
		preparing <- struct{}{}
		go func() {
			defer close(done)
			defer cancel()
			written := s.prepare(ctx, batch, prev)
			<-preparing
			<-prev
			// 4–6. What the written cases owe. A failure here leaves their intents for
			// Recover: the writes themselves are made and are answered as such.
			if len(written) > 0 {
				if err := s.settle(ctx, written); err != nil {
					s.logf("case writes committed, completion deferred to recovery: %v", err)
				}
			}
			for _, op := range batch {
				close(op.done)
			}
		}()
	}
}

// prepare carries out the first stage of a batch and returns the ops whose case was
// written; the others carry their error. Settling leftovers (opRecover) writes derived
// documents, so it waits for the batch before to settle (prev).
func (s *Store) prepare(ctx context.Context, batch []*writeOp, prev <-chan struct{}) []*writeOp {
	var writes []*writeOp
	for _, op := range batch {
		if op.kind == opRecover {
			<-prev
			op.err = s.recoverIntents(ctx, op.recover)
		} else {
			writes = append(writes, op)
		}
	}
	batch = writes
	if len(batch) == 0 {
		return nil
	}
	now := s.now().Truncate(time.Millisecond)
	// 0. Idempotency keys, all claims of the batch in one insert.
	batch = s.claimKeys(ctx, batch)
	// 1. Intents. A duplicate means a write of that case is still owed elsewhere.
	live := s.writeIntents(ctx, batch, now)
	if len(live) == 0 {
		return nil
	}
	// 2–3. References, counters and the cases.
	written := s.writeCases(ctx, live)
	if len(written) < len(live) {
		s.dropIntents(ctx, failed(live))
	}
	return written
}

// claimKeys inserts the Idempotency-Key records of the batch's creates, and returns
// the ops that go on: a key used before sends its op back to Create as errKeyUsed.
func (s *Store) claimKeys(ctx context.Context, batch []*writeOp) []*writeOp {
	var docs []any
	var owners []*writeOp
	for _, op := range batch {
		if op.idem != nil {
			docs, owners = append(docs, op.idem), append(owners, op)
		}
	}
	if len(docs) == 0 {
		return batch
	}
	_, err := s.idem.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	bad := writeErrors(err)
	for i, op := range owners {
		switch e, refused := bad[i]; {
		case err != nil && bad == nil:
			op.err = err
		case !refused:
		case mongo.IsDuplicateKeyError(e):
			op.err = errKeyUsed
		default:
			op.err = e
		}
	}
	return succeeded(batch)
}

// failed and succeeded split ops by whether they carry an error.
func failed(ops []*writeOp) []*writeOp    { return filterOps(ops, true) }
func succeeded(ops []*writeOp) []*writeOp { return filterOps(ops, false) }

func filterOps(ops []*writeOp, withErr bool) []*writeOp {
	var out []*writeOp
	for _, op := range ops {
		if (op.err != nil) == withErr {
			out = append(out, op)
		}
	}
	return out
}

func intentOf(op *writeOp, now time.Time) intentDoc {
	return intentDoc{ID: op.doc.ID, At: now, Version: op.doc.Version, Entry: op.entry, Leave: leaveOf(op)}
}

// leaveOf names the grant lists and the facts chunk the write takes its case out of.
func leaveOf(op *writeOp) leaving {
	l := leaving{Grants: op.revoked}
	if l.Grants == nil {
		l.Grants = []string{}
	}
	if op.old != nil && op.old.Pos.Facts != op.doc.Pos.Facts {
		l.Facts = op.old.Pos.Facts
	}
	return l
}

// writeIntents inserts the batch's intents and returns the ops whose intent is stored.
func (s *Store) writeIntents(ctx context.Context, batch []*writeOp, now time.Time) []*writeOp {
	// Positions first: the intent of a replacement names the facts chunk it leaves.
	if s.derived {
		if err := s.place(ctx, batch); err != nil {
			for _, op := range batch {
				op.err = err
			}
			return nil
		}
	}
	docs := make([]any, len(batch))
	for i, op := range batch {
		docs[i] = intentOf(op, now)
	}
	_, err := s.intents.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	bad := writeErrors(err)
	if err != nil && bad == nil {
		for _, op := range batch {
			op.err = err
		}
		return nil
	}
	var live []*writeOp
	for i, op := range batch {
		switch e, ok := bad[i]; {
		case !ok:
			live = append(live, op)
		case mongo.IsDuplicateKeyError(e):
			op.err = errInFlight
		default:
			op.err = e
		}
	}
	return live
}

// writeErrors maps the index of each refused document of a bulk write to its error;
// nil when err is not a per-document refusal.
func writeErrors(err error) map[int]error {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || len(bwe.WriteErrors) == 0 || bwe.WriteConcernError != nil {
		return nil
	}
	out := map[int]error{}
	for _, we := range bwe.WriteErrors {
		out[we.Index] = we
	}
	return out
}

// writeCases stores the batch's cases and returns the ops whose case is stored; the
// others carry their error.
func (s *Store) writeCases(ctx context.Context, ops []*writeOp) []*writeOp {
	var creates, others []*writeOp
	for _, op := range ops {
		if op.kind == opCreate {
			creates = append(creates, op)
		} else {
			others = append(others, op)
		}
	}
	var written []*writeOp
	if len(others) > 0 {
		models := make([]mongo.WriteModel, len(others))
		for i, op := range others {
			op.doc.Write = uuid.NewString()
			if op.stored != nil {
				op.stored = append(op.stored, bson.E{Key: "write", Value: op.doc.Write})
			}
			var doc any = op.doc
			if op.stored != nil {
				doc = op.stored
			}
			// The intent keeps other servers from writing the case meanwhile, so the
			// version read before it was taken is checked here, once; the embedded
			// store's single process checks it under its case lock instead (any filter
			// but {_id} would make it scan every case).
			filter := bson.D{{Key: "_id", Value: op.doc.ID}}
			if !s.derived {
				filter = append(filter, bson.E{Key: "version", Value: op.old.Version})
			}
			models[i] = mongo.NewReplaceOneModel().SetFilter(filter).SetReplacement(doc)
		}
		matched, err := bulkWriteCount(ctx, s.cases, models, false)
		bad := writeErrors(err)
		for i, op := range others {
			if e, ok := bad[i]; ok {
				op.err = e
			}
		}
		if err != nil && bad == nil || err == nil && matched < int64(len(others)) {
			// Some case had moved on before its intent was taken, or a failed command
			// wrote part of its statements: find which writes are stored.
			for _, op := range others {
				if stored, lerr := s.load(ctx, op.doc.ID); lerr != nil || stored.Write != op.doc.Write {
					op.err = ErrVersionConflict
					if err != nil {
						op.err = err
					}
				}
			}
		}
		for _, op := range others {
			if op.err == nil {
				written = append(written, op)
			}
		}
	}
	return append(written, s.insertCases(ctx, creates)...)
}

// insertCases numbers and inserts new cases. A refused number (taken by another
// server) is replaced by the next and the case tried again.
func (s *Store) insertCases(ctx context.Context, ops []*writeOp) []*writeOp {
	var written []*writeOp
	pending := ops
	for attempt := 0; len(pending) > 0; attempt++ {
		for _, op := range pending {
			year := op.doc.RecordedAt.Year()
			seq, err := s.propose(ctx, op.doc.Org, year)
			if err != nil {
				op.err = err
				continue
			}
			op.doc.Ref = formatRef(op.doc.Org, year, seq)
			op.doc.RefN = refNumber(op.doc.Ref)
		}
		pending = succeeded(pending)
		if len(pending) == 0 {
			break
		}
		docs := make([]*caseDoc, len(pending))
		for i, op := range pending {
			docs[i] = op.doc
		}
		if err := s.writeCounters(ctx, docs); err != nil {
			for _, op := range pending {
				op.err = err
			}
			break
		}
		many := make([]any, len(docs))
		for i, d := range docs {
			many[i] = d
		}
		_, err := s.cases.InsertMany(ctx, many, options.InsertMany().SetOrdered(false))
		bad := writeErrors(err)
		if err != nil && bad == nil {
			// A command that failed may still have stored some of its documents: the
			// embedded store, its batch refused, inserts one by one and stops at the
			// first error (a full disk). Those cases are written and must be settled.
			for _, op := range pending {
				if stored, lerr := s.load(ctx, op.doc.ID); lerr == nil && stored.Ref == op.doc.Ref {
					written = append(written, op)
				} else {
					op.err = err
				}
			}
			break
		}
		var again []*writeOp
		for i, op := range pending {
			e, refused := bad[i]
			switch {
			case !refused:
				written = append(written, op)
			case !mongo.IsDuplicateKeyError(e):
				op.err = e
			default:
				// Either the case is already stored (a replayed request finishing its
				// original), or its number was taken.
				if stored, err := s.load(ctx, op.doc.ID); err == nil {
					op.doc, op.existed, op.entry = stored, true, audit.Entry{}
					written = append(written, op)
					continue
				}
				y, n, _ := parseRef(op.doc.Ref)
				s.taken(op.doc.Org, y, n)
				if attempt >= 50 {
					op.err = fmt.Errorf("allocate reference: %w", e)
					continue
				}
				again = append(again, op)
			}
		}
		pending = again
	}
	return written
}

// dropIntents deletes the intents of writes that were not made. Should that fail,
// Recover drops them later: their case does not carry their version.
func (s *Store) dropIntents(ctx context.Context, ops []*writeOp) {
	ids := make([]string, len(ops))
	for i, op := range ops {
		ids[i] = op.doc.ID
	}
	_ = s.deleteIntents(ctx, ids)
}

func (s *Store) deleteIntents(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	models := make([]mongo.WriteModel, len(ids))
	for i, id := range ids {
		models[i] = mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: id}})
	}
	return bulkWrite(ctx, s.intents, models, false)
}

// settle writes what the written cases owe: derived documents, access-log entries,
// then deletes their intents.
func (s *Store) settle(ctx context.Context, ops []*writeOp) error {
	owed := make([]owing, len(ops))
	for i, op := range ops {
		owed[i] = owing{doc: op.doc, leave: leaveOf(op), entry: op.entry}
	}
	return s.complete(ctx, owed)
}

// owing is one stored case write and what it still owes.
type owing struct {
	doc   *caseDoc
	leave leaving
	entry audit.Entry
}

// complete writes the derived documents and access-log entries of stored case
// writes, then deletes their intents. Every step is idempotent but the log append,
// which happens once unless a crash falls between it and the intents' deletion.
func (s *Store) complete(ctx context.Context, owed []owing) error {
	// The derived documents and the log are independent: written side by side.
	derived := make(chan error, 1)
	go func() {
		if s.derived {
			derived <- s.writeDerived(ctx, owed)
		} else {
			derived <- nil
		}
	}()
	var logErr error
	if s.accessLog != nil {
		var entries []audit.Entry
		for _, o := range owed {
			if o.entry.Action != "" {
				o.entry.Detail = detailFor(o.entry, o.doc)
				entries = append(entries, o.entry)
			}
		}
		if len(entries) > 0 {
			if _, err := s.accessLog.AppendMany(ctx, entries); err != nil {
				logErr = fmt.Errorf("access log: %w", err)
			}
		}
	}
	if err := errors.Join(<-derived, logErr); err != nil {
		return err
	}
	ids := make([]string, len(owed))
	for i, o := range owed {
		ids[i] = o.doc.ID
	}
	return s.deleteIntents(ctx, ids)
}

// detailFor fills in the reference of a new case, known only once it is numbered;
// other writes name their detail (a reference or a grantee) themselves.
func detailFor(e audit.Entry, d *caseDoc) string {
	if e.Detail == "" {
		return d.Ref
	}
	return e.Detail
}

func (s *Store) logf(format string, args ...any) {
	if s.onError != nil {
		s.onError(fmt.Sprintf(format, args...))
	}
}

// SetErrorLog gives the store a place to report what it repairs or defers on its
// own (never case content).
func (s *Store) SetErrorLog(f func(msg string)) { s.onError = f }
