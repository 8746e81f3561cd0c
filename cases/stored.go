package cases

import (
	"fmt"
	"time"

	"registro/keyring"
)

// caseDoc is a case as stored: the narrative, contact and follow-up notes sealed under
// the case's own data key, which is itself wrapped by the key-encryption key.
type caseDoc struct {
	ID           string           `bson:"_id"`
	Ref          string           `bson:"ref"`
	Org          string           `bson:"org"`
	Subject      string           `bson:"subject"`
	Incident     Incident         `bson:"incident"`
	Perpetrators []string         `bson:"perpetrators"`
	Violations   []string         `bson:"violations"`
	Survivor     Survivor         `bson:"survivor"`
	Consent      Consent          `bson:"consent"`
	Narrative    []byte           `bson:"narrative"`
	Contact      []byte           `bson:"contact"`
	Response     Response         `bson:"response"`
	Followups    []followupDoc    `bson:"followups"`
	Grants       []Grant          `bson:"grants"`
	RecordedBy   string           `bson:"recorded_by"`
	RecordedAt   time.Time        `bson:"recorded_at"`
	UpdatedAt    time.Time        `bson:"updated_at"`
	Version      int64            `bson:"version"`
	Period       Period           `bson:"period"`
	Imported     *Imported        `bson:"imported,omitempty"`
	Key          *keyring.Wrapped `bson:"key"`
	// RefN orders the organization's cases as their references do (year×10⁷ + number):
	// lists show the newest reference first.
	RefN int64 `bson:"refn"`
	// Pos says where the embedded store's list and facts chunks hold the case; empty on
	// other stores, which list and count by query.
	Pos casePos `bson:"pos"`
	// Write names the write that stored this version, so that a server can tell its
	// own replacement from another's of the same version number.
	Write string `bson:"write,omitempty"`
	// Erased marks a tombstone: the data key and every sensitive field are gone, and
	// only what keeps the reference sequence explainable remains.
	Erased *Erasure `bson:"erased,omitempty"`
}

// casePos places a case in the bounded chunks of the embedded store: the chunk of its
// recorder's own list and the facts chunk that counts it ("" when it counts nowhere).
// The organization's chunk follows from the reference alone.
type casePos struct {
	Own   int    `bson:"own"`
	Facts string `bson:"facts"`
}

type followupDoc struct {
	ID         string    `bson:"id"`
	Date       string    `bson:"date"`
	Note       []byte    `bson:"note"`
	Author     string    `bson:"author"`
	AuthorRole string    `bson:"author_role"`
	RecordedAt time.Time `bson:"recorded_at"`
}

// Erasure says who erased a case and when.
type Erasure struct {
	At time.Time `bson:"at" json:"at"`
	By string    `bson:"by" json:"by"`
}

func caseKeyAAD(id string) []byte { return []byte("case|" + id) }

func fieldAAD(id, field string) []byte { return []byte(id + "|" + field) }

// seal encrypts c's sensitive fields into a document under dataKey.
func seal(c *Case, dataKey []byte, wrapped keyring.Wrapped) (*caseDoc, error) {
	d := &caseDoc{
		ID: c.ID, Ref: c.Ref, Org: c.Org, Subject: c.Subject, Incident: c.Incident,
		Perpetrators: c.Perpetrators, Violations: c.Violations, Survivor: c.Survivor,
		Consent: c.Consent, Response: c.Response, Grants: c.Grants, RecordedBy: c.RecordedBy,
		RecordedAt: c.RecordedAt, UpdatedAt: c.UpdatedAt, Version: c.Version, Period: c.Period,
		RefN: refNumber(c.Ref), Key: &wrapped, Followups: make([]followupDoc, 0, len(c.Followups)),
		Imported: c.Imported,
	}
	if d.Grants == nil {
		d.Grants = []Grant{}
	}
	var err error
	if d.Narrative, err = keyring.Seal(dataKey, []byte(c.Narrative), fieldAAD(c.ID, "narrative")); err != nil {
		return nil, err
	}
	if c.Contact != "" {
		if d.Contact, err = keyring.Seal(dataKey, []byte(c.Contact), fieldAAD(c.ID, "contact")); err != nil {
			return nil, err
		}
	}
	for _, f := range c.Followups {
		note, err := keyring.Seal(dataKey, []byte(f.Note), fieldAAD(c.ID, "followup|"+f.ID))
		if err != nil {
			return nil, err
		}
		d.Followups = append(d.Followups, followupDoc{ID: f.ID, Date: f.Date, Note: note,
			Author: f.Author, AuthorRole: f.AuthorRole, RecordedAt: f.RecordedAt})
	}
	return d, nil
}

// open decrypts a stored case; it returns the data key too, for re-sealing after an
// edit.
func open(d *caseDoc, ring *keyring.Ring) (*Case, []byte, error) {
	if d.Erased != nil || d.Key == nil {
		return nil, nil, ErrNotFound
	}
	dataKey, err := ring.Unwrap(*d.Key, caseKeyAAD(d.ID))
	if err != nil {
		return nil, nil, fmt.Errorf("unwrap data key: %w", err)
	}
	c := &Case{
		ID: d.ID, Ref: d.Ref, Org: d.Org, Subject: d.Subject, Incident: d.Incident,
		Perpetrators: d.Perpetrators, Violations: d.Violations, Survivor: d.Survivor,
		Consent: d.Consent, Response: d.Response, Grants: d.Grants, RecordedBy: d.RecordedBy,
		RecordedAt: d.RecordedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), Version: d.Version,
		Period: d.Period, Followups: make([]Followup, 0, len(d.Followups)),
		Imported: d.Imported,
	}
	if c.Grants == nil {
		c.Grants = []Grant{}
	}
	pt, err := keyring.Open(dataKey, d.Narrative, fieldAAD(d.ID, "narrative"))
	if err != nil {
		return nil, nil, fmt.Errorf("narrative: %w", err)
	}
	c.Narrative = string(pt)
	if len(d.Contact) > 0 {
		if pt, err = keyring.Open(dataKey, d.Contact, fieldAAD(d.ID, "contact")); err != nil {
			return nil, nil, fmt.Errorf("contact: %w", err)
		}
		c.Contact = string(pt)
	}
	for _, f := range d.Followups {
		pt, err := keyring.Open(dataKey, f.Note, fieldAAD(d.ID, "followup|"+f.ID))
		if err != nil {
			return nil, nil, fmt.Errorf("follow-up %s: %w", f.ID, err)
		}
		c.Followups = append(c.Followups, Followup{ID: f.ID, Date: f.Date, Note: string(pt),
			Author: f.Author, AuthorRole: f.AuthorRole, RecordedAt: f.RecordedAt.UTC()})
	}
	return c, dataKey, nil
}
