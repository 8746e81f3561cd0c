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
// bucket documents addressed by _id: one per list and day or month of recording, holding a
// short summary of each case keyed by case id, plus one directory per list naming its
// periods. A page reads the directory and the newest buckets, never the cases. The
// bucket pattern is as sound on MongoDB. The cases stay the source of truth: buckets
// are written after the case and RebuildLists recomputes them. Each summary is kept
// BSON-encoded in one binary value: the embedded store's cost is per value, and a
// bucket is rewritten whole by every write to one of its cases.
//
//	o|ORG                  directory of the organization's list {periods: [days]}
//	o|ORG|2026-05-14       bucket of a day {e: {<case id>: binary BSON summary}}
//	u|ORG|USER             directory of the cases USER recorded {periods: [months]}
//	u|ORG|USER|2026-05     bucket of a month
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

// bucketPeriod names the bucket of a case within the list dir. The organization's
// list is long and busy: a bucket per day keeps small the document every write to one
// of its cases rewrites. A worker's own list is short: a bucket per month keeps a page
// to a few reads.
func bucketPeriod(dir, id string) string {
	if strings.HasPrefix(dir, "o|") {
		return idTime(id).Format(time.DateOnly)
	}
	return monthOf(id)
}

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
	var models []mongo.WriteModel
	var buckets []string
	for _, dir := range []string{orgList(d.Org), ownList(d.Org, d.RecordedBy)} {
		p := bucketPeriod(dir, d.ID)
		buckets = append(buckets, dir+"|"+p)
		if _, known := s.known.Load(dir + "|" + p); !known {
			models = append(models, mongo.NewUpdateOneModel().
				SetFilter(bson.D{{Key: "_id", Value: dir}}).
				SetUpdate(bson.D{{Key: "$addToSet", Value: bson.D{{Key: "periods", Value: p}}}}).
				SetUpsert(true))
		}
	}
	sum, err := bson.Marshal(summarize(d))
	if err != nil {
		return err
	}
	set := bson.D{{Key: "$set", Value: bson.D{{Key: "e." + d.ID, Value: sum}}}}
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
	for _, b := range buckets[:2] {
		s.known.Store(b, true) // the directory names this period now
	}
	return nil
}

func unsetModel(bucket, id string) mongo.WriteModel {
	return mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: bucket}}).
		SetUpdate(bson.D{{Key: "$unset", Value: bson.D{{Key: "e." + id, Value: ""}}}})
}

// unindexCase removes an erased case from every list.
func (s *Store) unindexCase(ctx context.Context, d *caseDoc) error {
	defer s.lockShared()()
	var models []mongo.WriteModel
	for _, dir := range []string{orgList(d.Org), ownList(d.Org, d.RecordedBy)} {
		models = append(models, unsetModel(dir+"|"+bucketPeriod(dir, d.ID), d.ID))
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
	plan, err := s.planList(ctx, q.Sources)
	if err != nil {
		return nil, "", err
	}
	var out []Summary
	for _, p := range plan.periods {
		if after != "" && p.key > plan.keyOf(after) {
			continue
		}
		entries, err := s.periodEntries(ctx, p)
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

// listPlan is the order in which a list reads its buckets: periods newest first,
// each naming the buckets (and shared cases) that hold its entries.
type listPlan struct {
	periods []listPeriod
	keyOf   func(id string) string
}

type listPeriod struct {
	key     string
	buckets []string
	extra   []Summary
}

// planList reads the directories of the sources. The organization's list holds every
// other list of the organization, so with it the others are not read; without it, a
// worker's own months and the cases shared with her merge month by month.
func (s *Store) planList(ctx context.Context, sources []Source) (listPlan, error) {
	for _, src := range sources {
		if src.Kind != "org" {
			continue
		}
		dir := orgList(src.Org)
		periods, err := s.directory(ctx, dir)
		if err != nil {
			return listPlan{}, err
		}
		plan := listPlan{keyOf: func(id string) string { return bucketPeriod(dir, id) }}
		for _, p := range periods {
			plan.periods = append(plan.periods, listPeriod{key: p, buckets: []string{dir + "|" + p}})
		}
		return plan, nil
	}
	byMonth := map[string]*listPeriod{}
	at := func(m string) *listPeriod {
		if byMonth[m] == nil {
			byMonth[m] = &listPeriod{key: m}
		}
		return byMonth[m]
	}
	for _, src := range sources {
		switch src.Kind {
		case "own":
			dir := ownList(src.Org, src.User)
			months, err := s.directory(ctx, dir)
			if err != nil {
				return listPlan{}, err
			}
			for _, m := range months {
				p := at(m)
				p.buckets = append(p.buckets, dir+"|"+m)
			}
		case "granted":
			entries, err := s.bucket(ctx, grantList(src.Org, src.User))
			if err != nil {
				return listPlan{}, err
			}
			for _, e := range entries {
				p := at(monthOf(e.ID))
				p.extra = append(p.extra, e)
			}
		}
	}
	plan := listPlan{keyOf: monthOf}
	for _, p := range byMonth {
		plan.periods = append(plan.periods, *p)
	}
	slices.SortFunc(plan.periods, func(a, b listPeriod) int { return strings.Compare(b.key, a.key) })
	return plan, nil
}

// directory returns the periods a list holds cases in, newest first.
func (s *Store) directory(ctx context.Context, id string) ([]string, error) {
	var dir struct {
		Periods []string `bson:"periods"`
	}
	err := s.lists.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&dir)
	if err != nil && err != mongo.ErrNoDocuments {
		return nil, err
	}
	slices.Sort(dir.Periods)
	slices.Reverse(dir.Periods)
	return dir.Periods, nil
}

// periodEntries merges the entries of one period from its buckets, newest first.
func (s *Store) periodEntries(ctx context.Context, p listPeriod) ([]Summary, error) {
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
	for _, id := range p.buckets {
		es, err := s.bucket(ctx, id)
		if err != nil {
			return nil, err
		}
		add(es)
	}
	add(p.extra)
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
