package authz

import (
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

// AllowsCase reports whether any of scopes lets sub reach the case described by f at
// time now. Reads check the case they read with it; lists pass every entry through it,
// whatever list the entry came from, so that a list never shows a case a read refuses.
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
// MaxGrants of the grants array. The cases store refuses a grant beyond it (dropping
// expired and revoked ones first), so no grant is ever stored that would open nothing.
const MaxGrants = 8

// granted reports whether one of the first MaxGrants grants, by itself, is to user and
// unexpired at now. Times compare as BSON datetimes, whole milliseconds, as the
// database stores them: a grant read back from the store expires at the same instant
// as the grant that was written.
func granted(grants []Grant, user string, now time.Time) bool {
	at := bson.NewDateTimeFromTime(now)
	for _, g := range grants[:min(len(grants), MaxGrants)] {
		if g.User == user && bson.NewDateTimeFromTime(g.ExpiresAt) > at {
			return true
		}
	}
	return false
}
