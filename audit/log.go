package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/database"
)

// ErrContention reports that an append lost the race for the next seq too many times
// in a row to other writers of the same organization's chain.
var ErrContention = errors.New("audit: too many concurrent appends")

// Log is the access log of every organization in one database. It is safe for
// concurrent use, and several Logs (one per server replica) may share a database: the
// database's unique _id decides who gets each seq.
//
// Appends are group-committed: they queue, and one committer goroutine at a time
// writes everything queued with one ordered InsertMany (see commit.go), so concurrent
// requests share a round trip and a disk sync instead of taking turns per
// organization.
type Log struct {
	entries *mongo.Collection // audit: one document per entry, _id "<org>:<seq>"
	heads   *mongo.Collection // audit_heads: {_id: org, seq, hash} of a recent last entry
	key     []byte            // the access log's key: every hash is an HMAC under it
	now     func() time.Time

	// insertMany is the round trip that commits a batch: insertEntries, which tests
	// wrap to hold a batch back or to inject a failure.
	insertMany func(ctx context.Context, docs []any) error
	inserts    atomic.Int64 // InsertMany round trips so far, for tests and benchmarks
	refused    atomic.Int64 // of which stopped on a seq another writer took

	// rekeyWrite is every write Rekey makes, one ordered bulk write at a time: tests
	// wrap it to stop a Rekey halfway, as a crash would.
	rekeyWrite func(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel) error

	mu      sync.Mutex
	queue   []*request        // appends waiting for the next batch, in arrival order
	running bool              // a committer goroutine is draining queue
	stale   []string          // organizations whose chains Rekey rewrote: the committer forgets them
	orgs    map[string]*chain // used by the committer only, which is one at a time
}

// chain is what this process knows of one organization's chain. Only the committer
// reads or writes it, so it needs no lock of its own: the committers of successive
// batches are ordered by Log.mu, through which each one learns it is the only one.
type chain struct {
	known   bool      // seq and hash below were read or written by this process
	seq     int64     // a seq that exists (0: none), possibly no longer the last
	hash    string    // the hash of entry seq
	headSeq int64     // the seq the head document was last seen at or set to by this process
	headAt  time.Time // when this process last set the head (zero: never)
}

// head is the audit_heads document. It is a hint that may lag behind the chain (after a
// crash between an entry's insert and the head's update, two replicas updating it at
// once, or by up to headLag entries while appends keep coming), never run ahead of it;
// its seq and hash always belong together.
type head struct {
	Org   string  `bson:"_id"`
	Seq   int64   `bson:"seq"`
	Hash  string  `bson:"hash"`
	Rekey *marker `bson:"rekey,omitempty"` // set while Rekey rewrites the chain (see rekey.go)
}

// stored is an entry as a document.
type stored struct {
	ID    string `bson:"_id"`
	Entry `bson:",inline"`
}

// NewLog returns the access log kept in db, chained under key (the key file's access
// log key, KeySize bytes); now (time.Now when nil) stamps entries. A key of another
// length is a mistake in the caller's wiring, not a condition to handle: NewLog panics.
func NewLog(db *mongo.Database, key []byte, now func() time.Time) *Log {
	if len(key) != KeySize {
		panic(fmt.Sprintf("audit.NewLog: the access log's key has %d bytes, want %d (the key file's \"audit:\" line)", len(key), KeySize))
	}
	if now == nil {
		now = time.Now
	}
	l := &Log{
		entries: db.Collection("audit"),
		heads:   db.Collection("audit_heads"),
		key:     bytes.Clone(key),
		now:     now,
		orgs:    make(map[string]*chain),
	}
	l.insertMany = l.insertEntries
	l.rekeyWrite = bulkWrite
	return l
}

// EnsureIndexes creates the indexes that listing and verifying use on MongoDB (the
// embedded store scans regardless); it is idempotent and returns the database's error.
func (l *Log) EnsureIndexes(ctx context.Context) (err error) {
	defer wrap(&err, "audit.Log.EnsureIndexes")
	if err := database.EnsureCollections(ctx, l.entries.Database(), l.entries.Name(), l.heads.Name()); err != nil {
		return err
	}
	return database.CreateIndexes(ctx, l.entries,
		mongo.IndexModel{Keys: bson.D{{Key: "org", Value: 1}, {Key: "seq", Value: 1}},
			Options: options.Index().SetName("org_seq").SetUnique(true)},
		mongo.IndexModel{Keys: bson.D{{Key: "org", Value: 1}, {Key: "time", Value: -1}},
			Options: options.Index().SetName("org_time")},
		mongo.IndexModel{Keys: bson.D{{Key: "org", Value: 1}, {Key: "actor", Value: 1}, {Key: "seq", Value: -1}},
			Options: options.Index().SetName("org_actor_seq")},
	)
}

// Orgs returns the organizations that have a chain, sorted, for verifying them all;
// it returns the database's error.
func (l *Log) Orgs(ctx context.Context) (orgs []string, err error) {
	defer wrap(&err, "audit.Log.Orgs")
	// audit_heads holds one small document per organization, so a scan is cheap.
	cur, err := l.heads.Find(ctx, bson.D{},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	orgs = []string{}
	for cur.Next(ctx) {
		var h head
		if err := cur.Decode(&h); err != nil {
			return nil, err
		}
		orgs = append(orgs, h.Org)
	}
	return orgs, cur.Err()
}

// chainOf returns this process's state of org's chain, creating it on first use. Only
// the committer calls it.
func (l *Log) chainOf(org string) *chain {
	c, ok := l.orgs[org]
	if !ok {
		c = &chain{}
		l.orgs[org] = c
	}
	return c
}

// wrap labels *errp with the method that failed, once per method.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
