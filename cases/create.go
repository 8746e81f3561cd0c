package cases

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/audit"
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
	// Keep marks the record of an imported row, kept for good so that no later
	// import of the same row makes it again (nor brings back a case erased since).
	Keep bool `bson:"keep,omitempty"`
}

// Create validates in, and records it as a new case in the actor's organization. With
// a non-empty idemKey, a repeat of the same request returns the case the first one
// created (replayed is true) and a reuse with another request returns
// ErrIdempotencyMismatch. Invalid input returns *validation.Error naming every field.
// The case, its lists, facts and access-log entry are written together by the group
// committer: once Create returns the case, all of them are stored or owed.
func (s *Store) Create(ctx context.Context, a Actor, in Input, idemKey string) (_ *Case, replayed bool, err error) {
	defer wrap(&err, "cases.Store.Create")
	var claim claimFunc
	if idemKey != "" {
		claim = func(orgKey []byte, c *Case) (string, *idemDoc, error) {
			doc, err := idempotencyDoc(a, idemKey, orgKey, in, c)
			return "idem|" + a.Org + "|" + a.UserID + "|" + idemKey, doc, err
		}
	}
	return s.create(ctx, a, in, nil, claim)
}

// claimFunc returns the record that claims a new case c's key in its batch, and the
// name of the lock under which requests with the same key wait for each other.
type claimFunc func(orgKey []byte, c *Case) (lock string, doc *idemDoc, err error)

// create records in as a new case; with claim, at most once for the key it claims.
func (s *Store) create(ctx context.Context, a Actor, in Input, src *Imported, claim claimFunc) (*Case, bool, error) {
	now := s.now()
	c, uic, err := s.newCase(a, in, now)
	if err != nil {
		return nil, false, err
	}
	c.Imported = src
	orgKey, err := s.orgKeys.Pseudonym(ctx, a.Org)
	if err != nil {
		return nil, false, err
	}
	if uic != "" {
		c.Subject = Pseudonym(orgKey, uic)
	} else if c.Subject, err = RandomPseudonym(); err != nil {
		return nil, false, err
	}
	action := "case.create"
	if src != nil {
		action = "case.import"
	}
	op := &writeOp{kind: opCreate, entry: a.entry(action, c.ID, "")}
	if claim != nil {
		lock, doc, err := claim(orgKey, c)
		if err != nil {
			return nil, false, err
		}
		// A request repeating the key (a form sent twice) waits for the first, so it
		// finds that case instead of finishing it again under its id.
		defer s.lock(lock)()
		op.idem = doc
	}
	for {
		// The reference is given in the batch, after everything that can fail on bad
		// input, so a rejected request never leaves a gap in the numbering.
		if op.doc, err = s.sealNew(c); err != nil {
			return nil, false, err
		}
		err = s.commit(ctx, op)
		switch {
		case err == nil && op.existed:
			found, _, err := open(op.doc, s.ring) // stored by an earlier attempt under this id
			return found, true, err
		case err == nil:
			c.Ref = op.doc.Ref
			return c, false, nil
		case errors.Is(err, errInFlight) && op.idem != nil:
			// Another server is finishing this key's first attempt: answer with it.
			return s.awaitCase(ctx, c.ID)
		case !errors.Is(err, errKeyUsed):
			return nil, false, err
		}
		// The key was used before: answer with its case, or finish it.
		prior, err := s.priorAttempt(ctx, op.idem, c)
		if err != nil || prior != nil {
			return prior, prior != nil, err
		}
		op.idem, op.entry.Object = nil, c.ID
	}
}

// sealNew seals a new case under a fresh data key.
func (s *Store) sealNew(c *Case) (*caseDoc, error) {
	dataKey, err := keyring.NewDataKey()
	if err != nil {
		return nil, err
	}
	wrapped, err := s.ring.Wrap(dataKey, caseKeyAAD(c.ID))
	if err != nil {
		return nil, err
	}
	return seal(c, dataKey, wrapped)
}

