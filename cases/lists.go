package cases

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

// The embedded store scans a whole collection for any filter but {_id: value}, so the
// lists ("my cases", "the organization's cases", "cases shared with me") are kept as
// bucket documents addressed by _id: one per list and month of recording, holding a
// short summary of each case keyed by case id, plus one directory per list naming its
// months. A page reads the directory and the newest buckets, never the cases. The
// bucket pattern is as sound on MongoDB. The cases stay the source of truth: buckets
// are written after the case and RebuildLists recomputes them. Each summary is kept
// BSON-encoded in one binary value: the embedded store's cost is per value, and a
// bucket is rewritten whole by every write to one of its cases.
//
//	o|ORG                  directory of the organization's list {months: [...]}
//	o|ORG|2026-05          bucket {e: {<case id>: binary BSON summary}}
//	u|ORG|USER             directory of the cases USER recorded
//	u|ORG|USER|2026-05     bucket
//	g|ORG|USER             one bucket of the cases shared with USER

// Summary is what a list shows of a case: no narrative, contact or notes.
type Summary struct {
	ID           string         `bson:"id" json:"id"`
	Ref          string         `bson:"ref" json:"ref"`
	Org          string         `bson:"org" json:"org"`
	Subject      string         `bson:"subject" json:"subject"`
	Incident     Incident       `bson:"incident" json:"incident"`
	Perpetrators []string       `bson:"perpetrators" json:"perpetrators"`
	Violations   []string       `bson:"violations" json:"violations"`
	Status       string         `bson:"status" json:"status"`
	Outcome      string         `bson:"outcome" json:"outcome,omitempty"`
	RecordedBy   string         `bson:"recorded_by" json:"recorded_by"`
	RecordedAt   time.Time      `bson:"recorded_at" json:"recorded_at"`
	UpdatedAt    time.Time      `bson:"updated_at" json:"updated_at"`
	Version      int64          `bson:"version" json:"version"`
	LegalSharing bool           `bson:"legal_sharing" json:"-"`
	Grants       []GrantSummary `bson:"grants" json:"-"`
}

// GrantSummary is the part of a grant that authorization needs.
type GrantSummary struct {
	User      string    `bson:"user"`
	ExpiresAt time.Time `bson:"expires_at"`
}

func summarize(d *caseDoc) Summary {
	s := Summary{
		ID: d.ID, Ref: d.Ref, Org: d.Org, Subject: d.Subject, Incident: d.Incident,
		Perpetrators: d.Perpetrators, Violations: d.Violations, Status: d.Response.Status,
		Outcome: d.Response.Outcome, RecordedBy: d.RecordedBy, RecordedAt: d.RecordedAt,
		UpdatedAt: d.UpdatedAt, Version: d.Version, LegalSharing: d.Consent.LegalSharing,
		Grants: make([]GrantSummary, 0, len(d.Grants)),
	}
	for _, g := range d.Grants {
		s.Grants = append(s.Grants, GrantSummary{User: g.User, ExpiresAt: g.ExpiresAt})
	}
	return s
}

// monthOf is the month of a case's creation, read from its time-ordered id.
func monthOf(id string) string { return idTime(id).Format("2006-01") }

// idTime is the creation time carried by a version 7 UUID, to the millisecond; the
// case's recorded_at is this time, so lists and records agree on the month.
func idTime(id string) time.Time {
	u, err := uuid.Parse(id)
	if err != nil {
		return time.Time{}
	}
	sec, nsec := u.Time().UnixTime()
	return time.Unix(sec, nsec).UTC().Truncate(time.Millisecond)
}

func orgList(org string) string         { return "o|" + org }
func ownList(org, user string) string   { return "u|" + org + "|" + user }
func grantList(org, user string) string { return "g|" + org + "|" + user }

