package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// An anchor is the head of one organization's chain (its last entry's seq, hash and
// time) written as one short line that an auditor keeps outside the installation: on
// paper, in an e-mail to the funder, in the minutes of a meeting. Without the key,
// nobody can re-chain entries so that Verify passes, but whoever holds the database
// can still cut the newest entries off and move the head back, which leaves a sound,
// shorter chain; and whoever holds the key file too can rewrite anything. Neither can
// make the chain hold the anchored entry again, so verifying against the anchor finds
// both.

// anchorTag opens every anchor line, naming its format.
const anchorTag = "registro-anchor/1"

// Anchor is one organization's chain head as an auditor keeps it.
type Anchor struct {
	Org  string
	Seq  int64
	Hash string
	Time time.Time
}

// String is the anchor's line: "registro-anchor/1 ORG SEQ HASH TIME".
func (a Anchor) String() string {
	return fmt.Sprintf("%s %s %d %s %s", anchorTag, a.Org, a.Seq, a.Hash, a.Time.UTC().Format(timeLayout))
}

// ErrAnchor reports that a chain does not extend an anchor taken from it.
var ErrAnchor = errors.New("the access log does not extend the anchor")

// ErrEmpty reports that an organization has no access-log entry yet, so no anchor.
var ErrEmpty = errors.New("the organization has no access-log entry yet")

// ParseAnchor reads an anchor line as String writes it.
func ParseAnchor(line string) (Anchor, error) {
	f := strings.Fields(line)
	if len(f) != 5 || f[0] != anchorTag {
		return Anchor{}, fmt.Errorf("not an anchor line: want %q followed by organization, seq, hash and time", anchorTag)
	}
	seq, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || seq < 1 {
		return Anchor{}, fmt.Errorf("anchor: seq %q is not a positive number", f[2])
	}
	if len(f[3]) != 64 || strings.Trim(f[3], "0123456789abcdef") != "" {
		return Anchor{}, fmt.Errorf("anchor: hash %q is not 64 lowercase hex digits", f[3])
	}
	t, err := time.Parse(timeLayout, f[4])
	if err != nil {
		return Anchor{}, fmt.Errorf("anchor: time %q: %v", f[4], err)
	}
	return Anchor{Org: f[1], Seq: seq, Hash: f[3], Time: t}, nil
}

// Anchor returns the current head of org's chain: its last entry, found from the head
// document and then by _id past it. It returns ErrEmpty when the organization has no
// entry yet, or the database's error.
func (l *Log) Anchor(ctx context.Context, org string) (_ Anchor, err error) {
	defer wrap(&err, "audit.Log.Anchor(%s)", org)
	h, _, err := l.head(ctx, org)
	if err != nil {
		return Anchor{}, err
	}
	seq := h.Seq
	for {
		var next stored
		err := l.entries.FindOne(ctx, bson.D{{Key: "_id", Value: entryID(org, seq+1)}}).Decode(&next)
		if errors.Is(err, mongo.ErrNoDocuments) {
			break
		}
		if err != nil {
			return Anchor{}, err
		}
		seq++
	}
	if seq == 0 {
		return Anchor{}, ErrEmpty
	}
	var last stored
	if err := l.entries.FindOne(ctx, bson.D{{Key: "_id", Value: entryID(org, seq)}}).Decode(&last); err != nil {
		return Anchor{}, err
	}
	return Anchor{Org: org, Seq: last.Seq, Hash: last.Hash, Time: last.Time}, nil
}

// Extends checks that org's chain still holds, at the anchor's seq, the entry the
// anchor names. Verify checks that the chain is whole; together they prove that no
// entry up to the anchor was changed, removed or inserted since it was taken. An anchor
// taken before Rekey names a version 1 hash: Extends then recomputes the version 1
// chain from the entries' content up to the anchor, which only the same entries
// reproduce. It returns an error wrapping ErrAnchor when the chain does not extend a,
// or the database's error.
func (l *Log) Extends(ctx context.Context, a Anchor) (err error) {
	defer wrap(&err, "audit.Log.Extends(%s)", a.Org)
	var e stored
	err = l.entries.FindOne(ctx, bson.D{{Key: "_id", Value: entryID(a.Org, a.Seq)}}).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("%w: entry %d is gone", ErrAnchor, a.Seq)
	}
	if err != nil {
		return err
	}
	if e.Time.Equal(a.Time) && e.Hash == a.Hash {
		return nil
	}
	if e.Time.Equal(a.Time) && e.fromDB().Version == versionKeyed {
		w, res, err := l.walkEntries(ctx, bson.D{{Key: "org", Value: a.Org}, {Key: "seq", Value: bson.D{{Key: "$lte", Value: a.Seq}}}},
			func(sorted bool) *walker {
				return &walker{org: a.Org, key: l.key, mode: upgrade, headless: true, last: a.Seq, sorted: sorted}
			})
		if err != nil {
			return err
		}
		if res.OK && w.n == a.Seq && w.v1 == a.Hash {
			return nil
		}
	}
	return fmt.Errorf("%w: entry %d is not the one anchored (hash %s…, anchored %s…)", ErrAnchor, a.Seq, short(e.Hash), short(a.Hash))
}

// short is the start of a hash, enough to tell two apart in a message.
func short(h string) string {
	return h[:min(len(h), 12)]
}
