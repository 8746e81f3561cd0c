package cases

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"registro/keyring"
)

// v7At returns a version 7 UUID carrying time at.
func v7At(tb testing.TB, at time.Time) string {
	tb.Helper()
	u, err := uuid.NewV7()
	if err != nil {
		tb.Fatal(err)
	}
	ms := uint64(at.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	return u.String()
}

// mustSeed stores a valid case by a for each time in at, with an id (and so a list
// month) of that time, and lists them with RebuildLists: through Create, most of a
// test of 120 cases would go to rewriting buckets. It returns the ids.
func mustSeed(tb testing.TB, s *Store, a Actor, at []time.Time) []string {
	tb.Helper()
	ctx := context.Background()
	var docs []any
	var ids []string
	for i, tm := range at {
		c, _, err := s.newCase(a, validInput(), testNow)
		if err != nil {
			tb.Fatal(err)
		}
		c.ID = v7At(tb, tm)
		c.RecordedAt, c.UpdatedAt, c.Consent.RecordedAt = idTime(c.ID), idTime(c.ID), idTime(c.ID)
		c.Ref = fmt.Sprintf("%s-%d-%05d", a.Org, tm.Year(), i+1)
		if c.Subject, err = RandomPseudonym(); err != nil {
			tb.Fatal(err)
		}
		key, err := keyring.NewDataKey()
		if err != nil {
			tb.Fatal(err)
		}
		w, err := s.ring.Wrap(key, caseKeyAAD(c.ID))
		if err != nil {
			tb.Fatal(err)
		}
		d, err := seal(c, key, w)
		if err != nil {
			tb.Fatal(err)
		}
		docs, ids = append(docs, d), append(ids, c.ID)
	}
	if _, err := s.cases.InsertMany(ctx, docs); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.RebuildLists(ctx); err != nil {
		tb.Fatal(err)
	}
	return ids
}

func TestListPages(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	// 120 cases over five months of uneven size, so pages cross month boundaries.
	var at []time.Time
	for _, m := range []struct{ year, month, n int }{{2025, 8, 7}, {2025, 11, 33}, {2026, 1, 25}, {2026, 2, 40}, {2026, 6, 15}} {
		for i := range m.n {
			at = append(at, time.Date(m.year, time.Month(m.month), 1, i, 7, 0, 0, time.UTC))
		}
	}
	ids := mustSeed(t, s, ana, at)
	newestFirst := slices.Clone(ids)
	slices.Reverse(newestFirst)
	tests := []struct {
		name  string
		limit int
		allow func(Summary) bool
		want  []string
		sizes []int
	}{
		{"OKPagesOf25", 25, seeAll, newestFirst, []int{25, 25, 25, 25, 20}},
		{"OKDefaultLimit50", 0, seeAll, newestFirst, []int{50, 50, 20}},
		{"OKLimitCappedAtMaxPage", 1000, seeAll, newestFirst, []int{120}},
		{"OKAllowedOnlyInPagesOf7", 7, func(e Summary) bool { return evenEnd(e.ID) }, filterIDs(newestFirst, evenEnd), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var sizes []int
			cursor := ""
			for page := 0; ; page++ {
				if page > 200 {
					t.Fatal("pagination does not end")
				}
				l, next, err := s.List(context.Background(), ListQuery{Sources: []Source{{Kind: "own", Org: "LIM", User: ana.UserID}},
					Limit: tt.limit, Cursor: cursor, Allow: tt.allow})
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(l))
				for _, e := range l {
					got = append(got, e.ID)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids over all pages (-want +got):\n%s", diff)
			}
			if tt.sizes != nil && !slices.Equal(tt.sizes, sizes) {
				t.Errorf("page sizes %v, want %v", sizes, tt.sizes)
			}
		})
	}
}

// evenEnd keeps about half of the ids: those whose last hex digit is an even byte.
func evenEnd(id string) bool { return id[len(id)-1]%2 == 0 }

func filterIDs(ids []string, keep func(string) bool) []string {
	var out []string
	for _, id := range ids {
		if keep(id) {
			out = append(out, id)
		}
	}
	return out
}

func TestListBadCursor(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	for name, cursor := range map[string]string{
		"ErrNotBase64":   "!!!",
		"ErrNotAnID":     base64.RawURLEncoding.EncodeToString([]byte("LIM-2026-00001")),
		"ErrTruncated":   base64.RawURLEncoding.EncodeToString([]byte(uuid.NewString()))[:44],
		"ErrTrailingGap": base64.RawURLEncoding.EncodeToString([]byte(uuid.NewString())) + " ",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := s.List(context.Background(), ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}, Cursor: cursor, Allow: seeAll})
			if diff := cmp.Diff(map[string]string{"cursor": "not a cursor this server gave"}, fieldsOf(t, err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}