// indexCase writes the summary of d into every list it belongs to, and removes it
// from the grant lists of users in revoked (grants that no longer hold).
func (s *Store) indexCase(ctx context.Context, d *caseDoc, revoked []string) error {
	defer s.lockShared()()
	m := monthOf(d.ID)
	var models []mongo.WriteModel
	for _, list := range []string{orgList(d.Org), ownList(d.Org, d.RecordedBy)} {
		if _, known := s.months.Load(list + "|" + m); !known {
			models = append(models, mongo.NewUpdateOneModel().
				SetFilter(bson.D{{Key: "_id", Value: list}}).
				SetUpdate(bson.D{{Key: "$addToSet", Value: bson.D{{Key: "months", Value: m}}}}).
				SetUpsert(true))
		}
	}
	sum, err := bson.Marshal(summarize(d))
	if err != nil {
		return err
	}
	set := bson.D{{Key: "$set", Value: bson.D{{Key: "e." + d.ID, Value: sum}}}}
	buckets := []string{orgList(d.Org) + "|" + m, ownList(d.Org, d.RecordedBy) + "|" + m}
	for _, g := range d.Grants {
		buckets = append(buckets, grantList(d.Org, g.User))
	}
	for _, b := range buckets {
		models = append(models, mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: b}}).SetUpdate(set).SetUpsert(true))
	}
	for _, u := range revoked {
		models = append(models, unsetModel(grantList(d.Org, u), d.ID))
	}
	if _, err := s.lists.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
		return fmt.Errorf("update lists: %w", err)
	}
	s.months.Store(orgList(d.Org)+"|"+m, true)
	s.months.Store(ownList(d.Org, d.RecordedBy)+"|"+m, true)
	return nil
}

func unsetModel(bucket, id string) mongo.WriteModel {
	return mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: bucket}}).
		SetUpdate(bson.D{{Key: "$unset", Value: bson.D{{Key: "e." + id, Value: ""}}}})
}

// unindexCase removes an erased case from every list.
func (s *Store) unindexCase(ctx context.Context, d *caseDoc) error {
	defer s.lockShared()()
	m := monthOf(d.ID)
	models := []mongo.WriteModel{
		unsetModel(orgList(d.Org)+"|"+m, d.ID),
		unsetModel(ownList(d.Org, d.RecordedBy)+"|"+m, d.ID),
	}
	for _, g := range d.Grants {
		models = append(models, unsetModel(grantList(d.Org, g.User), d.ID))
	}
	if _, err := s.lists.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
		return fmt.Errorf("update lists: %w", err)
	}
	return nil
}

// Source names one list a caller may read: the organization's, the cases a user
// recorded, or the cases shared with a user.
type Source struct {
	Kind string // "org", "own" or "granted"
	Org  string
	User string
}

// ListQuery selects a page of cases. Allow is the caller's authorization predicate:
// every entry passes it before it is returned, whatever list it came from.
type ListQuery struct {
	Sources     []Source
	From, To    string // incident dates, YYYY-MM-DD, inclusive
	District    string
	Perpetrator string
	Violation   string
	Status      string
	Limit       int
	Cursor      string
	Allow       func(Summary) bool
}

// MaxPage is the largest page a list returns.
const MaxPage = 200

// List returns a page of case summaries, newest first, and the cursor of the next
// page ("" at the end). A malformed cursor returns *validation.Error.
func (s *Store) List(ctx context.Context, q ListQuery) (_ []Summary, next string, err error) {
	defer wrap(&err, "cases.Store.List")
	after, err := decodeCursor(q.Cursor)
	if err != nil {
		return nil, "", err
	}
	if q.Limit <= 0 || q.Limit > MaxPage {
		q.Limit = min(max(q.Limit, 50), MaxPage)
	}
	months, granted, err := s.listSources(ctx, q.Sources)
	if err != nil {
		return nil, "", err
	}
	var out []Summary
	for _, m := range months {
		if after != "" && m > monthOf(after) {
			continue
		}
		entries, err := s.monthEntries(ctx, q.Sources, m, granted)
		if err != nil {
			return nil, "", err
		}
		for _, e := range entries {
			if (after == "" || e.ID < after) && q.matches(e) {
				out = append(out, e)
				if len(out) > q.Limit {
					return out[:q.Limit], encodeCursor(out[q.Limit-1].ID), nil
				}
			}
		}
	}
	return out, "", nil
}

