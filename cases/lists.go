package cases

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

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
	// Subject is a survivor's pseudonym (SubjectOf): her cases only.
	Subject string
	Limit   int
	Cursor  string
	Allow   func(Summary) bool
}

// MaxPage is the largest page a list returns.
const MaxPage = 200

// List returns a page of case summaries, newest reference first, and the cursor of
// the next page ("" at the end). A malformed cursor returns *validation.Error.
func (s *Store) List(ctx context.Context, q ListQuery) (_ []Summary, next string, err error) {
	defer wrap(&err, "cases.Store.List")
	after, err := decodeCursor(q.Cursor)
	if err != nil {
		return nil, "", err
	}
	if q.Limit <= 0 || q.Limit > MaxPage {
		q.Limit = min(max(q.Limit, 50), MaxPage)
	}
	var src stream
	if s.derived {
		src, err = s.chunkStream(ctx, q.Sources, after)
	} else {
		src, err = s.queryStream(ctx, q.Sources, after)
	}
	if err != nil {
		return nil, "", err
	}
	defer src.close()
	var out []Summary
	seen := map[string]bool{}
	for {
		e, ok, err := src.next()
		if err != nil {
			return nil, "", err
		}
		if !ok {
			return out, "", nil
		}
		if seen[e.ID] || (after.refn != 0 && !after.before(e)) || !q.matches(e) {
			continue
		}
		seen[e.ID] = true
		out = append(out, e)
		if len(out) > q.Limit {
			return out[:q.Limit], encodeCursor(out[q.Limit-1]), nil
		}
	}
}

// ListAll returns every entry q selects, newest reference first, paging through the
// list (q.Limit sizes the pages; q.Cursor is ignored). It is for selections that stay
// small (one survivor's cases) and for checks that must see a whole list.
func (s *Store) ListAll(ctx context.Context, q ListQuery) ([]Summary, error) {
	var out []Summary
	q.Cursor = ""
	for {
		page, next, err := s.List(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		q.Cursor = next
	}
}

// stream yields list entries newest reference first.
type stream struct {
	next  func() (Summary, bool, error)
	close func()
}

// queryStream reads the entries from the cases themselves, through the indexes that
// order each organization's cases by reference (the stores other than the embedded
// one).
func (s *Store) queryStream(ctx context.Context, sources []Source, after cursor) (stream, error) {
	var or bson.A
	for _, src := range sources {
		switch src.Kind {
		case "org":
			or = append(or, bson.D{{Key: "org", Value: src.Org}})
		case "own":
			or = append(or, bson.D{{Key: "org", Value: src.Org}, {Key: "recorded_by", Value: src.User}})
		case "granted":
			or = append(or, bson.D{{Key: "org", Value: src.Org}, {Key: "grants.user", Value: src.User}})
		}
	}
	if len(or) == 0 {
		return stream{next: func() (Summary, bool, error) { return Summary{}, false, nil }, close: func() {}}, nil
	}
	filter := bson.D{{Key: "$or", Value: or}, {Key: "erased", Value: bson.D{{Key: "$exists", Value: false}}}}
	if after.refn != 0 {
		filter = append(filter, bson.E{Key: "refn", Value: bson.D{{Key: "$lte", Value: after.refn}}})
	}
	cur, err := s.cases.Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "refn", Value: -1}, {Key: "org", Value: -1}}).SetBatchSize(MaxPage+1).
		SetProjection(bson.D{{Key: "narrative", Value: 0}, {Key: "contact", Value: 0}, {Key: "followups", Value: 0}}))
	if err != nil {
		return stream{}, err
	}
	return stream{
		next: func() (Summary, bool, error) {
			if !cur.Next(ctx) {
				return Summary{}, false, cur.Err()
			}
			var d caseDoc
			if err := cur.Decode(&d); err != nil {
				return Summary{}, false, err
			}
			return summarize(&d), true, nil
		},
		close: func() { _ = cur.Close(context.WithoutCancel(ctx)) },
	}, nil
}

// chunkStream reads the entries from the chunk documents (the embedded store). The
// organization's list holds every other list of the organization, so with it the
// others are not read.
func (s *Store) chunkStream(ctx context.Context, sources []Source, after cursor) (stream, error) {
	var feeds []*feed
	for _, src := range sources {
		if src.Kind == "org" {
			f, err := s.orgFeed(ctx, src.Org, after.refn)
			if err != nil {
				return stream{}, err
			}
			feeds = []*feed{f}
			break
		}
		switch src.Kind {
		case "own":
			var h chunkHead
			found, err := s.readDoc(ctx, s.lists, ownHead(src.Org, src.User), &h)
			if err != nil {
				return stream{}, err
			}
			var ids []string
			for k := h.N; found && k >= 0; k-- {
				ids = append(ids, ownChunkID(src.Org, src.User, k))
			}
			feeds = append(feeds, &feed{s: s, ids: ids})
		case "granted":
			feeds = append(feeds, &feed{s: s, ids: []string{grantList(src.Org, src.User)}})
		}
	}
	return stream{next: func() (Summary, bool, error) { return mergeNext(ctx, feeds) }, close: func() {}}, nil
}

