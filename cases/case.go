package cases

import (
	"errors"
	"time"
)

var (
	// ErrNotFound is returned for a case that does not exist, was erased, or lies
	// outside the caller's reach.
	ErrNotFound = errors.New("case not found")
	// ErrVersionConflict is returned when an update names a version that is no longer
	// the stored one.
	ErrVersionConflict = errors.New("case was changed by someone else: reload it and try again")
	// ErrIdempotencyMismatch is returned when an Idempotency-Key is reused with
	// another request body.
	ErrIdempotencyMismatch = errors.New("idempotency key reused with a different request")
)

// Actor is the signed-in person on whose behalf the store acts.
type Actor struct {
	UserID   string
	Username string
	Org      string
	Role     string
	// Client is the address the request came from, for the access log.
	Client string
}

// Case is one incident record with its sensitive fields decrypted.
type Case struct {
	ID           string     `json:"id"`
	Ref          string     `json:"ref"`
	Org          string     `json:"org"`
	Subject      string     `json:"subject"`
	Incident     Incident   `json:"incident"`
	Perpetrators []string   `json:"perpetrators"`
	Violations   []string   `json:"violations"`
	Survivor     Survivor   `json:"survivor"`
	Consent      Consent    `json:"consent"`
	Narrative    string     `json:"narrative"`
	Contact      string     `json:"contact,omitempty"`
	Response     Response   `json:"response"`
	Followups    []Followup `json:"followups"`
	Grants       []Grant    `json:"grants"`
	RecordedBy   string     `json:"recorded_by"`
	RecordedAt   time.Time  `json:"recorded_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	Version      int64      `json:"version"`
	Period       Period     `json:"period"`
	// Imported is set on a case brought in from the organization's earlier registry.
	Imported *Imported `json:"imported,omitempty"`
}

// Incident says when, where and in what kind of place it happened. Date holds
// "2026-05-14", "2026-05" or "2026" according to DatePrecision.
type Incident struct {
	Date          string `json:"date" bson:"date"`
	DatePrecision string `json:"date_precision" bson:"date_precision"`
	District      string `json:"district" bson:"district"`
	Place         string `json:"place" bson:"place"`
}

// Survivor holds optional, coarse facts about the survivor; never her name.
type Survivor struct {
	AgeBand     string `json:"age_band,omitempty" bson:"age_band"`
	Gender      string `json:"gender,omitempty" bson:"gender"`
	Nationality string `json:"nationality,omitempty" bson:"nationality"`
	WorkSetting string `json:"work_setting,omitempty" bson:"work_setting"`
}

// Consent records what the survivor agreed to, when, before whom, and which version
// of the consent text was read to her (Ley 29733).
type Consent struct {
	Record       bool      `json:"record" bson:"record"`
	Statistics   bool      `json:"statistics" bson:"statistics"`
	LegalSharing bool      `json:"legal_sharing" bson:"legal_sharing"`
	Contact      bool      `json:"contact" bson:"contact"`
	TextVersion  string    `json:"text_version" bson:"text_version"`
	RecordedAt   time.Time `json:"recorded_at" bson:"recorded_at"`
	RecordedBy   string    `json:"recorded_by" bson:"recorded_by"`
}

// Response is what was done about the incident.
type Response struct {
	ReportedTo []string `json:"reported_to" bson:"reported_to"`
	Referrals  []string `json:"referrals" bson:"referrals"`
	Status     string   `json:"status" bson:"status"`
	Outcome    string   `json:"outcome,omitempty" bson:"outcome"`
}

// Followup is one dated action on a case; its note is encrypted at rest.
type Followup struct {
	ID         string    `json:"id"`
	Date       string    `json:"date"`
	Note       string    `json:"note"`
	Author     string    `json:"author"`
	AuthorRole string    `json:"author_role"`
	RecordedAt time.Time `json:"recorded_at"`
}

// Grant shares a case with a legal partner until ExpiresAt.
type Grant struct {
	User      string    `json:"user" bson:"user"`
	Username  string    `json:"username" bson:"username"`
	GrantedBy string    `json:"granted_by" bson:"granted_by"`
	GrantedAt time.Time `json:"granted_at" bson:"granted_at"`
	ExpiresAt time.Time `json:"expires_at" bson:"expires_at"`
}

// Period places the incident in time for statistics; Quarter and Month are empty
// when the date is known only to the year.
type Period struct {
	Year    string `json:"year" bson:"year"`
	Quarter string `json:"quarter,omitempty" bson:"quarter"`
	Month   string `json:"month,omitempty" bson:"month"`
}
