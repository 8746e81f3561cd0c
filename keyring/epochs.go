package keyring

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The store remembers which epoch is the newest its data uses and which epochs were
// retired (ids and dates only, never a key), so that a server started with an older
// copy of the key file stops instead of wrapping new data under an epoch about to be
// destroyed, and a copy that still holds a retired key is found.

// Epochs is the keyring document of one database: {_id: "epochs", active, retired}.
type Epochs struct {
	coll *mongo.Collection
}

// Retired is an epoch destroyed by `registro keys retire`.
type Retired struct {
	ID string    `bson:"id" json:"id"`
	At time.Time `bson:"at" json:"at"`
}

type epochsDoc struct {
	ID        string    `bson:"_id"`
	Active    string    `bson:"active"`
	ActiveAt  time.Time `bson:"active_at"`
	Retired   []Retired `bson:"retired"`
	UpdatedAt time.Time `bson:"updated_at"`
}

const epochsID = "epochs"

// ErrStaleKeyFile reports a key file that lacks the newest epoch the data uses: an
// older copy, from before a rotation.
var ErrStaleKeyFile = errors.New("the key file is older than the data")

// NewEpochs returns the epochs record kept in db.
func NewEpochs(db *mongo.Database) *Epochs {
	return &Epochs{coll: db.Collection("keyring")}
}

func (e *Epochs) read(ctx context.Context) (epochsDoc, bool, error) {
	var d epochsDoc
	err := e.coll.FindOne(ctx, bson.D{{Key: "_id", Value: epochsID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return epochsDoc{ID: epochsID}, false, nil
	}
	if err != nil {
		return epochsDoc{}, false, fmt.Errorf("keyring.Epochs: %w", err)
	}
	return d, true, nil
}

func (e *Epochs) write(ctx context.Context, d epochsDoc, now time.Time) error {
	d.UpdatedAt = now.UTC().Truncate(time.Millisecond)
	_, err := e.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: epochsID}}, d, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("keyring.Epochs: %w", err)
	}
	return nil
}

// Admit checks ring against the record before a server or command uses it, and
// records ring's active epoch as the newest when it is. It returns ErrStaleKeyFile when
// ring lacks the newest epoch recorded, and the ids of retired epochs that ring still
// holds (a copy of the key file that was not replaced after `keys retire`: it still
// opens old backups), for the caller to warn about.
func (e *Epochs) Admit(ctx context.Context, ring *Ring, now time.Time) (stillHeld []string, err error) {
	d, err := e.stale(ctx, ring)
	if err != nil {
		return nil, err
	}
	for _, r := range d.Retired {
		if ring.Has(r.ID) {
			stillHeld = append(stillHeld, r.ID)
		}
	}
	if d.Active != ring.ActiveID() {
		d.Active, d.ActiveAt = ring.ActiveID(), now.UTC().Truncate(time.Millisecond)
		if err := e.write(ctx, d, now); err != nil {
			return stillHeld, err
		}
	}
	return stillHeld, nil
}

// Stale returns ErrStaleKeyFile when ring lacks the newest epoch recorded; it writes
// nothing, so it may run before the keys are known to open the data.
func (e *Epochs) Stale(ctx context.Context, ring *Ring) error {
	_, err := e.stale(ctx, ring)
	return err
}

func (e *Epochs) stale(ctx context.Context, ring *Ring) (epochsDoc, error) {
	d, found, err := e.read(ctx)
	if err != nil {
		return d, err
	}
	if found && d.Active != "" && !ring.Has(d.Active) {
		return d, fmt.Errorf("%w: it lacks key %q, which the data has used since %s (it holds %s): use the current key file, not an older copy",
			ErrStaleKeyFile, d.Active, d.ActiveAt.Format(time.DateOnly), strings.Join(ring.IDs(), ", "))
	}
	return d, nil
}

// Retired returns the epochs retired so far, oldest first.
func (e *Epochs) Retired(ctx context.Context) ([]Retired, error) {
	d, _, err := e.read(ctx)
	return d.Retired, err
}

// MarkRetired records that epoch id was destroyed at now.
func (e *Epochs) MarkRetired(ctx context.Context, id string, now time.Time) error {
	d, _, err := e.read(ctx)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(d.Retired, func(r Retired) bool { return r.ID == id }) {
		return nil
	}
	d.Retired = append(d.Retired, Retired{ID: id, At: now.UTC().Truncate(time.Millisecond)})
	return e.write(ctx, d, now)
}