// orgFeed lists the chunks of an organization's list, newest first, from the years
// it has references in and the last number of each.
func (s *Store) orgFeed(ctx context.Context, org string, after int64) (*feed, error) {
	var dir struct {
		Years []int `bson:"years"`
	}
	if _, err := s.readDoc(ctx, s.lists, orgDir(org), &dir); err != nil {
		return nil, err
	}
	slices.Sort(dir.Years)
	slices.Reverse(dir.Years)
	var ids []string
	for _, y := range dir.Years {
		if after != 0 && int64(y) > after/1e7 {
			continue
		}
		var counter struct {
			Seq int64 `bson:"seq"`
		}
		if _, err := s.readDoc(ctx, s.counters, counterID(org, y), &counter); err != nil {
			return nil, err
		}
		last := counter.Seq
		if after != 0 && int64(y) == after/1e7 {
			last = min(last, after%1e7)
		}
		for k := (last - 1) / listChunk; last > 0 && k >= 0; k-- {
			ids = append(ids, orgChunk(org, y, k*listChunk+1))
		}
	}
	return &feed{s: s, ids: ids}, nil
}

// feed yields the entries of a sequence of chunks whose references decrease from
// one chunk to the next, each chunk sorted as it is read.
type feed struct {
	s   *Store
	ids []string
	buf []Summary
}

func (f *feed) peek(ctx context.Context) (*Summary, error) {
	for len(f.buf) == 0 {
		if len(f.ids) == 0 {
			return nil, nil
		}
		es, err := f.s.bucket(ctx, f.ids[0])
		if err != nil {
			return nil, err
		}
		f.ids = f.ids[1:]
		slices.SortFunc(es, func(a, b Summary) int { return cmpRef(b, a) })
		f.buf = es
	}
	return &f.buf[0], nil
}

// cmpRef orders list entries: by reference number, then (between organizations) by
// organization code. Within one organization that is the order of recording.
func cmpRef(a, b Summary) int {
	if c := cmp.Compare(refNumber(a.Ref), refNumber(b.Ref)); c != 0 {
		return c
	}
	return strings.Compare(a.Org, b.Org)
}

// cursor is the position of the last entry of a page.
type cursor struct {
	refn int64
	org  string
}

// before reports whether e comes after the cursor's entry in a list (older).
func (c cursor) before(e Summary) bool {
	return cmpRef(e, Summary{Ref: formatRef(c.org, int(c.refn/1e7), c.refn%1e7), Org: c.org}) < 0
}

// mergeNext takes the newest entry among the feeds.
func mergeNext(ctx context.Context, feeds []*feed) (Summary, bool, error) {
	var best *feed
	var top *Summary
	for _, f := range feeds {
		e, err := f.peek(ctx)
		if err != nil {
			return Summary{}, false, err
		}
		if e != nil && (top == nil || cmpRef(*e, *top) > 0) {
			best, top = f, e
		}
	}
	if best == nil {
		return Summary{}, false, nil
	}
	e := *top
	best.buf = best.buf[1:]
	return e, true, nil
}

// readDoc decodes the document with id into v; found is false when there is none.
func (s *Store) readDoc(ctx context.Context, coll *mongo.Collection, id string, v any) (bool, error) {
	err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(v)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, err
}

func (s *Store) bucket(ctx context.Context, id string) ([]Summary, error) {
	var b struct {
		E map[string][]byte `bson:"e"`
	}
	if _, err := s.readDoc(ctx, s.lists, id, &b); err != nil {
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
		q.Subject != "" && e.Subject != q.Subject,
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

// A cursor is the reference of the last entry of a page.
func encodeCursor(e Summary) string {
	return base64.RawURLEncoding.EncodeToString([]byte(e.Org + "|" + strconv.FormatInt(refNumber(e.Ref), 10)))
}

func decodeCursor(c string) (cursor, error) {
	if c == "" {
		return cursor{}, nil
	}
	bad := validation.Field("cursor", validation.Cursor)
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return cursor{}, bad
	}
	org, num, ok := strings.Cut(string(b), "|")
	n, perr := strconv.ParseInt(num, 10, 64)
	if !ok || org == "" || perr != nil || n < 1000*1e7 || n > 9999*1e7+1e7-1 {
		return cursor{}, bad
	}
	return cursor{refn: n, org: org}, nil
}
