package cases

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/keyring"
	"registro/validation"
)

// idemDoc remembers which case an Idempotency-Key created, with a keyed MAC of the
// request (a plain hash of a body holding a UIC could be brute-forced).
type idemDoc struct {
	ID        string    `bson:"_id"`
	CaseID    string    `bson:"case_id"`
	BodyMAC   string    `bson:"body_mac"`
	CreatedAt time.Time `bson:"created_at"`
}

// Create validates in, and records it as a new case in the actor's organization. With
// a non-empty idemKey, a repeat of the same request returns the case the first one
// created (replayed is true) and a reuse with another request returns
// ErrIdempotencyMismatch. Invalid input returns *validation.Error naming every field.
func (s *Store) Create(ctx context.Context, a Actor, in Input, idemKey string) (_ *Case, replayed bool, err error) {
	defer wrap(&err, "cases.Store.Create")
	now := s.now()
	c, uic, err := s.newCase(a, in, now)
	if err != nil {
		return nil, false, err
	}
	orgKey, err := s.orgKeys.Pseudonym(ctx, a.Org)
	if err != nil {
		return nil, false, err
	}
	if idemKey != "" {
		// A request repeating the key (a form sent twice) waits for the first, so it
		// finds that case instead of finishing it again under its id.
		defer s.lock("idem|" + a.Org + "|" + a.UserID + "|" + idemKey)()
		prior, err := s.claimIdempotencyKey(ctx, a, idemKey, orgKey, in, c)
		if err != nil || prior != nil {
			return prior, prior != nil, err
		}
	}
	if uic != "" {
		c.Subject = Pseudonym(orgKey, uic)
	} else if c.Subject, err = RandomPseudonym(); err != nil {
		return nil, false, err
	}
	dataKey, err := keyring.NewDataKey()
	if err != nil {
		return nil, false, err
	}
	wrapped, err := s.ring.Wrap(dataKey, caseKeyAAD(c.ID))
	if err != nil {
		return nil, false, err
	}
	// The reference is taken last, after everything that can fail on bad input, so a
	// rejected request never leaves a gap in the organization's numbering.
	if c.Ref, err = s.nextRef(ctx, a.Org, c.RecordedAt.Year()); err != nil {
		return nil, false, err
	}
	d, err := seal(c, dataKey, wrapped)
	if err != nil {
		return nil, false, err
	}
	if err := s.insert(ctx, d); err != nil {
		return nil, false, err
	}
	if err := s.indexCase(ctx, d, nil); err != nil {
		return nil, false, err
	}
	if err := s.updateFacts(ctx, nil, d); err != nil {
		return nil, false, err
	}
	return c, false, nil
}

// newCase builds and validates the case described by in, returning the normalized UIC.
func (s *Store) newCase(a Actor, in Input, now time.Time) (*Case, string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, "", err
	}
	recordedAt := idTime(id.String())
	c := &Case{
		ID: id.String(), Org: a.Org, Incident: in.Incident,
		Perpetrators: in.Perpetrators, Violations: in.Violations, Survivor: in.Survivor,
		Consent: Consent{
			Record: in.Consent.Record != nil && *in.Consent.Record, Statistics: in.Consent.Statistics,
			LegalSharing: in.Consent.LegalSharing, Contact: in.Consent.Contact,
			TextVersion: in.Consent.TextVersion, RecordedAt: recordedAt, RecordedBy: a.UserID,
		},
		Narrative: in.Narrative, Contact: in.Contact, Response: in.Response,
		Followups: []Followup{}, Grants: []Grant{},
		RecordedBy: a.UserID, RecordedAt: recordedAt, UpdatedAt: recordedAt, Version: 1,
	}
	if c.Consent.TextVersion == "" {
		c.Consent.TextVersion = ConsentTextVersion
	}
	e := &validation.Error{}
	if !c.Consent.Record {
		e.Add("consent.record", "the survivor must agree to the record")
	}
	uic := ""
	if in.UIC != "" {
		var ok bool
		if uic, ok = NormalizeUIC(in.UIC); !ok {
			e.Add("uic", "four letters, then day of birth and two digits of the year (e.g. MAJO1585)")
		}
	}
	checkRecord(s.vocab, e, c, now)
	if err := e.Err(); err != nil {
		return nil, "", err
	}
	c.Period = periodOf(c.Incident)
	return c, uic, nil
}

