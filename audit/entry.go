// Package audit is Registro's access log: an append-only record of who read, changed,
// shared or tried to reach what, chained per organization with a keyed hash
// (HMAC-SHA256 under the access log's key, which lives in the key file and never in
// the database) so that an edit, deletion or insertion is detected by Verify, even by
// someone who can write to the database and re-chain what follows.
//
// Entries hold only ids and codes, never case content: no narrative, contact, UIC,
// password or token. Callers must keep it that way; the log cannot tell.
package audit

import (
	"crypto/hmac"
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
	Version   int       `bson:"v" json:"v"`                   // 2: hashed under the access log's key; 1: from before the key (stored without "v")
	Prev      string    `bson:"prev" json:"prev"`             // Hash of the previous entry, "" for seq 1
	Hash      string    `bson:"hash" json:"hash"`             // hex HMAC-SHA256 (v2) or SHA-256 (v1) of this entry's canonical encoding
}

// MaxText is the longest Detail, ActorName, Actor, Object or Client kept, in
// characters: a username typed at sign-in or a forwarded address comes from outside
// and must not bloat the log.
const MaxText = 200

// The formats of an entry, in its Version field and at the start of its canonical
// encoding. Version 1 entries were hashed with plain SHA-256, which anyone who can
// write to the database can recompute after removing entries; they remain only in
// installations whose chains Rekey has not rewritten yet.
const (
	versionUnkeyed = 1
	versionKeyed   = 2
)

// The tags that open every canonical encoding, so that one format cannot be confused
// with another.
const (
	tagUnkeyed = "registro.audit.v1"
	tagKeyed   = "registro.audit.v2"
)

// KeySize is the length of the access log's key in bytes.
const KeySize = 32

// timeLayout writes an entry's time for hashing: UTC, always three fraction digits.
const timeLayout = "2006-01-02T15:04:05.000Z"

// canonical returns the bytes that an entry's hash covers, opened by tag. An external
// auditor recomputes a hash from an exported entry; for version 2 entries she needs
// the access log's key (the "audit:" line of the installation's key file), which is
// the point: without it nobody can forge a chain that verifies.
//
//	v = 2:  hash = lowercase hex of HMAC-SHA256(key, canonical("registro.audit.v2"))
//	v = 1:  hash = lowercase hex of SHA-256(canonical("registro.audit.v1"))
//	canonical(tag) = ns(tag) ns(seq) ns(org) ns(time) ns(actor) ns(actor_name)
//	                 ns(action) ns(object) ns(outcome) ns(client) ns(detail) ns(prev)
//	ns(x)     = decimal byte length of x, ":", the UTF-8 bytes of x, ","  (a netstring)
//	seq       = decimal, no leading zeros
//	time      = UTC, "YYYY-MM-DDTHH:MM:SS.mmmZ" (milliseconds, always three digits)
//	key       = the 32 bytes of the key file's "audit:" line, base64-decoded
//
// For example seq 1 of org "CAL" starts "17:registro.audit.v2,1:1,3:CAL,". Length
// prefixes make the encoding unambiguous whatever the fields contain; Hash itself is
// not covered, and an entry stored without "v" is version 1.
func canonical(tag string, e Entry) []byte {
	return netstrings(tag, strconv.FormatInt(e.Seq, 10), e.Org, e.Time.UTC().Format(timeLayout),
		e.Actor, e.ActorName, e.Action, e.Object, e.Outcome, e.Client, e.Detail, e.Prev)
}

// netstrings writes fields one after the other, each as a netstring.
func netstrings(fields ...string) []byte {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
		b.WriteByte(',')
	}
	return []byte(b.String())
}

// hashKeyed returns the version 2 hash of e under key, whatever e.Version says.
func hashKeyed(key []byte, e Entry) string {
	m := hmac.New(sha256.New, key)
	m.Write(canonical(tagKeyed, e))
	return hex.EncodeToString(m.Sum(nil))
}

// hashUnkeyed returns the version 1 hash of e, whatever e.Version says: what chains
// were made of before the key, and what Rekey checks them with.
func hashUnkeyed(e Entry) string {
	sum := sha256.Sum256(canonical(tagUnkeyed, e))
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
	e.Version = versionKeyed
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
