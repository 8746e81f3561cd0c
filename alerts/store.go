package alerts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/database"
	"registro/vocabulary"
)

// Store keeps the alerts.
//
// "alerts" holds one document per alert, its current state. A change never updates it
// in place on its own authority: the change is first decided by inserting the next
// version into "alert_versions" with _id "<alert>|<version>", which the store accepts
// only once (a unique _id is decided atomically by every MongoDB-protocol store, where
// updates may not be: the embedded store applies them as read-then-write). The winner
// then writes the alert document and empties its version document, which stays as
// the mark that the version was taken. A version document still holding its alert
// after Settle (a writer that stopped between the two steps) is completed by whoever
// reads the alert next; until then the change was never acknowledged.
//
// "alert_settings" holds, per organization, whether it receives the alerts other
// organizations share.
type Store struct {
	alerts   *mongo.Collection
	versions *mongo.Collection
	settings *mongo.Collection
	vocab    *vocabulary.Vocabulary
	now      func() time.Time
	// Validity is how long an approved or renewed alert shows (90 days by default).
	Validity time.Duration
	// Settle is how long a decided change may wait for its writer before another
	// reader completes it (a writer that takes longer is taken for stopped).
	Settle time.Duration
	purge  func(context.Context) error
}

// SetPurger gives the store the function that removes freed content from the store's
// files (database.DB.Purge). A change that takes text out of an alert calls it before
// it is answered: a coordinator who edits out a survivor's name or number that slipped
// into a proposal wants it gone from the data directory, not only from the pages.
func (s *Store) SetPurger(f func(context.Context) error) { s.purge = f }

// DefaultValidity is how long an approved alert shows unless the installation says.
const DefaultValidity = 90 * 24 * time.Hour

// NewStore returns the alerts kept in db, checked against vocab; now (time.Now when
// nil) is the clock.
func NewStore(db *mongo.Database, vocab *vocabulary.Vocabulary, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{alerts: db.Collection("alerts"), versions: db.Collection("alert_versions"),
		settings: db.Collection("alert_settings"), vocab: vocab, now: now,
		Validity: DefaultValidity, Settle: 30 * time.Second}
}

// EnsureIndexes creates the collections (so that the embedded store's index on _id
// covers them from the start) and the indexes the lists use on MongoDB.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if err := database.EnsureCollections(ctx, s.alerts.Database(), s.alerts.Name(), s.versions.Name(), s.settings.Name()); err != nil {
		return err
	}
	return database.CreateIndexes(ctx, s.alerts, mongo.IndexModel{Keys: bson.D{{Key: "org", Value: 1}, {Key: "state", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "shared", Value: 1}, {Key: "state", Value: 1}}})
}

// Vocabulary is the vocabulary alerts are checked against.
func (s *Store) Vocabulary() *vocabulary.Vocabulary { return s.vocab }

// version is a decided change: the alert as it becomes, until it is written.
type version struct {
	ID      string    `bson:"_id"`
	At      time.Time `bson:"at"`
	Alert   *Alert    `bson:"alert,omitempty"`
	Written bool      `bson:"written"`
}

func versionID(id string, v int64) string { return fmt.Sprintf("%s|%d", id, v) }

func (s *Store) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Propose stores a new alert of org proposed by user. in must have been validated.
func (s *Store) Propose(ctx context.Context, org, user string, in Input) (*Alert, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	a := &Alert{ID: id.String(), Org: org, Version: 1, State: Proposed, ProposedBy: user, Proposed: now, Updated: now}
	in.apply(a)
	if _, err := s.alerts.InsertOne(context.WithoutCancel(ctx), a); err != nil {
		return nil, fmt.Errorf("alerts.Store.Propose: %w", err)
	}
	return a, nil
}

// Get returns the alert id, completing a change its writer left half done.
func (s *Store) Get(ctx context.Context, id string) (*Alert, error) {
	var a Alert
	err := s.alerts.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("alerts.Store.Get: %w", err)
	}
	return s.settle(ctx, &a)
}

