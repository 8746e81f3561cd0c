package keyring

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// OrgKeys gives each organization its pseudonym key: random, created on first use,
// stored wrapped by the KEK in the org_keys collection, and never rotated (a new key
// would give the same survivor a new pseudonym).
type OrgKeys struct {
	coll  *mongo.Collection
	ring  *Ring
	mu    sync.Mutex
	cache map[string][]byte
}

type orgKeyDoc struct {
	Org       string  `bson:"_id"`
	Pseudonym Wrapped `bson:"pseudonym"`
}

// NewOrgKeys returns the pseudonym keys stored in db, wrapped by ring.
func NewOrgKeys(db *mongo.Database, ring *Ring) *OrgKeys {
	return &OrgKeys{coll: db.Collection("org_keys"), ring: ring, cache: make(map[string][]byte)}
}

// Pseudonym returns org's pseudonym key, creating it when the organization has none.
// Two processes creating it at once agree on one key: the insert that loses re-reads.
func (k *OrgKeys) Pseudonym(ctx context.Context, org string) (_ []byte, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("keyring.OrgKeys.Pseudonym(%s): %w", org, err)
		}
	}()
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.cache[org]; ok {
		return key, nil
	}
	aad := []byte("pseudonym:" + org)
	var doc orgKeyDoc
	err = k.coll.FindOne(ctx, bson.D{{Key: "_id", Value: org}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		if err := k.create(ctx, org, aad); err != nil {
			return nil, err
		}
		err = k.coll.FindOne(ctx, bson.D{{Key: "_id", Value: org}}).Decode(&doc)
	}
	if err != nil {
		return nil, err
	}
	key, err := k.ring.Unwrap(doc.Pseudonym, aad)
	if err != nil {
		return nil, err
	}
	k.cache[org] = key
	return key, nil
}

func (k *OrgKeys) create(ctx context.Context, org string, aad []byte) error {
	fresh, err := NewDataKey()
	if err != nil {
		return err
	}
	w, err := k.ring.Wrap(fresh, aad)
	if err != nil {
		return err
	}
	_, err = k.coll.InsertOne(ctx, orgKeyDoc{Org: org, Pseudonym: w})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return err
	}
	return nil
}

// Rewrap wraps every organization's pseudonym key under the ring's active key, and
// returns how many it rewrapped. Run after RotateFile, with the servers stopped.
func (k *OrgKeys) Rewrap(ctx context.Context) (n int, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("keyring.OrgKeys.Rewrap: %w", err)
		}
	}()
	cur, err := k.coll.Find(ctx, bson.D{})
	if err != nil {
		return 0, err
	}
	var docs []orgKeyDoc
	if err := cur.All(ctx, &docs); err != nil {
		return 0, err
	}
	for _, d := range docs {
		if d.Pseudonym.KEK == k.ring.ActiveID() {
			continue
		}
		aad := []byte("pseudonym:" + d.Org)
		key, err := k.ring.Unwrap(d.Pseudonym, aad)
		if err != nil {
			return n, err
		}
		w, err := k.ring.Wrap(key, aad)
		if err != nil {
			return n, err
		}
		if _, err := k.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.Org}}, bson.D{{Key: "$set", Value: bson.D{{Key: "pseudonym", Value: w}}}}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ErrWrongKeys reports that the key-encryption keys given do not open the data stored.
var ErrWrongKeys = errors.New("the key-encryption keys do not open the data stored")

// Check unwraps every organization's key with the ring, so that a server or command
// given the wrong key file (another installation's, or an older copy) stops before it
// serves or writes anything. It returns ErrWrongKeys naming the organization and key.
func (k *OrgKeys) Check(ctx context.Context) error {
	cur, err := k.coll.Find(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("keyring.OrgKeys.Check: %w", err)
	}
	var docs []orgKeyDoc
	if err := cur.All(ctx, &docs); err != nil {
		return fmt.Errorf("keyring.OrgKeys.Check: %w", err)
	}
	for _, d := range docs {
		if _, err := k.ring.Unwrap(d.Pseudonym, []byte("pseudonym:"+d.Org)); err != nil {
			return fmt.Errorf("%w: organization %s's keys are sealed under key %q, which the keys given (active %q) do not open: is this the key file of this data?", ErrWrongKeys, d.Org, d.Pseudonym.KEK, k.ring.ActiveID())
		}
	}
	return nil
}

// KeysUnder counts the organization keys wrapped under the key-encryption key kek.
func (k *OrgKeys) KeysUnder(ctx context.Context, kek string) (int, error) {
	cur, err := k.coll.Find(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("keyring.OrgKeys.KeysUnder: %w", err)
	}
	var docs []orgKeyDoc
	if err := cur.All(ctx, &docs); err != nil {
		return 0, fmt.Errorf("keyring.OrgKeys.KeysUnder: %w", err)
	}
	n := 0
	for _, d := range docs {
		if d.Pseudonym.KEK == kek {
			n++
		}
	}
	return n, nil
}
