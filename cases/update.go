package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/audit"
	"registro/validation"
)

// mutate runs one read-modify-write cycle on a case: it loads and decrypts it, checks
// allow and the expected version (nil: any), lets change edit it, then writes it back
// with the version raised, and refreshes the lists. On MongoDB the version sits in the
// write's filter, so replicas cannot overwrite each other; on the single-process
// embedded store the in-process lock gives the same guarantee without a scan.
func (s *Store) mutate(ctx context.Context, id string, version *int64, allow func(*Case) bool, change func(c *Case) ([]string, error), entry func(c *Case) audit.Entry) (c *Case, err error) {
	// A concurrent writer on another replica: retry when the caller named no version.
	err = retryConflicts(ctx, version == nil, func() error {
		c, err = s.mutateOnce(ctx, id, version, allow, change, entry)
		return err
	})
	return c, err
}

// retryConflicts runs write until it does not meet ErrVersionConflict (another write
// of the case in progress, here or on another server), pausing a little longer each
// time, up to 20 times; with retry false it runs write once.
func retryConflicts(ctx context.Context, retry bool, write func() error) error {
	for attempt := 0; ; attempt++ {
		err := write()
		if !errors.Is(err, ErrVersionConflict) || !retry || attempt >= 20 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
}

func (s *Store) mutateOnce(ctx context.Context, id string, version *int64, allow func(*Case) bool, change func(c *Case) ([]string, error), entry func(c *Case) audit.Entry) (*Case, error) {
	unlock := s.lock(id)
	defer unlock()
	d, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	c, dataKey, err := open(d, s.ring)
	if err != nil {
		return nil, err
	}
	if !allow(c) {
		return nil, ErrNotFound
	}
	if version != nil && *version != d.Version {
		return nil, ErrVersionConflict
	}
	revoked, err := change(c)
	if err != nil {
		return nil, err
	}
	c.Version = d.Version + 1
	c.UpdatedAt = s.now().Truncate(time.Millisecond)
	nd, err := seal(c, dataKey, *d.Key)
	if err != nil {
		return nil, err
	}
	// The intent of the write, inserted under the case's id, is what keeps two servers
	// from writing the case at once: the second finds it and retries.
	err = s.commit(ctx, &writeOp{kind: opReplace, doc: nd, old: d, revoked: revoked, entry: entry(c)})
	if errors.Is(err, errInFlight) {
		return nil, ErrVersionConflict
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Update applies p to the case with id when allow accepts it. It returns ErrNotFound,
// ErrVersionConflict when p.Version is stale, and *validation.Error for invalid values
// (a missing version among them).
func (s *Store) Update(ctx context.Context, a Actor, id string, p Patch, allow func(*Case) bool) (_ *Case, err error) {
	defer wrap(&err, "cases.Store.Update(%s)", id)
	if p.Version == nil {
		return nil, validation.Field("version", validation.RequiredVersion)
	}
	var orgKey []byte
	if p.UIC != nil && *p.UIC != "" {
		if orgKey, err = s.orgKeys.Pseudonym(ctx, a.Org); err != nil {
			return nil, err
		}
	}
	return s.mutate(ctx, id, p.Version, allow, func(c *Case) ([]string, error) {
		e := &validation.Error{}
		applyPatch(c, p)
		if p.UIC != nil {
			if uic, ok := NormalizeUIC(*p.UIC); !ok {
				e.Add("uic", validation.UIC)
			} else {
				c.Subject = Pseudonym(orgKey, uic)
			}
		}
		checkRecord(s.vocab, e, c, s.now())
		if err := e.Err(); err != nil {
			return nil, err
		}
		c.Period = periodOf(c.Incident)
		var revoked []string
		if !c.Consent.LegalSharing {
			// Withdrawn legal-sharing consent ends every share at once.
			for _, g := range c.Grants {
				revoked = append(revoked, g.User)
			}
			c.Grants = []Grant{}
		}
		return revoked, nil
	}, func(c *Case) audit.Entry { return a.entry("case.update", id, c.Ref) })
}

func applyPatch(c *Case, p Patch) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	if in := p.Incident; in != nil {
		set(&c.Incident.Date, in.Date)
		set(&c.Incident.DatePrecision, in.DatePrecision)
		set(&c.Incident.District, in.District)
		set(&c.Incident.Place, in.Place)
	}
	if p.Perpetrators != nil {
		c.Perpetrators = *p.Perpetrators
	}
	if p.Violations != nil {
		c.Violations = *p.Violations
	}
	if sv := p.Survivor; sv != nil {
		set(&c.Survivor.AgeBand, sv.AgeBand)
		set(&c.Survivor.Gender, sv.Gender)
		set(&c.Survivor.Nationality, sv.Nationality)
		set(&c.Survivor.WorkSetting, sv.WorkSetting)
	}
	if cp := p.Consent; cp != nil {
		setBool := func(dst *bool, src *bool) {
			if src != nil {
				*dst = *src
			}
		}
		setBool(&c.Consent.Statistics, cp.Statistics)
		setBool(&c.Consent.LegalSharing, cp.LegalSharing)
		setBool(&c.Consent.Contact, cp.Contact)
		set(&c.Consent.TextVersion, cp.TextVersion)
		if cp.Contact != nil && !*cp.Contact && p.Contact == nil {
			c.Contact = "" // withdrawing contact consent deletes the contact
		}
	}
	set(&c.Narrative, p.Narrative)
	set(&c.Contact, p.Contact)
	if r := p.Response; r != nil {
		if r.ReportedTo != nil {
			c.Response.ReportedTo = *r.ReportedTo
		}
		if r.Referrals != nil {
			c.Response.Referrals = *r.Referrals
		}
		set(&c.Response.Status, r.Status)
		set(&c.Response.Outcome, r.Outcome)
		if r.Status != nil && *r.Status != "closed" && r.Outcome == nil {
			c.Response.Outcome = ""
		}
	}
}

// AddFollowup appends a dated, encrypted note by a to the case with id when allow
// accepts it. It returns ErrNotFound or *validation.Error.
func (s *Store) AddFollowup(ctx context.Context, a Actor, id string, in FollowupInput, allow func(*Case) bool) (_ *Case, err error) {
	defer wrap(&err, "cases.Store.AddFollowup(%s)", id)
	now := s.now()
	e := &validation.Error{}
	if in.Date == "" {
		in.Date = now.Format(time.DateOnly)
	} else if date, problem := parseIncidentDate(in.Date, "day", now); problem != nil {
		e.AddProblem("date", *problem)
	} else {
		in.Date = date
	}
	switch n := len([]rune(in.Note)); {
	case n == 0:
		e.Add("note", validation.Required)
	case n > maxNote:
		e.Add("note", validation.TooLong, "Max", 5000)
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	if len(in.Key) > 200 {
		return nil, validation.Field("Idempotency-Key", validation.TooLong, "Max", 200)
	}
	fid, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	if in.Key != "" {
		// The same key, author and case name the same follow-up.
		fid = uuid.NewSHA1(followupKeys, []byte(id+"\x00"+a.UserID+"\x00"+in.Key))
	}
	c, err := s.mutate(ctx, id, nil, allow, func(c *Case) ([]string, error) {
		if slices.ContainsFunc(c.Followups, func(f Followup) bool { return f.ID == fid.String() }) {
			return nil, errFollowupThere
		}
		c.Followups = append(c.Followups, Followup{ID: fid.String(), Date: in.Date, Note: in.Note,
			Author: a.UserID, AuthorRole: a.Role, RecordedAt: now.Truncate(time.Millisecond)})
		if c.Response.Status == "open" {
			c.Response.Status = "in_follow_up"
		}
		return nil, nil
	}, func(c *Case) audit.Entry { return a.entry("case.followup", id, c.Ref) })
	if errors.Is(err, errFollowupThere) {
		return s.Case(ctx, id, allow)
	}
	return c, err
}

// errFollowupThere stops a follow-up whose key was added before.
var errFollowupThere = errors.New("the follow-up was added before")

// followupKeys is the namespace of the ids of follow-ups sent with a key.
var followupKeys = uuid.MustParse("5b0f5d0e-2c59-4d6a-9a5e-6f1c2f3b7a01")

// MaxGrants bounds the live shares of one case; authorization (authz.MaxGrants) looks
// at no more, so a grant beyond them is refused here rather than stored to open nothing.
const MaxGrants = 8

// Grant shares the case with id with the legal partner user (username for display)
// until expires. It returns ErrNotFound, and *validation.Error when the survivor did
// not consent to legal sharing or expires is not in the future. A second grant to the
// same user replaces the first.
func (s *Store) Grant(ctx context.Context, a Actor, id, user, username string, expires time.Time, allow func(*Case) bool) (_ *Case, err error) {
	defer wrap(&err, "cases.Store.Grant(%s)", id)
	now := s.now()
	if !expires.After(now) {
		return nil, validation.Field("expires_at", validation.MustBeFuture)
	}
	return s.mutate(ctx, id, nil, allow, func(c *Case) ([]string, error) {
		if !c.Consent.LegalSharing {
			return nil, validation.Field("consent.legal_sharing", validation.LegalConsent)
		}
		// Expired shares (which leave their lists) and an earlier share with the same
		// user make room.
		var expired []string
		c.Grants = slices.DeleteFunc(c.Grants, func(g Grant) bool {
			if g.User != user && !g.ExpiresAt.After(now) {
				expired = append(expired, g.User)
				return true
			}
			return g.User == user
		})
		if len(c.Grants) >= MaxGrants {
			return nil, validation.Field("user", validation.TooManyGrants, "Max", MaxGrants)
		}
		c.Grants = append(c.Grants, Grant{User: user, Username: username, GrantedBy: a.UserID,
			GrantedAt: now.Truncate(time.Millisecond), ExpiresAt: expires.UTC().Truncate(time.Millisecond)})
		return expired, nil
	}, func(*Case) audit.Entry { return a.entry("case.grant", id, username) })
}

// Revoke ends the share of the case with id with user (username for the access log).
// It returns ErrNotFound when the case is out of reach or was not shared with user.
func (s *Store) Revoke(ctx context.Context, a Actor, id, user, username string, allow func(*Case) bool) (_ *Case, err error) {
	defer wrap(&err, "cases.Store.Revoke(%s)", id)
	return s.mutate(ctx, id, nil, allow, func(c *Case) ([]string, error) {
		n := len(c.Grants)
		c.Grants = slices.DeleteFunc(c.Grants, func(g Grant) bool { return g.User == user })
		if len(c.Grants) == n {
			return nil, ErrNotFound
		}
		return []string{user}, nil
	}, func(*Case) audit.Entry { return a.entry("case.revoke", id, username) })
}

// Erase destroys the case with id when allow accepts it: the document is replaced by a
// tombstone without its data key, narrative, contact, notes or facts, and the case
// leaves every list. It returns ErrNotFound.
func (s *Store) Erase(ctx context.Context, a Actor, id string, allow func(*Case) bool) (ref string, err error) {
	defer wrap(&err, "cases.Store.Erase(%s)", id)
	err = retryConflicts(ctx, true, func() error {
		ref, err = s.eraseOnce(ctx, a, id, allow)
		return err
	})
	return ref, err
}

func (s *Store) eraseOnce(ctx context.Context, a Actor, id string, allow func(*Case) bool) (string, error) {
	unlock := s.lock(id)
	defer unlock()
	d, err := s.load(ctx, id)
	if err != nil {
		return "", err
	}
	c, _, err := open(d, s.ring)
	if err != nil {
		return "", err
	}
	if !allow(c) {
		return "", ErrNotFound
	}
	// The tombstone keeps only what explains the reference sequence and where the
	// case was listed, so that its removal from the lists can be finished after a crash.
	tomb := &caseDoc{ID: d.ID, Ref: d.Ref, Org: d.Org, RecordedBy: d.RecordedBy, RecordedAt: d.RecordedAt,
		Version: d.Version + 1, RefN: d.RefN, Pos: d.Pos,
		Erased: &Erasure{At: s.now().Truncate(time.Millisecond), By: a.UserID}}
	var revoked []string
	for _, g := range d.Grants {
		revoked = append(revoked, g.User)
	}
	op := &writeOp{kind: opErase, doc: tomb, old: d, revoked: revoked, entry: a.entry("case.erase", id, d.Ref),
		stored: bson.D{
			{Key: "_id", Value: tomb.ID}, {Key: "ref", Value: tomb.Ref}, {Key: "org", Value: tomb.Org},
			{Key: "recorded_by", Value: tomb.RecordedBy}, {Key: "recorded_at", Value: tomb.RecordedAt},
			{Key: "version", Value: tomb.Version}, {Key: "refn", Value: tomb.RefN}, {Key: "pos", Value: tomb.Pos},
			{Key: "erased", Value: tomb.Erased},
		}}
	if err := s.commit(ctx, op); errors.Is(err, errInFlight) {
		return "", ErrVersionConflict
	} else if err != nil {
		return "", err
	}
	// Erased means gone from the files too: the earlier versions of the case, of its
	// list entries and of its facts, still in the write-ahead log, go before the
	// erasure is answered.
	if s.purge != nil {
		if err := s.purge(context.WithoutCancel(ctx)); err != nil {
			return "", fmt.Errorf("the case is erased, but its earlier versions are still in the store's log: %w", err)
		}
	}
	return d.Ref, nil
}
