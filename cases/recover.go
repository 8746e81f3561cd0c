package cases

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// IntentAge is how old an intent must be before Recover takes it over: older than any
// batch still running on a live server (batchTimeout), so only the leftovers of a
// crash, a lost store or a full disk qualify.
const IntentAge = 2 * batchTimeout

// Recover completes the case writes a crash (or a store failure) left unfinished, and
// returns how many intents it settled. An intent whose case carries its version was
// a write that was made: its lists, facts and access-log entry are written. An intent
// whose case does not was a write that never happened: it is dropped. With all true
// it takes every intent (at start-up of the single-process embedded store); otherwise
// only those older than IntentAge, which no running server still owns.
func (s *Store) Recover(ctx context.Context, all bool) (n int, err error) {
	defer wrap(&err, "cases.Store.Recover")
	filter := bson.D{}
	if !all {
		filter = bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: s.now().Add(-IntentAge)}}}}
	}
	cur, err := s.intents.Find(ctx, filter)
	if err != nil {
		return 0, err
	}
	var intents []intentDoc
	if err := cur.All(ctx, &intents); err != nil {
		return 0, err
	}
	// Through the committer, so that derived documents keep their single writer.
	for len(intents) > 0 {
		chunk := intents[:min(len(intents), maxBatch)]
		intents = intents[len(chunk):]
		op := &writeOp{kind: opRecover, recover: chunk}
		if err := s.commit(ctx, op); err != nil {
			return n, err
		}
		n += len(chunk)
	}
	return n, nil
}

// recoverIntents settles intents inside a batch.
func (s *Store) recoverIntents(ctx context.Context, intents []intentDoc) error {
	var owed []owing
	var dropped []string
	for _, in := range intents {
		d, err := s.load(ctx, in.ID)
		switch {
		case errors.Is(err, ErrNotFound):
			dropped = append(dropped, in.ID)
			continue
		case err != nil:
			return err
		case d.Version != in.Version:
			dropped = append(dropped, in.ID)
			continue
		}
		owed = append(owed, owing{doc: d, leave: in.Leave, entry: in.Entry})
	}
	if err := s.deleteIntents(ctx, dropped); err != nil {
		return err
	}
	if len(owed) == 0 {
		return nil
	}
	return s.complete(ctx, owed)
}

// layoutVersion names the way lists and facts are stored; a store written by an
// older Registro is rebuilt once, at start.
const layoutVersion = 2

// Start readies the store for a server: it brings lists and facts written by an older
// version to the current layout (once), and settles the case writes a crash left
// unfinished (all of them on the embedded store, which one process owns).
func (s *Store) Start(ctx context.Context) (err error) {
	defer wrap(&err, "cases.Store.Start")
	var marker struct {
		V int `bson:"v"`
	}
	found, err := s.readDoc(ctx, s.counters, "layout", &marker)
	if err != nil {
		return err
	}
	if !found || marker.V < layoutVersion {
		n, err := s.cases.EstimatedDocumentCount(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			if _, err := s.RebuildLists(ctx); err != nil {
				return err
			}
			if _, err := s.RebuildFacts(ctx, false); err != nil {
				return err
			}
			// Chunks of the earlier layout are gone; documents of it no longer named.
			s.logf("rebuilt the lists and facts of %d cases in the current layout", n)
		}
		_, err = s.counters.ReplaceOne(ctx, bson.D{{Key: "_id", Value: "layout"}},
			bson.D{{Key: "_id", Value: "layout"}, {Key: "v", Value: layoutVersion}}, options.Replace().SetUpsert(true))
		if err != nil {
			return err
		}
	}
	_, err = s.Recover(ctx, s.derived)
	return err
}
