// Package changes keeps the organization's record of account changes, the list a
// coordinator sees on her home page ("Cambios en las cuentas"): who created, disabled,
// re-roled or reset which account, and when. Changes made from outside the
// organization (an admin, or the server's shell) are notices: each coordinator sees
// them at her next sign-in until she has seen them.
//
// The access log holds the same facts, hash chained; this is the short list that is
// cheap to show on every home page. Entries hold usernames, roles and codes only,
// never a password, token or recovery code.
package changes

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Change is one account change.
type Change struct {
	ID      string    `bson:"_id" json:"id"`
	Org     string    `bson:"org" json:"org"`
	At      time.Time `bson:"at" json:"at"`
	By      string    `bson:"by" json:"by"`           // username of who made it, or "registro (server shell)"
	ByRole  string    `bson:"by_role" json:"by_role"` // her role, "" for the server's shell
	Account string    `bson:"account" json:"account"` // username of the account changed
	Role    string    `bson:"role" json:"role"`       // its role after the change
	What    string    `bson:"what" json:"what"`       // "created", "disabled", "enabled", "role", "password", "second_factor"; several space-separated
	Notice  bool      `bson:"notice" json:"notice"`   // made from outside the organization: shown to its coordinators until seen
}

// Shell names the server's shell as the author of a change.
const Shell = "registro (server shell)"

// Store keeps the changes in the "account_changes" collection and each coordinator's
// mark of the notices she has seen in "account_notices_seen".
type Store struct {
	changes *mongo.Collection
	seen    *mongo.Collection
	now     func() time.Time
}

// NewStore returns the changes kept in db; now (time.Now when nil) stamps them.
func NewStore(db *mongo.Database, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{changes: db.Collection("account_changes"), seen: db.Collection("account_notices_seen"), now: now}
}

// Record stores c, stamping its id and time.
func (s *Store) Record(ctx context.Context, c Change) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	c.ID, c.At = id.String(), s.now().UTC().Truncate(time.Millisecond)
	if _, err := s.changes.InsertOne(ctx, c); err != nil {
		return fmt.Errorf("changes.Store.Record: %w", err)
	}
	return nil
}

// Recent returns org's newest changes, newest first, at most limit.
func (s *Store) Recent(ctx context.Context, org string, limit int) (_ []Change, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("changes.Store.Recent(%s): %w", org, err)
		}
	}()
	// The collection is small (account changes are rare) and ids are time ordered.
	cur, err := s.changes.Find(ctx, bson.D{{Key: "org", Value: org}})
	if err != nil {
		return nil, err
	}
	var all []Change
	if err := cur.All(ctx, &all); err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b Change) int { return cmp.Compare(b.ID, a.ID) })
	return all[:min(limit, len(all))], nil
}

type seenDoc struct {
	User string    `bson:"_id"`
	At   time.Time `bson:"at"`
}

// Unseen returns the notices of org that user has not marked seen, newest first.
func (s *Store) Unseen(ctx context.Context, org, user string) ([]Change, error) {
	var mark seenDoc
	err := s.seen.FindOne(ctx, bson.D{{Key: "_id", Value: user}}).Decode(&mark)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("changes.Store.Unseen: %w", err)
	}
	recent, err := s.Recent(ctx, org, 50)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, c := range recent {
		if c.Notice && c.At.After(mark.At) {
			out = append(out, c)
		}
	}
	return out, nil
}

// MarkSeen records that user has seen every notice up to at.
func (s *Store) MarkSeen(ctx context.Context, user string, at time.Time) error {
	_, err := s.seen.ReplaceOne(ctx, bson.D{{Key: "_id", Value: user}}, seenDoc{User: user, At: at.UTC().Truncate(time.Millisecond)},
		options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("changes.Store.MarkSeen: %w", err)
	}
	return nil
}
