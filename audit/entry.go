// Package audit is Registro's access log: an append-only record of who read, changed,
// shared or tried to reach what, hash chained per organization so that an edit,
// deletion or insertion is detected by Verify.
//
// Entries hold only ids and codes, never case content: no narrative, contact, UIC,
// password or token. Callers must keep it that way; the log cannot tell.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Entry is one line of the access log.
type Entry struct {
	Seq       int64     `bson:"seq" json:"seq"`
	Org       string    `bson:"org" json:"org"`
	Time      time.Time `bson:"time" json:"time"`             // truncated to milliseconds (BSON datetime precision) before hashing
	Actor     string    `bson:"actor" json:"actor"`           // user id ("" for an unknown user, e.g. failed sign-in)
	ActorName string    `bson:"actor_name" json:"actor_name"` // username as typed for sign-ins; the username otherwise
	Action    string    `bson:"action" json:"action"`         // "case.read", "login", "audit.verify", ...
	Object    string    `bson:"object" json:"object"`         // object id (case id, user id, ...) or ""
	Outcome   string    `bson:"outcome" json:"outcome"`       // "ok", "denied", "not_found", "failed", "invalid"
	Client    string    `bson:"client" json:"client"`         // client IP address
	Detail    string    `bson:"detail" json:"detail"`         // short non-sensitive detail; at most MaxText characters
	Prev      string    `bson:"prev" json:"prev"`             // hex SHA-256 of the previous entry, "" for seq 1
	Hash      string    `bson:"hash" json:"hash"`             // hex SHA-256 of this entry's canonical encoding
}

// MaxText is the longest Detail, ActorName, Actor, Object or Client kept, in
// characters: a username typed at sign-in or a forwarded address comes from outside
// and must not bloat the log.
const MaxText = 200

// canonicalVersion opens every canonical encoding, so that a future format cannot be
// confused with this one.
const canonicalVersion = "registro.audit.v1"

// timeLayout writes an entry's time for hashing: UTC, always three fraction digits.
const timeLayout = "2006-01-02T15:04:05.000Z"

// canonical returns the bytes that an entry's hash covers. An external auditor can
// recompute it from an exported entry:
//
//	hash      = lowercase hex of SHA-256(canonical)
//	canonical = ns("registro.audit.v1") ns(seq) ns(org) ns(time) ns(actor)
//	            ns(actor_name) ns(action) ns(object) ns(outcome) ns(client)
//	            ns(detail) ns(prev)
//	ns(x)     = decimal byte length of x, ":", the UTF-8 bytes of x, ","  (a netstring)
//	seq       = decimal, no leading zeros
//	time      = UTC, "YYYY-MM-DDTHH:MM:SS.mmmZ" (milliseconds, always three digits)
//
// For example seq 1 of org "CAL" starts "17:registro.audit.v1,1:1,3:CAL,". Length
// prefixes make the encoding unambiguous whatever the fields contain; Hash itself is
// not covered.
func canonical(e Entry) []byte {
	var b strings.Builder
	for _, f := range []string{
		canonicalVersion,
		strconv.FormatInt(e.Seq, 10),
		e.Org,
		e.Time.UTC().Format(timeLayout),
		e.Actor, e.ActorName, e.Action, e.Object, e.Outcome, e.Client, e.Detail,
		e.Prev,
	} {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
		b.WriteByte(',')
	}
	return []byte(b.String())
}

// hashEntry returns the hex SHA-256 of e's canonical encoding.
func hashEntry(e Entry) string {
	sum := sha256.Sum256(canonical(e))
	return hex.EncodeToString(sum[:])
}

// normalize makes e exactly what will be stored, before it is hashed: the hash must
// cover the stored bytes, so invalid UTF-8 (which BSON strings cannot carry) is
// replaced, long text cut and the time brought to BSON's millisecond precision.
func normalize(e Entry) Entry {
	clean := func(s string, limit int) string {
		s = strings.ToValidUTF8(s, "\uFFFD")
		if limit > 0 && utf8.RuneCountInString(s) > limit {
			s = string([]rune(s)[:limit])
		}
		return s
	}
	e.Org = clean(e.Org, 0)
	e.Action = clean(e.Action, 0)
	e.Outcome = clean(e.Outcome, 0)
	e.Actor = clean(e.Actor, MaxText)
	e.ActorName = clean(e.ActorName, MaxText)
	e.Object = clean(e.Object, MaxText)
	e.Client = clean(e.Client, MaxText)
	e.Detail = clean(e.Detail, MaxText)
	e.Time = storedTime(e.Time)
	return e
}

// storedTime is t as BSON stores it, and so as it is hashed: UTC, whole milliseconds.
func storedTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}

// entryID is the _id of an entry: the organization and the zero-padded seq, so that
// the next entry of a chain can be looked up (and claimed) by _id alone.
func entryID(org string, seq int64) string {
	return org + ":" + leftPad(strconv.FormatInt(seq, 10), 12)
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}