// settle completes the decided versions after a that their writers have not written
// for longer than Settle.
func (s *Store) settle(ctx context.Context, a *Alert) (*Alert, error) {
	for {
		var v version
		err := s.versions.FindOne(ctx, bson.D{{Key: "_id", Value: versionID(a.ID, a.Version+1)}}).Decode(&v)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return a, nil
		}
		if err != nil {
			return nil, fmt.Errorf("alerts: read version: %w", err)
		}
		if v.Alert == nil || s.now().Sub(v.At) < s.Settle {
			// Written already (the alert read was older), or its writer is at work.
			return a, nil
		}
		if err := s.write(context.WithoutCancel(ctx), a, &v); err != nil {
			return nil, err
		}
		a = v.Alert
	}
}

// write puts the decided version v in place of cur, the alert it follows, and empties
// v. Writing the same version twice writes the same document. When v takes text out of
// the alert, write purges the store's log before it returns, whether the change's own
// writer writes it or a reader completes it for a writer that stopped.
func (s *Store) write(ctx context.Context, cur *Alert, v *version) error {
	_, err := s.alerts.ReplaceOne(ctx, bson.D{{Key: "_id", Value: v.Alert.ID}, {Key: "version", Value: cur.Version}}, v.Alert)
	if err != nil {
		return fmt.Errorf("alerts: write version: %w", err)
	}
	_, err = s.versions.UpdateOne(ctx, bson.D{{Key: "_id", Value: v.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "written", Value: true}}}, {Key: "$unset", Value: bson.D{{Key: "alert", Value: ""}}}})
	if err != nil {
		return fmt.Errorf("alerts: empty version: %w", err)
	}
	if s.purge != nil && textRemoved(cur, v.Alert) {
		if err := s.purge(ctx); err != nil {
			return fmt.Errorf("the alert is changed, but its earlier text is still in the store's log: %w", err)
		}
	}
	return nil
}

// Change applies change to the alert id as it is now (expected: the version the
// caller read, 0 for any) and stores the result as its next version. allow decides
// whether the caller may touch the alert at all (false: ErrNotFound). change returns
// ErrState when it does not apply.
func (s *Store) Change(ctx context.Context, id string, expected int64, allow func(*Alert) bool, change func(a *Alert, now time.Time) error) (*Alert, error) {
	cur, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if allow != nil && !allow(cur) {
		return nil, ErrNotFound
	}
	if expected != 0 && expected != cur.Version {
		return nil, ErrConflict
	}
	next := *cur
	next.Hours, next.Internal = slices.Clone(cur.Hours), slices.Clone(cur.Internal)
	now := s.stamp()
	if err := change(&next, now); err != nil {
		return nil, err
	}
	next.Version, next.Updated = cur.Version+1, now
	v := &version{ID: versionID(id, next.Version), At: now, Alert: &next}
	// From here the change is decided or refused; the client walking away changes nothing.
	ctx = context.WithoutCancel(ctx)
	if _, err := s.versions.InsertOne(ctx, v); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return nil, ErrConflict
		}
		return nil, fmt.Errorf("alerts: decide version: %w", err)
	}
	if err := s.write(ctx, cur, v); err != nil {
		return nil, err
	}
	return &next, nil
}

// textRemoved reports whether next no longer holds some free text cur held.
func textRemoved(cur, next *Alert) bool {
	return cur.Description != next.Description || cur.Behaviour != next.Behaviour || cur.Advice != next.Advice
}

// Approve starts the alert's validity.
func Approve(a *Alert, now time.Time, validity time.Duration) error {
	if a.State != Proposed {
		return ErrState
	}
	a.State, a.Published, a.ExpiresAt = Approved, now, now.Add(validity)
	return nil
}

// Renew starts the validity of an approved alert again, expired or not.
func Renew(a *Alert, now time.Time, validity time.Duration) error {
	if a.State != Approved {
		return ErrState
	}
	a.ExpiresAt = now.Add(validity)
	return nil
}

// Reject turns a proposal down, with the reason its proposer will read.
func Reject(reason string) func(*Alert, time.Time) error {
	return func(a *Alert, _ time.Time) error {
		if a.State != Proposed {
			return ErrState
		}
		a.State, a.Reason = Rejected, reason
		return nil
	}
}

// Withdraw takes an approved alert down before its time.
func Withdraw(a *Alert, _ time.Time) error {
	if a.State != Approved {
		return ErrState
	}
	a.State = Withdrawn
	return nil
}