// claimIdempotencyKey records that key creates c. When the key was used before, it
// returns the case made then (or adopts its id when an earlier attempt stopped before
// the case was stored).
func (s *Store) claimIdempotencyKey(ctx context.Context, a Actor, key string, orgKey []byte, in Input, c *Case) (*Case, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, orgKey)
	mac.Write(body)
	sum := sha256.Sum256([]byte(a.Org + "\x00" + a.UserID + "\x00" + key))
	doc := idemDoc{ID: hex.EncodeToString(sum[:]), CaseID: c.ID, BodyMAC: hex.EncodeToString(mac.Sum(nil)), CreatedAt: c.RecordedAt}
	_, err = s.idem.InsertOne(ctx, doc)
	if err == nil {
		return nil, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return nil, err
	}
	var prior idemDoc
	if err := s.idem.FindOne(ctx, bson.D{{Key: "_id", Value: doc.ID}}).Decode(&prior); err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(prior.BodyMAC), []byte(doc.BodyMAC)) {
		return nil, ErrIdempotencyMismatch
	}
	d, err := s.load(ctx, prior.CaseID)
	if errors.Is(err, ErrNotFound) {
		// The first attempt stopped before storing the case: finish it under its id.
		c.ID = prior.CaseID
		c.RecordedAt, c.UpdatedAt, c.Consent.RecordedAt = idTime(c.ID), idTime(c.ID), idTime(c.ID)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	found, _, err := open(d, s.ring)
	return found, err
}

// nextRef allocates the organization's next reference for year. The counter document
// is addressed by _id and incremented atomically (on the embedded store, under the
// shared-document lock), so concurrent requests never share or skip a number.
func (s *Store) nextRef(ctx context.Context, org string, year int) (string, error) {
	defer s.lockShared()()
	var counter struct {
		Seq int64 `bson:"seq"`
	}
	err := s.counters.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: fmt.Sprintf("ref|%s|%d", org, year)}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(1)}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After),
	).Decode(&counter)
	if err != nil {
		return "", fmt.Errorf("allocate reference: %w", err)
	}
	return fmt.Sprintf("%s-%d-%05d", org, year, counter.Seq), nil
}

// insert stores a new case, retrying a transient failure so that the reference
// already allocated is not lost.
func (s *Store) insert(ctx context.Context, d *caseDoc) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		_, err = s.cases.InsertOne(ctx, d)
		if err == nil {
			return nil
		}
		if mongo.IsDuplicateKeyError(err) {
			// A retry after a lost reply finds the case the first attempt stored.
			if stored, lerr := s.load(ctx, d.ID); attempt > 0 && lerr == nil && stored.Ref == d.Ref {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
		}
	}
	return err
}

// IdempotencyWindow is how long an Idempotency-Key is remembered: far longer than any
// retry of a form sent from a phone with a poor signal.
const IdempotencyWindow = 7 * 24 * time.Hour

// ForgetIdempotencyKeys deletes the records of keys used before the window, and
// returns how many. A background job calls it (the embedded store has no TTL index).
func (s *Store) ForgetIdempotencyKeys(ctx context.Context) (_ int, err error) {
	defer wrap(&err, "cases.Store.ForgetIdempotencyKeys")
	res, err := s.idem.DeleteMany(ctx, bson.D{{Key: "created_at", Value: bson.D{{Key: "$lt", Value: s.now().Add(-IdempotencyWindow)}}}})
	if err != nil {
		return 0, err
	}
	return int(res.DeletedCount), nil
}
