// Package alerts keeps the community alerts of an organization: warnings about a
// dangerous person (a violent client, an extorting officer, a serenazgo crew) that its
// members pass to each other, as National Ugly Mugs does in the UK.
//
// An alert describes a danger, never a survivor. It may be started from a case, but it
// stores nothing of the case: no id, reference, pseudonym, date, place or words of it.
// Its free text is checked for what could name someone (a survivor's code, a phone
// number, a name); the proposer must look again and confirm before such text is kept.
//
// A member proposes, a coordinator approves (the alert then shows for a validity,
// 90 days by default, and can be renewed), edits, rejects or withdraws it, and may share
// it with the other organizations of the installation that chose to receive alerts.
// Description fields a coordinator marks internal stay inside her organization: they
// are left out of the text for WhatsApp and of what other organizations see.
//
// Every change is decided by a single-document insert (see store.go), so that two
// coordinators on two servers never both approve and reject the same alert.
package alerts

import (
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"registro/validation"
	"registro/vocabulary"
)

// State is where an alert is in its life. An approved alert whose validity has passed
// is expired: that is read from its ExpiresAt, not stored.
type State string

const (
	Proposed  State = "proposed"
	Approved  State = "approved"
	Rejected  State = "rejected"
	Withdrawn State = "withdrawn"
	Expired   State = "expired" // shown, never stored
)

// Hours are the parts of the day an aggressor is known to act in.
var Hours = []string{"early_morning", "morning", "afternoon", "night"}

// DescriptionFields are the parts of a description, in the order they are shown; a
// coordinator may mark any of them internal.
var DescriptionFields = []string{"vehicle", "plate", "physical", "uniform", "badge"}

// Description says how to recognise the aggressor. Plate and Badge are fragments: what
// the survivor could read, never required to be whole.
type Description struct {
	Vehicle  string `bson:"vehicle,omitempty" json:"vehicle,omitempty"`
	Plate    string `bson:"plate,omitempty" json:"plate,omitempty"`
	Physical string `bson:"physical,omitempty" json:"physical,omitempty"`
	Uniform  string `bson:"uniform,omitempty" json:"uniform,omitempty"`
	Badge    string `bson:"badge,omitempty" json:"badge,omitempty"`
}

// Get returns the description field named name (one of DescriptionFields).
func (d Description) Get(name string) string {
	switch name {
	case "vehicle":
		return d.Vehicle
	case "plate":
		return d.Plate
	case "physical":
		return d.Physical
	case "uniform":
		return d.Uniform
	case "badge":
		return d.Badge
	}
	return ""
}

func (d *Description) set(name, v string) {
	switch name {
	case "vehicle":
		d.Vehicle = v
	case "plate":
		d.Plate = v
	case "physical":
		d.Physical = v
	case "uniform":
		d.Uniform = v
	case "badge":
		d.Badge = v
	}
}

// Alert is one alert as stored. Its id is random (UUIDv4): a time-ordered id would
// carry the moment it was proposed. Who proposed it is kept for the proposer's own list
// and never shown to anyone else; the access log has every step with its author.
type Alert struct {
	ID          string      `bson:"_id" json:"id"`
	Org         string      `bson:"org" json:"org"`
	Version     int64       `bson:"version" json:"version"`
	State       State       `bson:"state" json:"state"`
	Aggressor   string      `bson:"aggressor" json:"aggressor"`
	District    string      `bson:"district" json:"district"`
	Hours       []string    `bson:"hours" json:"hours"`
	Description Description `bson:"description" json:"description"`
	Internal    []string    `bson:"internal" json:"internal"`
	Behaviour   string      `bson:"behaviour" json:"behaviour"`
	Advice      string      `bson:"advice" json:"advice"`
	Shared      bool        `bson:"shared" json:"shared"`
	Reason      string      `bson:"reason,omitempty" json:"reason,omitempty"` // why it was rejected
	// When it was proposed, published, expires and last changed: answers give only the
	// days (see the server), since the moment a proposal is made can lie next to the
	// moment its case was recorded.
	ProposedBy string    `bson:"proposed_by" json:"-"`
	Proposed   time.Time `bson:"proposed" json:"-"`
	Published  time.Time `bson:"published,omitempty" json:"-"`
	ExpiresAt  time.Time `bson:"expires_at,omitempty" json:"-"`
	Updated    time.Time `bson:"updated" json:"-"`
}

// StateAt is the alert's state at now: an approved alert past its validity is expired.
func (a *Alert) StateAt(now time.Time) State {
	if a.State == Approved && !now.Before(a.ExpiresAt) {
		return Expired
	}
	return a.State
}

// Current reports whether the alert is shown to members at now.
func (a *Alert) Current(now time.Time) bool { return a.StateAt(now) == Approved }

// IsInternal reports whether the description field name is kept inside the organization.
func (a Alert) IsInternal(name string) bool { return slices.Contains(a.Internal, name) }

// Outside is the alert as another organization sees it: without its internal fields,
// its proposer or a rejection reason.
func (a Alert) Outside() Alert {
	for _, f := range a.Internal {
		a.Description.set(f, "")
	}
	a.Internal, a.ProposedBy, a.Reason = nil, "", ""
	return a
}