// awaitCase waits for another server's write of case id to finish, and returns it.
func (s *Store) awaitCase(ctx context.Context, id string) (*Case, bool, error) {
	for {
		d, err := s.load(ctx, id)
		if err == nil {
			c, _, err := open(d, s.ring)
			return c, true, err
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
		n, err := s.intents.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
		if err != nil {
			return nil, false, err
		}
		if n == 0 {
			if d, err := s.load(ctx, id); err == nil {
				c, _, err := open(d, s.ring)
				return c, true, err
			}
			return nil, false, errors.New("the first attempt with this Idempotency-Key failed: send the request again")
		}
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// entry is the access-log entry of a case write by a.
func (a Actor) entry(action, object, detail string) audit.Entry {
	return audit.Entry{Org: a.Org, Actor: a.UserID, ActorName: a.Username, Action: action,
		Object: object, Outcome: "ok", Client: a.Client, Detail: detail}
}

// CheckInput validates in as Create would, without storing anything: a form that found
// problems of its own (her code's answers) still reports every other problem of the
// same send. It returns the *validation.Error Create would, or nil.
func (s *Store) CheckInput(a Actor, in Input) error {
	_, _, err := s.newCase(a, in, s.now())
	return err
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
		e.Add("consent.record", validation.RecordConsent)
	}
	uic := ""
	if in.UIC != "" {
		var ok bool
		if uic, ok = NormalizeUIC(in.UIC); !ok {
			e.Add("uic", validation.UIC)
		}
	}
	checkRecord(s.vocab, e, c, now)
	if err := e.Err(); err != nil {
		return nil, "", err
	}
	c.Period = periodOf(c.Incident)
	return c, uic, nil
}

// idempotencyDoc is the record that key created c, claimed in c's batch.
func idempotencyDoc(a Actor, key string, orgKey []byte, in Input, c *Case) (*idemDoc, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, orgKey)
	mac.Write(body)
	sum := sha256.Sum256([]byte(a.Org + "\x00" + a.UserID + "\x00" + key))
	return &idemDoc{ID: hex.EncodeToString(sum[:]), CaseID: c.ID, BodyMAC: hex.EncodeToString(mac.Sum(nil)), CreatedAt: c.RecordedAt}, nil
}

// priorAttempt answers a request whose key was used before: with the case made then,
// or ErrIdempotencyMismatch for another request. When the earlier attempt stopped
// before its case was stored, c takes that attempt's id (prior is nil) to finish it.
func (s *Store) priorAttempt(ctx context.Context, doc *idemDoc, c *Case) (*Case, error) {
	var prior idemDoc
	if err := s.idem.FindOne(ctx, bson.D{{Key: "_id", Value: doc.ID}}).Decode(&prior); err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(prior.BodyMAC), []byte(doc.BodyMAC)) {
		return nil, ErrIdempotencyMismatch
	}
	d, err := s.load(ctx, prior.CaseID)
	if errors.Is(err, ErrNotFound) {
		if n, err := s.intents.CountDocuments(ctx, bson.D{{Key: "_id", Value: prior.CaseID}}); err != nil || n > 0 {
			if err != nil {
				return nil, err
			}
			found, _, err := s.awaitCase(ctx, prior.CaseID)
			return found, err
		}
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

// IdempotencyWindow is how long an Idempotency-Key is remembered: far longer than any
// retry of a form sent from a phone with a poor signal.
const IdempotencyWindow = 7 * 24 * time.Hour

// ForgetIdempotencyKeys deletes the records of keys used before the window, and
// returns how many. A background job calls it (the embedded store has no TTL index).
func (s *Store) ForgetIdempotencyKeys(ctx context.Context) (_ int, err error) {
	defer wrap(&err, "cases.Store.ForgetIdempotencyKeys")
	res, err := s.idem.DeleteMany(ctx, bson.D{
		{Key: "created_at", Value: bson.D{{Key: "$lt", Value: s.now().Add(-IdempotencyWindow)}}},
		{Key: "keep", Value: bson.D{{Key: "$ne", Value: true}}},
	})
	if err != nil {
		return 0, err
	}
	return int(res.DeletedCount), nil
}