// Edit replaces the content of a proposal or an approved alert with in (validated).
func Edit(in Input) func(*Alert, time.Time) error {
	return func(a *Alert, _ time.Time) error {
		if a.State != Proposed && a.State != Approved {
			return ErrState
		}
		in.apply(a)
		return nil
	}
}

// Share shares the alert with the organizations that receive alerts, or stops.
func Share(on bool) func(*Alert, time.Time) error {
	return func(a *Alert, _ time.Time) error {
		if a.State != Proposed && a.State != Approved {
			return ErrState
		}
		a.Shared = on
		return nil
	}
}

// Query selects the alerts of a list.
type Query struct {
	Org      string // the reader's organization
	District string // only this district, if set
	// Which list: "current" (approved and valid: her organization's, and the shared
	// ones of others when Receive), "proposals" (waiting for a coordinator), "mine"
	// (what User proposed, in any state), "ended" (expired, withdrawn, rejected).
	List    string
	User    string
	Receive bool
}

// List returns the alerts q selects, newest first. The lists are short (an
// organization's alerts of the last months): they are read whole by organization.
func (s *Store) List(ctx context.Context, q Query) (_ []Alert, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("alerts.Store.List: %w", err)
		}
	}()
	filter := bson.D{{Key: "org", Value: q.Org}}
	switch q.List {
	case "current":
		if q.Receive {
			filter = bson.D{{Key: "$or", Value: bson.A{bson.D{{Key: "org", Value: q.Org}}, bson.D{{Key: "shared", Value: true}}}}}
		}
		filter = append(filter, bson.E{Key: "state", Value: Approved})
	case "proposals":
		filter = append(filter, bson.E{Key: "state", Value: Proposed})
	case "mine":
		filter = append(filter, bson.E{Key: "proposed_by", Value: q.User})
	case "ended":
		filter = append(filter, bson.E{Key: "state", Value: bson.D{{Key: "$ne", Value: Proposed}}})
	default:
		return nil, fmt.Errorf("unknown list %q", q.List)
	}
	if q.District != "" {
		filter = append(filter, bson.E{Key: "district", Value: q.District})
	}
	cur, err := s.alerts.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "proposed", Value: -1}}))
	if err != nil {
		return nil, err
	}
	var all []Alert
	if err := cur.All(ctx, &all); err != nil {
		return nil, err
	}
	now := s.now()
	out := all[:0]
	for i := range all {
		a, err := s.settle(ctx, &all[i])
		if err != nil {
			return nil, err
		}
		if a.Org != q.Org && (!a.Shared || !q.Receive) {
			continue // shared no longer, after the change settled
		}
		if q.District != "" && a.District != q.District {
			continue
		}
		keep := true
		switch q.List {
		case "current":
			keep = a.Current(now)
		case "proposals":
			keep = a.State == Proposed
		case "ended":
			keep = a.StateAt(now) == Expired || a.State == Withdrawn || a.State == Rejected
		}
		if keep {
			out = append(out, *a)
		}
	}
	if q.List == "current" {
		// Newest published first.
		slices.SortStableFunc(out, func(x, y Alert) int { return y.Published.Compare(x.Published) })
	}
	return out, nil
}

// settings is one organization's choice about other organizations' alerts.
type settings struct {
	Org     string    `bson:"_id"`
	Receive bool      `bson:"receive"`
	By      string    `bson:"by"`
	At      time.Time `bson:"at"`
}

// Receives reports whether org shows the alerts other organizations share.
func (s *Store) Receives(ctx context.Context, org string) (bool, error) {
	var st settings
	err := s.settings.FindOne(ctx, bson.D{{Key: "_id", Value: org}}).Decode(&st)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("alerts.Store.Receives: %w", err)
	}
	return st.Receive, nil
}

// SetReceive records whether org shows the alerts other organizations share. The last
// choice stands: it is one organization's setting, made by its coordinators.
func (s *Store) SetReceive(ctx context.Context, org, by string, on bool) error {
	_, err := s.settings.ReplaceOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: org}},
		settings{Org: org, Receive: on, By: by, At: s.stamp()}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("alerts.Store.SetReceive: %w", err)
	}
	return nil
}
