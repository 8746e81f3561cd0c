package audit

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"registro/validation"
)

// TestEntriesPages pages through 120 entries with each filter and compares the pages
// with the same filter applied to what Append returned.
func TestEntriesPages(t *testing.T) {
	l, _ := newTestLog(t)
	all := seed(t, l, "CAL", 120)
	seed(t, l, "LIM", 5) // another organization's entries never show
	at := func(seq int) time.Time { return all[seq-1].Time }

	for _, tc := range []struct {
		name  string
		f     Filter
		match func(Entry) bool
	}{
		{"All", Filter{}, func(Entry) bool { return true }},
		{"Before", Filter{Before: 50}, func(e Entry) bool { return e.Seq < 50 }},
		{"Action", Filter{Action: "login"}, func(e Entry) bool { return e.Action == "login" }},
		{"Actor", Filter{Actor: "u1"}, func(e Entry) bool { return e.Actor == "u1" }},
		{"Object", Filter{Object: "case-3"}, func(e Entry) bool { return e.Object == "case-3" }},
		{"ActionAndActor", Filter{Action: "case.read", Actor: "u2"}, func(e Entry) bool {
			return e.Action == "case.read" && e.Actor == "u2"
		}},
		{"TimeRange", Filter{From: at(30), To: at(60)}, func(e Entry) bool { return e.Seq >= 30 && e.Seq < 60 }},
		{"From", Filter{From: at(100)}, func(e Entry) bool { return e.Seq >= 100 }},
		{"ToAndBefore", Filter{To: at(90), Before: 40}, func(e Entry) bool { return e.Seq < 40 }},
		{"NoMatch", Filter{Action: "org.create"}, func(Entry) bool { return false }},
	} {
		var want []Entry
		for _, e := range slices.Backward(all) {
			if tc.match(e) {
				want = append(want, e)
			}
		}
		for _, limit := range []int{7, 50} {
			t.Run(tc.name, func(t *testing.T) {
				f := tc.f
				f.Org, f.Limit = "CAL", limit
				var got []Entry
				for pages := 0; ; pages++ {
					page, next, err := l.Entries(context.Background(), f)
					if err != nil {
						t.Fatal(err)
					}
					if len(page) > limit || pages > 20 {
						t.Fatalf("page of %d entries (limit %d), page %d", len(page), limit, pages)
					}
					got = append(got, page...)
					if next == 0 {
						break
					}
					f.Before = next
				}
				if d := cmp.Diff(seqsOf(want), seqsOf(got)); d != "" {
					t.Errorf("limit %d seqs:\n%s", limit, d)
				} else if d := cmp.Diff(want, got); d != "" {
					t.Errorf("limit %d entries:\n%s", limit, d)
				}
			})
		}
	}
}

func TestEntriesNext(t *testing.T) {
	l, _ := newTestLog(t)
	seed(t, l, "CAL", 120)
	for _, tc := range []struct {
		name     string
		f        Filter
		wantLen  int
		wantNext int64
	}{
		{"DefaultLimit", Filter{}, DefaultLimit, 71},
		{"SecondPage", Filter{Before: 71}, 50, 21},
		{"LastPage", Filter{Before: 21}, 20, 0},
		{"ExactlyOnePage", Filter{Before: 51}, 50, 0},
		{"MaxLimit", Filter{Limit: 1000}, 120, 0},
		{"BeforeBeyondEnd", Filter{Before: 1_000_000, Limit: 10}, 10, 111},
		{"FilteredFull", Filter{Action: "login", Limit: 40}, 40, 0}, // seqs 2, 5, … 119
		{"FilteredMore", Filter{Action: "login", Limit: 39}, 39, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Org = "CAL"
			got, next, err := l.Entries(context.Background(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.wantLen || next != tc.wantNext {
				t.Errorf("got %d entries, next %d; want %d, next %d", len(got), next, tc.wantLen, tc.wantNext)
			}
		})
	}
}

func TestEntriesEmptyAndInvalid(t *testing.T) {
	l, _ := newTestLog(t)
	got, next, err := l.Entries(context.Background(), Filter{Org: "CAL"})
	if err != nil || next != 0 || got == nil || len(got) != 0 {
		t.Errorf("empty log: %v, next %d, err %v; want [], 0, nil", got, next, err)
	}
	for _, tc := range []struct {
		name string
		f    Filter
		want map[string]string
	}{
		{"ErrOrgRequired", Filter{}, map[string]string{"org": "required"}},
		{"ErrBeforeNegative", Filter{Org: "CAL", Before: -1}, map[string]string{"before": "must not be negative"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := l.Entries(context.Background(), tc.f)
			var verr *validation.Error
			if !errors.As(err, &verr) {
				t.Fatalf("error = %v, want *validation.Error", err)
			}
			if d := cmp.Diff(tc.want, verr.Messages()); d != "" {
				t.Error(d)
			}
		})
	}
}
