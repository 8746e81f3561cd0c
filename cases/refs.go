package cases

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// References are "ORG-YEAR-NNNNN", numbered per organization and year. Which number a
// case gets is decided by the unique (org, ref) index when the case is inserted, the
// one write every MongoDB-protocol store decides atomically: a process proposes the
// number after the last one it knows, and a duplicate (another server took it) makes
// it propose the next. The counter documents (ref|ORG|YEAR) are only a hint where to
// start; they are written before the cases they number, so on the single-process
// embedded store they never lag and no proposal is refused.

// refCounters is this process's knowledge of the last reference of each organization
// and year.
type refCounters struct {
	mu   sync.Mutex
	last map[string]int64 // "ORG|YEAR" → last number known taken
}

func counterID(org string, year int) string { return fmt.Sprintf("ref|%s|%d", org, year) }

func formatRef(org string, year int, seq int64) string {
	return fmt.Sprintf("%s-%d-%05d", org, year, seq)
}

// parseRef splits a reference into its year and number; ok is false for anything
// else. The organization code may itself hold dashes.
func parseRef(ref string) (year int, seq int64, ok bool) {
	i := strings.LastIndexByte(ref, '-')
	if i < 0 {
		return 0, 0, false
	}
	j := strings.LastIndexByte(ref[:i], '-')
	if j < 0 {
		return 0, 0, false
	}
	y, err1 := strconv.Atoi(ref[j+1 : i])
	n, err2 := strconv.ParseInt(ref[i+1:], 10, 64)
	if err1 != nil || err2 != nil || y < 1000 || y > 9999 || n < 1 || n >= 1e7 {
		return 0, 0, false
	}
	return y, n, true
}

// refNumber is the sort key of a reference: year×10⁷ + number (0 when malformed).
func refNumber(ref string) int64 {
	y, n, ok := parseRef(ref)
	if !ok {
		return 0
	}
	return int64(y)*1e7 + n
}

// propose returns the next number to try for org and year, reading the counter
// document the first time this process numbers that year.
func (s *Store) propose(ctx context.Context, org string, year int) (int64, error) {
	key := fmt.Sprintf("%s|%d", org, year)
	s.refs.mu.Lock()
	last, known := s.refs.last[key]
	s.refs.mu.Unlock()
	if !known {
		var doc struct {
			Seq int64 `bson:"seq"`
		}
		err := s.counters.FindOne(ctx, bson.D{{Key: "_id", Value: counterID(org, year)}}).Decode(&doc)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return 0, fmt.Errorf("read reference counter: %w", err)
		}
		last = doc.Seq
	}
	s.refs.mu.Lock()
	defer s.refs.mu.Unlock()
	if cur, ok := s.refs.last[key]; ok && cur > last {
		last = cur
	}
	s.refs.last[key] = last + 1
	return last + 1, nil
}

// taken records that org's number seq of year is used (by this process or another),
// so the next proposal goes past it.
func (s *Store) taken(org string, year int, seq int64) {
	key := fmt.Sprintf("%s|%d", org, year)
	s.refs.mu.Lock()
	defer s.refs.mu.Unlock()
	if s.refs.last[key] < seq {
		s.refs.last[key] = seq
	}
}

// forgetRefs drops what this process knows of the counters, after a rebuild or a
// restore changed them underneath.
func (s *Store) forgetRefs() {
	s.refs.mu.Lock()
	defer s.refs.mu.Unlock()
	clear(s.refs.last)
}

// highestRefs returns, per counter document, the highest number docs use.
func highestRefs(docs []*caseDoc) map[string]int64 {
	high := map[string]int64{}
	for _, d := range docs {
		if y, n, ok := parseRef(d.Ref); ok {
			id := counterID(d.Org, y)
			high[id] = max(high[id], n)
		}
	}
	return high
}

func counterModel(id string, seq int64) mongo.WriteModel {
	return mongo.NewUpdateOneModel().
		SetFilter(bson.D{{Key: "_id", Value: id}}).
		SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: seq}}}}).
		SetUpsert(true)
}

// counterModels writes the counter hints for the references of docs: the highest
// number each organization and year uses. On other stores two servers may write them
// in either order; a hint that goes back only costs refused proposals.
func counterModels(docs []*caseDoc) []mongo.WriteModel {
	var models []mongo.WriteModel
	for id, n := range highestRefs(docs) {
		models = append(models, counterModel(id, n))
	}
	return models
}

// writeCounters stores the counter hints before the cases they number.
func (s *Store) writeCounters(ctx context.Context, docs []*caseDoc) error {
	models := counterModels(docs)
	if len(models) == 0 {
		return nil
	}
	err := bulkWrite(ctx, s.counters, models, false)
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		// Two servers creating the same counter at once: the other's stands, and a
		// hint that lags only costs a refused number.
		return fmt.Errorf("reference counters: %w", err)
	}
	return nil
}
