package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

// Upgrading a chain. An installation older than the access log's key holds version 1
// entries, hashed with plain SHA-256. Rekey checks such a chain as it stands and
// rewrites every entry's prev and hash under the key, in seq order, then the head.
//
// Before the first entry is rewritten, the head gets a marker: the seq and version 1
// hash of the last version 1 entry, with an HMAC under the key. A Rekey that stops
// halfway (a crash, a lost connection) leaves version 2 entries followed by version 1
// ones; only the marker lets a rerun accept that, and only up to its seq and only if
// the version 1 entries still hash to the marked value, so that nobody without the key
// can turn the end of a keyed chain back into version 1 entries of her own and have
// them rekeyed. The last write replaces the head and removes the marker.

// rekeyBulk is the most updates one write of Rekey carries: the embedded store hangs
// on update commands of 100 statements or more.
const rekeyBulk = 50

// tagMarker opens the encoding that a marker's HMAC covers.
const tagMarker = "registro.audit.rekey.v1"

// marker is what the head holds while Rekey rewrites the chain.
type marker struct {
	Seq int64  `bson:"seq"` // the last version 1 entry when Rekey began
	V1  string `bson:"v1"`  // its version 1 hash, which covers every version 1 entry
	MAC string `bson:"mac"` // HMAC-SHA256 under the key of org, Seq and V1
}

// newMarker returns org's marker for the version 1 chain that ends at seq with hash v1.
func (l *Log) newMarker(org string, seq int64, v1 string) marker {
	m := hmac.New(sha256.New, l.key)
	m.Write(netstrings(tagMarker, org, strconv.FormatInt(seq, 10), v1))
	return marker{Seq: seq, V1: v1, MAC: hex.EncodeToString(m.Sum(nil))}
}

// markerOK reports whether m was made by a Rekey of org under this Log's key.
func (l *Log) markerOK(org string, m marker) bool {
	return hmac.Equal([]byte(l.newMarker(org, m.Seq, m.V1).MAC), []byte(m.MAC))
}

// Rekey upgrades org's chain to version 2 (keyed), as an installation that predates the
// access log's key needs once. It checks the chain as it stands, as a version 1 chain
// (see checkUpgrade), and only when it is intact rewrites, in seq order, the prev and
// hash of every entry that is not yet of version 2 or not linked as one, then the head.
// A broken chain is reported in the Result, with nothing written; a chain already all
// of version 2 is left as it is. Rekey returns a *validation.Error when org is empty,
// the context's error, or the database's error: the chain is then partly rewritten,
// and running Rekey again completes it.
//
// A first Rekey trusts the version 1 entries as it finds them, which is all that
// version 1 allows: run it once, on purpose, when the key is added to the key file, not
// whenever version 1 entries turn up later (Verify reports those as tampering).
// Resuming an interrupted Rekey is safe at any time (see the marker). Rekey must not
// run while entries are appended to org's chain, by this process or another.
func (l *Log) Rekey(ctx context.Context, org string) (res Result, err error) {
	defer wrap(&err, "audit.Log.Rekey(%s)", org)
	if org == "" {
		return Result{}, validation.Field("org", validation.Required)
	}
	w, res, err := l.walkChain(ctx, org, upgrade)
	if err != nil || !res.OK {
		return res, err
	}
	if len(w.rewrites) == 0 && !w.headStale && w.head.Rekey == nil {
		return res, nil
	}
	// Whatever happens now, this process's idea of the chain's last hash is stale.
	defer l.forget(org)
	byID := func(id string) bson.D { return bson.D{{Key: "_id", Value: id}} }
	if w.marker == nil {
		m := l.newMarker(org, w.lastV1, w.lastV1At)
		if err := l.rekeyWrite(ctx, l.heads, []mongo.WriteModel{mongo.NewUpdateOneModel().SetFilter(byID(org)).
			SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "rekey", Value: m}}}})}); err != nil {
			return Result{}, err
		}
	}
	for start := 0; start < len(w.rewrites); start += rekeyBulk {
		part := w.rewrites[start:min(start+rekeyBulk, len(w.rewrites))]
		models := make([]mongo.WriteModel, len(part))
		for i, rw := range part {
			models[i] = mongo.NewUpdateOneModel().SetFilter(byID(entryID(org, rw.seq))).
				SetUpdate(bson.D{{Key: "$set", Value: bson.D{
					{Key: "v", Value: versionKeyed}, {Key: "prev", Value: rw.prev}, {Key: "hash", Value: rw.hash}}}})
		}
		if err := l.rekeyWrite(ctx, l.entries, models); err != nil {
			return Result{}, err
		}
	}
	if err := l.rekeyWrite(ctx, l.heads, []mongo.WriteModel{mongo.NewUpdateOneModel().SetFilter(byID(org)).
		SetUpdate(bson.D{
			{Key: "$set", Value: bson.D{{Key: "seq", Value: w.n}, {Key: "hash", Value: w.v2}}},
			{Key: "$unset", Value: bson.D{{Key: "rekey", Value: ""}}},
		})}); err != nil {
		return Result{}, err
	}
	res.Rekeyed = int64(len(w.rewrites))
	return res, nil
}

// Unkeyed reports whether some organization's chain still needs Rekey: its first entry
// is of version 1, or its head holds the marker of an unfinished Rekey. It reads the
// heads and one entry per organization by _id, so that a start can afford it; it is a
// hint for the start and the operator, not a check (Verify is). It returns the
// database's error.
func (l *Log) Unkeyed(ctx context.Context) (_ bool, err error) {
	defer wrap(&err, "audit.Log.Unkeyed")
	cur, err := l.heads.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "rekey", Value: 1}}))
	if err != nil {
		return false, err
	}
	var heads []head
	if err := cur.All(ctx, &heads); err != nil {
		return false, err
	}
	proj := options.FindOne().SetProjection(bson.D{{Key: "v", Value: 1}})
	for _, h := range heads {
		if h.Rekey != nil {
			return true, nil
		}
		var first struct {
			Version int `bson:"v"`
		}
		err := l.entries.FindOne(ctx, bson.D{{Key: "_id", Value: entryID(h.Org, 1)}}, proj).Decode(&first)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return false, err
		}
		if first.Version != versionKeyed {
			return true, nil
		}
	}
	return false, nil
}

// forget makes the committer read org's chain again before its next append.
func (l *Log) forget(org string) {
	l.mu.Lock()
	l.stale = append(l.stale, org)
	l.mu.Unlock()
}

// bulkWrite is the real rekeyWrite.
func bulkWrite(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel) error {
	_, err := coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(true))
	return err
}