// listSources reads the directories of the sources: every month that holds cases, newest
// first, and the shared cases (one bucket per grantee, grouped by month).
func (s *Store) listSources(ctx context.Context, sources []Source) ([]string, map[string][]Summary, error) {
	monthSet := map[string]bool{}
	granted := map[string][]Summary{}
	for _, src := range sources {
		switch src.Kind {
		case "org", "own":
			id := orgList(src.Org)
			if src.Kind == "own" {
				id = ownList(src.Org, src.User)
			}
			var dir struct {
				Months []string `bson:"months"`
			}
			err := s.lists.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&dir)
			if err != nil && err != mongo.ErrNoDocuments {
				return nil, nil, err
			}
			for _, m := range dir.Months {
				monthSet[m] = true
			}
		case "granted":
			entries, err := s.bucket(ctx, grantList(src.Org, src.User))
			if err != nil {
				return nil, nil, err
			}
			for _, e := range entries {
				m := monthOf(e.ID)
				monthSet[m] = true
				granted[m] = append(granted[m], e)
			}
		}
	}
	months := make([]string, 0, len(monthSet))
	for m := range monthSet {
		months = append(months, m)
	}
	slices.Sort(months)
	slices.Reverse(months)
	return months, granted, nil
}

// monthEntries merges the entries of month m from every source, newest first.
func (s *Store) monthEntries(ctx context.Context, sources []Source, m string, granted map[string][]Summary) ([]Summary, error) {
	seen := map[string]bool{}
	var all []Summary
	add := func(es []Summary) {
		for _, e := range es {
			if !seen[e.ID] {
				seen[e.ID] = true
				all = append(all, e)
			}
		}
	}
	for _, src := range sources {
		var id string
		switch src.Kind {
		case "org":
			id = orgList(src.Org) + "|" + m
		case "own":
			id = ownList(src.Org, src.User) + "|" + m
		default:
			continue
		}
		es, err := s.bucket(ctx, id)
		if err != nil {
			return nil, err
		}
		add(es)
	}
	add(granted[m])
	slices.SortFunc(all, func(a, b Summary) int { return strings.Compare(b.ID, a.ID) })
	return all, nil
}

func (s *Store) bucket(ctx context.Context, id string) ([]Summary, error) {
	var b struct {
		E map[string][]byte `bson:"e"`
	}
	err := s.lists.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&b)
	if err == mongo.ErrNoDocuments {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(b.E))
	for _, raw := range b.E {
		var e Summary
		if err := bson.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("list %s: %w", id, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (q *ListQuery) matches(e Summary) bool {
	if q.Allow == nil || !q.Allow(e) {
		return false
	}
	start := periodStart(e.Incident.Date)
	switch {
	case q.From != "" && start < q.From,
		q.To != "" && start > q.To,
		q.District != "" && e.Incident.District != q.District,
		q.Status != "" && e.Status != q.Status,
		q.Perpetrator != "" && !slices.Contains(e.Perpetrators, q.Perpetrator),
		q.Violation != "" && !slices.Contains(e.Violations, q.Violation):
		return false
	}
	return true
}

// periodStart turns "2026-05" or "2026" into the first day of that period.
func periodStart(date string) string {
	switch len(date) {
	case 4:
		return date + "-01-01"
	case 7:
		return date + "-01"
	}
	return date
}

func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || uuid.Validate(string(b)) != nil {
		return "", validation.Field("cursor", "not a cursor this server gave")
	}
	return string(b), nil
}
