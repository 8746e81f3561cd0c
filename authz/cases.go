package authz

import (
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// CaseFacts are the facts of one case that authorization depends on.
type CaseFacts struct {
	Org          string
	RecordedBy   string  // user id
	LegalConsent bool    // consent.legal_sharing
	Grants       []Grant // in stored order; only the first MaxGrants count
}

// Grant shares a case with one account until it expires.
type Grant struct {
	User      string // user id
	ExpiresAt time.Time
}

// The case document's fields that CaseFilter names; they must match the cases store.
const (
	fieldOrg          = "org"
	fieldRecordedBy   = "recorded_by"
	fieldLegalConsent = "consent.legal_sharing"
	fieldGrants       = "grants"
	fieldGrantUser    = "user"
	fieldGrantExpires = "expires_at"
)

// AllowsCase reports whether any of scopes lets sub reach the case described by f at
// time now. It is the single-case twin of CaseFilter, rule for rule.
func AllowsCase(scopes []Scope, sub Subject, f CaseFacts, now time.Time) bool {
	for _, s := range scopes {
		switch s {
		case ScopeAll:
			return true
		case ScopeOrg:
			if sub.Org != "" && f.Org == sub.Org {
				return true
			}
		case ScopeOwn:
			if sub.Org != "" && sub.UserID != "" && f.Org == sub.Org && f.RecordedBy == sub.UserID {
				return true
			}
		case ScopeGranted:
			if sub.Org != "" && sub.UserID != "" && f.Org == sub.Org && f.LegalConsent && granted(f.Grants, sub.UserID, now) {
				return true
			}
		}
	}
	return false
}

// MaxGrants is how many grants of one case authorization looks at: the first
// MaxGrants of the grants array, here as in CaseFilter. The cases store must refuse a
// grant beyond it (dropping expired and revoked ones first), or that grant would open
// nothing. The bound exists because the embedded store cannot tie two conditions to the
// same array element (see grantClauses).
const MaxGrants = 8

// granted reports whether one of the first MaxGrants grants, by itself, is to user and
// unexpired at now. Times compare as BSON datetimes, whole milliseconds, exactly as the
// database compares them for CaseFilter: otherwise a grant expiring in the same
// millisecond as now would be open here and closed in a list.
func granted(grants []Grant, user string, now time.Time) bool {
	at := bson.NewDateTimeFromTime(now)
	for _, g := range grants[:min(len(grants), MaxGrants)] {
		if g.User == user && bson.NewDateTimeFromTime(g.ExpiresAt) > at {
			return true
		}
	}
	return false
}

// grantPaths are the dotted paths "grants.<i>.user" and "grants.<i>.expires_at" for
// each position the filter looks at, built once because CaseFilter runs on every list.
var grantPaths = func() (p [MaxGrants][2]string) {
	for i := range p {
		prefix := fieldGrants + "." + strconv.Itoa(i) + "."
		p[i] = [2]string{prefix + fieldGrantUser, prefix + fieldGrantExpires}
	}
	return p
}()

// grantClauses select a case with an unexpired grant to user at now: the user and the
// expiry must hold for the same grant, or an expired grant to her next to an open grant
// to someone else would match. MongoDB says that with
// {grants: {$elemMatch: {user: u, expires_at: {$gt: now}}}}, but FerretDB v1.24 refuses
// an $elemMatch on sub-document fields ("unknown operator: user") and evaluates even
// {$elemMatch: {$gt: a, $lt: b}} one operator at a time over the whole array. Both
// stores do read an array element by position, so the filter asks, position by
// position, {"grants.<i>.user": u, "grants.<i>.expires_at": {$gt: now}}, which both
// evaluate on one element. That is why only the first MaxGrants grants count.
func grantClauses(user string, now time.Time) bson.A {
	at := bson.NewDateTimeFromTime(now)
	clauses := make(bson.A, 0, MaxGrants)
	for _, p := range grantPaths {
		clauses = append(clauses, bson.D{
			{Key: p[0], Value: user},
			{Key: p[1], Value: bson.D{{Key: "$gt", Value: at}}},
		})
	}
	return clauses
}

// CaseFilter returns the MongoDB filter selecting exactly the cases AllowsCase accepts
// for the same scopes, subject and time; with no usable scope it matches nothing. It
// uses only operators that MongoDB and the embedded store execute alike (see the test).
func CaseFilter(scopes []Scope, sub Subject, now time.Time) bson.D {
	var clauses bson.A
	for _, s := range compact(scopes) {
		switch s {
		case ScopeAll:
			return bson.D{}
		case ScopeOrg:
			if sub.Org != "" {
				clauses = append(clauses, bson.D{{Key: fieldOrg, Value: sub.Org}})
			}
		case ScopeOwn:
			if sub.Org != "" && sub.UserID != "" {
				clauses = append(clauses, bson.D{
					{Key: fieldOrg, Value: sub.Org},
					{Key: fieldRecordedBy, Value: sub.UserID},
				})
			}
		case ScopeGranted:
			if sub.Org != "" && sub.UserID != "" {
				clauses = append(clauses, bson.D{
					{Key: fieldOrg, Value: sub.Org},
					{Key: fieldLegalConsent, Value: true},
					{Key: "$or", Value: grantClauses(sub.UserID, now)},
				})
			}
		}
	}
	switch len(clauses) {
	case 0:
		// Every document has an _id, so this matches none, on both stores.
		return bson.D{{Key: "_id", Value: bson.D{{Key: "$exists", Value: false}}}}
	case 1:
		return clauses[0].(bson.D)
	default:
		return bson.D{{Key: "$or", Value: clauses}}
	}
}

// compact drops repeated scopes, keeping the first, so that the filter stays minimal.
func compact(scopes []Scope) []Scope {
	out := make([]Scope, 0, len(scopes))
	for _, s := range scopes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
