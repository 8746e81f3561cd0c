package cases

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/database"
	"registro/keyring"
	"registro/vocabulary"
)

// ConsentTextVersion names the consent text the web form reads to the survivor;
// it is recorded with every consent that does not name another.
const ConsentTextVersion = "2026-1"

// Store keeps cases in MongoDB (or the embedded store). Every sensitive field is
// sealed before it leaves the process.
type Store struct {
	cases    *mongo.Collection
	lists    *mongo.Collection
	counters *mongo.Collection
	idem     *mongo.Collection
	facts    *mongo.Collection
	intents  *mongo.Collection
	vocab    *vocabulary.Vocabulary
	ring     *keyring.Ring
	orgKeys  *keyring.OrgKeys
	// derived: lists and facts are kept as chunk documents (the embedded store, which
	// one process owns and which scans for any filter but {_id}); otherwise they are
	// read by query from the cases, which MongoDB's indexes serve, and no document is
	// shared between the cases of several servers.
	derived bool
	now     func() time.Time
	locks   [64]sync.Mutex

	writer    committer
	refs      refCounters
	heads     heads
	accessLog AccessLog
	onError   func(string)
	purge     func(context.Context) error
}

// SetPurger gives the store the function that removes freed content from the store's
// files (database.DB.Purge); every erasure calls it before it is answered.
func (s *Store) SetPurger(f func(context.Context) error) { s.purge = f }

// NewStore returns the case store over db.
func NewStore(db *database.DB, v *vocabulary.Vocabulary, ring *keyring.Ring, orgKeys *keyring.OrgKeys) *Store {
	return &Store{
		cases:    db.Collection("cases"),
		lists:    db.Collection("case_lists"),
		counters: db.Collection("counters"),
		idem:     db.Collection("idempotency"),
		facts:    db.Collection("case_facts"),
		intents:  db.Collection("case_intents"),
		vocab:    v,
		ring:     ring,
		orgKeys:  orgKeys,
		derived:  db.Embedded,
		now:      func() time.Time { return time.Now().UTC() },
		refs:     refCounters{last: map[string]int64{}},
		heads:    heads{head: map[string]*chunkHead{}, years: map[string]bool{}},
	}
}

// SetClock replaces the store's clock, for tests.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Vocabulary returns the vocabulary the store validates against.
func (s *Store) Vocabulary() *vocabulary.Vocabulary { return s.vocab }

// EnsureIndexes creates the indexes MongoDB needs for the store's queries; it is
// idempotent. Lists and lookups go by _id, so these serve reports, exports and
// maintenance on MongoDB.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if err := database.EnsureCollections(ctx, s.cases.Database(), s.cases.Name(), s.lists.Name(), s.counters.Name(), s.idem.Name(), s.facts.Name(), s.intents.Name(), "org_keys"); err != nil {
		return fmt.Errorf("cases.Store.EnsureIndexes: %w", err)
	}
	// The unique reference is a guard on both stores. The other indexes serve
	// MongoDB's queries; the embedded store cannot use them (it scans for any filter
	// but _id) and would only pay for them on every write.
	models := []mongo.IndexModel{{Keys: bson.D{{Key: "org", Value: 1}, {Key: "ref", Value: 1}}, Options: options.Index().SetUnique(true).SetName("org_ref")}}
	if !s.derived {
		// Lists and facts by query: newest reference first, per list and per month.
		models = append(models,
			mongo.IndexModel{Keys: bson.D{{Key: "org", Value: 1}, {Key: "refn", Value: -1}}, Options: options.Index().SetName("org_refn")},
			mongo.IndexModel{Keys: bson.D{{Key: "org", Value: 1}, {Key: "recorded_by", Value: 1}, {Key: "refn", Value: -1}}, Options: options.Index().SetName("org_recorder_refn")},
			mongo.IndexModel{Keys: bson.D{{Key: "org", Value: 1}, {Key: "grants.user", Value: 1}, {Key: "refn", Value: -1}}, Options: options.Index().SetName("org_grantee_refn")},
			mongo.IndexModel{Keys: bson.D{{Key: "org", Value: 1}, {Key: "period.month", Value: 1}}, Options: options.Index().SetName("org_month")},
			mongo.IndexModel{Keys: bson.D{{Key: "org", Value: 1}, {Key: "subject", Value: 1}}, Options: options.Index().SetName("org_subject")},
			mongo.IndexModel{Keys: bson.D{{Key: "org", Value: 1}, {Key: "period.quarter", Value: 1}}, Options: options.Index().SetName("org_quarter")},
		)
	}
	err := database.CreateIndexes(ctx, s.cases, models...)
	if err != nil {
		return fmt.Errorf("cases.Store.EnsureIndexes: %w", err)
	}
	return nil
}

// lock serializes read-modify-write cycles on one case within this process.
func (s *Store) lock(id string) func() {
	var h uint32
	for i := 0; i < len(id); i++ {
		h = h*31 + uint32(id[i])
	}
	m := &s.locks[h%uint32(len(s.locks))]
	m.Lock()
	return m.Unlock
}

// load reads the stored document of a case, erased or not.
func (s *Store) load(ctx context.Context, id string) (*caseDoc, error) {
	var d caseDoc
	err := s.cases.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if err == mongo.ErrNoDocuments {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// Case returns the case with id, decrypted, when allow accepts it. A case that does
// not exist, was erased, or that allow refuses gives ErrNotFound, so existence does
// not leak.
func (s *Store) Case(ctx context.Context, id string, allow func(*Case) bool) (_ *Case, err error) {
	defer wrap(&err, "cases.Store.Case(%s)", id)
	d, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	c, _, err := open(d, s.ring)
	if err != nil {
		return nil, err
	}
	if !allow(c) {
		return nil, ErrNotFound
	}
	return c, nil
}

func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf(format+": %w", append(args, *err)...)
	}
}

// maxStatements bounds the update, replace and delete statements of one command. The
// embedded store keeps each statement's query open until the whole command ends, one
// SQLite connection each out of a pool of 100: a bulk write of a hundred updates
// waits forever for a connection (measured with FerretDB 1.24.2).
const maxStatements = 50

// bulkWrite runs models in commands of at most maxStatements, and reports refused
// statements as one mongo.BulkWriteException indexed into models.
func bulkWrite(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel, ordered bool) error {
	_, err := bulkWriteCount(ctx, coll, models, ordered)
	return err
}

// bulkWriteCount is bulkWrite, also returning how many documents the statements
// matched.
func bulkWriteCount(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel, ordered bool) (matched int64, err error) {
	var all mongo.BulkWriteException
	for off := 0; off < len(models); off += maxStatements {
		part := models[off:min(off+maxStatements, len(models))]
		res, err := coll.BulkWrite(ctx, part, options.BulkWrite().SetOrdered(ordered))
		if res != nil {
			matched += res.MatchedCount
		}
		if err == nil {
			continue
		}
		var bwe mongo.BulkWriteException
		if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
			return matched, err
		}
		for _, we := range bwe.WriteErrors {
			we.Index += off
			all.WriteErrors = append(all.WriteErrors, we)
		}
		if ordered {
			break
		}
	}
	if len(all.WriteErrors) > 0 {
		return matched, all
	}
	return matched, nil
}