// Input is an alert as proposed or edited.
type Input struct {
	Aggressor   string      `json:"aggressor"`
	District    string      `json:"district"`
	Hours       []string    `json:"hours"`
	Description Description `json:"description"`
	Internal    []string    `json:"internal"`
	Behaviour   string      `json:"behaviour"`
	Advice      string      `json:"advice"`
	// Checked: the author has read the warnings about text that could name someone and
	// confirms it names no one. Without it, such text is refused with the warnings.
	Checked bool `json:"checked"`
	// FromCase is the case the alert is started from, if any: its codes and contact
	// are looked for in the text. It is never stored.
	FromCase string `json:"from_case,omitempty"`
}

// The limits of the free text: an alert is read on a phone and passed on WhatsApp.
const (
	maxShort = 200  // a description field
	maxLong  = 1000 // what he does, advice
)

// Errors of the store.
var (
	ErrNotFound = errors.New("alert not found")
	// ErrConflict: someone changed the alert since it was read, or is changing it now.
	ErrConflict = errors.New("the alert was changed by someone else: reload it and try again")
	// ErrState: the change does not apply to the alert as it is (approving a
	// withdrawn alert, renewing a proposal).
	ErrState = errors.New("this cannot be done to the alert as it is now")
)

// normalize trims the text and removes repeated list entries.
func (in *Input) normalize() {
	in.Aggressor, in.District = strings.TrimSpace(in.Aggressor), strings.TrimSpace(in.District)
	for _, f := range DescriptionFields {
		in.Description.set(f, strings.TrimSpace(in.Description.Get(f)))
	}
	in.Description.Plate = strings.ToUpper(in.Description.Plate)
	in.Behaviour, in.Advice = strings.TrimSpace(in.Behaviour), strings.TrimSpace(in.Advice)
	in.Hours = inOrder(dedupe(in.Hours), Hours)
	in.Internal = inOrder(dedupe(in.Internal), DescriptionFields)
}

// inOrder sorts l in the order of known; what known lacks goes last, as it came.
func inOrder(l, known []string) []string {
	slices.SortStableFunc(l, func(a, b string) int {
		ia, ib := slices.Index(known, a), slices.Index(known, b)
		if ia < 0 {
			ia = len(known)
		}
		if ib < 0 {
			ib = len(known)
		}
		return ia - ib
	})
	return l
}

func dedupe(l []string) []string {
	out := make([]string, 0, len(l))
	for _, v := range l {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Validate checks in against the vocabulary, naming every problem at once, and the
// text against what could identify someone (known: codes of the case it comes from).
func (in *Input) Validate(v *vocabulary.Vocabulary, known []string) error {
	in.normalize()
	e := &validation.Error{}
	switch {
	case in.Aggressor == "":
		e.Add("aggressor", validation.Required)
	case !v.Has(vocabulary.Perpetrators, in.Aggressor):
		e.Add("aggressor", validation.UnknownCode)
	}
	switch {
	case in.District == "":
		e.Add("district", validation.Required)
	case !v.Has(vocabulary.Districts, in.District):
		e.Add("district", validation.UnknownDistrict)
	}
	for _, h := range in.Hours {
		if !slices.Contains(Hours, h) {
			e.Add("hours", validation.UnknownCode)
		}
	}
	for _, f := range in.Internal {
		if !slices.Contains(DescriptionFields, f) {
			e.Add("internal", validation.UnknownCode)
		}
	}
	for _, f := range DescriptionFields {
		if utf8.RuneCountInString(in.Description.Get(f)) > maxShort {
			e.Add("description."+f, validation.TooLong, "Max", maxShort)
		}
	}
	if p := in.Description.Plate; p != "" && !plateFragment.MatchString(p) {
		e.Add("description.plate", validation.PlateFragment)
	}
	if in.Behaviour == "" {
		e.Add("behaviour", validation.Required)
	}
	for f, s := range map[string]string{"behaviour": in.Behaviour, "advice": in.Advice} {
		if utf8.RuneCountInString(s) > maxLong {
			e.Add(f, validation.TooLong, "Max", maxLong)
		}
	}
	if !in.Checked {
		for f, kind := range in.Warnings(v, known) {
			e.Add(f, kind.problem())
		}
	}
	return e.Err()
}

// CheckReason checks the reason given for a rejection: optional, and short.
func CheckReason(reason string) error {
	if utf8.RuneCountInString(reason) > maxLong {
		return validation.Field("reason", validation.TooLong, "Max", maxLong)
	}
	return nil
}

// apply copies the content of in onto a.
func (in *Input) apply(a *Alert) {
	a.Aggressor, a.District, a.Hours = in.Aggressor, in.District, slices.Clone(in.Hours)
	a.Description, a.Internal = in.Description, slices.Clone(in.Internal)
	a.Behaviour, a.Advice = in.Behaviour, in.Advice
	if a.Hours == nil {
		a.Hours = []string{}
	}
	if a.Internal == nil {
		a.Internal = []string{}
	}
}
