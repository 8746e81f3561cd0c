package cases

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// RewrapKeys wraps every case's data key under the ring's active key-encryption key
// (after a rotation), leaving the sealed fields as they are, and returns how many it
// rewrapped. Run it with the servers stopped; a case already under the active key is
// skipped, so it can be run again after an interruption.
func (s *Store) RewrapKeys(ctx context.Context) (n int, err error) {
	defer wrap(&err, "cases.Store.RewrapKeys")
	active := s.ring.ActiveID()
	var stale []string
	err = s.eachCase(ctx, func(d *caseDoc) error {
		if d.Key != nil && d.Key.KEK != active {
			stale = append(stale, d.ID)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, id := range stale {
		unlock := s.lock(id)
		d, err := s.load(ctx, id)
		if err == nil && d.Key != nil && d.Key.KEK != active {
			var key []byte
			if key, err = s.ring.Unwrap(*d.Key, caseKeyAAD(id)); err == nil {
				w, werr := s.ring.Wrap(key, caseKeyAAD(id))
				if err = werr; err == nil {
					_, err = s.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
						bson.D{{Key: "$set", Value: bson.D{{Key: "key", Value: w}}}})
					n++
				}
			}
		}
		unlock()
		if err != nil && err != ErrNotFound {
			return n, err
		}
	}
	return n, nil
}

// KeysUnder counts the cases whose data key is wrapped under the key-encryption key
// kek: an epoch can be retired only when none is.
func (s *Store) KeysUnder(ctx context.Context, kek string) (n int, err error) {
	defer wrap(&err, "cases.Store.KeysUnder(%s)", kek)
	err = s.eachCase(ctx, func(d *caseDoc) error {
		if d.Key != nil && d.Key.KEK == kek {
			n++
		}
		return nil
	})
	return n, err
}

// OpenAll opens every live case as a read would (unwraps its data key with the ring,
// then authenticates and decrypts its narrative, contact and notes), so that a restore
// or `registro check` proves every case readable with the key file at hand. It returns
// how many it opened and an error naming the first case that does not open.
func (s *Store) OpenAll(ctx context.Context) (n int, err error) {
	defer wrap(&err, "cases.Store.OpenAll")
	cur, err := s.cases.Find(ctx, bson.D{}, options.Find().SetBatchSize(500))
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d caseDoc
		if err := cur.Decode(&d); err != nil {
			return n, err
		}
		if d.Erased != nil {
			continue
		}
		if _, _, err := open(&d, s.ring); err != nil {
			return n, fmt.Errorf("case %s (%s) does not open: %w", d.ID, d.Ref, err)
		}
		n++
	}
	return n, cur.Err()
}
