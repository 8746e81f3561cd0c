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
// paper, in an e-mail to the funder, in the minutes of a meeting. Whoever later
// rewrites entries up to that seq, even re-chaining every hash after them with
// database access, cannot make the chain end in the anchored hash again, so verifying
// against the anchor finds it.

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
// document and then by _id past it. It returns ErrNotFound-like errors from the
// database, and an error when the organization has no entry yet.
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
		return Anchor{}, fmt.Errorf("organization %s has no access-log entry yet", org)
	}
	var last stored
	if err := l.entries.FindOne(ctx, bson.D{{Key: "_id", Value: entryID(org, seq)}}).Decode(&last); err != nil {
		return Anchor{}, err
	}
	return Anchor{Org: org, Seq: last.Seq, Hash: last.Hash, Time: last.Time}, nil
}

// Extends checks that org's chain still holds, at the anchor's seq, the entry the
// anchor names. Verify checks that the chain is whole; together they prove that no
// entry up to the anchor was changed, removed or inserted since it was taken.
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
	if e.Hash != a.Hash || !e.Time.Equal(a.Time) {
		return fmt.Errorf("%w: entry %d is not the one anchored (hash %s…, anchored %s…)", ErrAnchor, a.Seq, e.Hash[:12], a.Hash[:12])
	}
	return nil
}
