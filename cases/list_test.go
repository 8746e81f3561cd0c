package cases

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestListSources(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c1, c2, c3 := mustCreate(t, s, ana, validInput()), mustCreate(t, s, ana, validInput()), mustCreate(t, s, bea, validInput())
	c4 := mustCreate(t, s, carla, validInput())
	for _, g := range []struct {
		a  Actor
		id string
	}{{bea, c3.ID}, {carla, c4.ID}} {
		if _, err := s.Grant(ctx, g.a, g.id, "u-lawyer", "lawyer", testNow.Add(time.Hour), allowAll); err != nil {
			t.Fatal(err)
		}
	}
	org := func(o string) Source { return Source{Kind: "org", Org: o} }
	own := func(a Actor) Source { return Source{Kind: "own", Org: a.Org, User: a.UserID} }
	granted := func(o string) Source { return Source{Kind: "granted", Org: o, User: "u-lawyer"} }
	tests := []struct {
		name    string
		sources []Source
		allow   func(Summary) bool
		want    []string
	}{
		{"OKOwn", []Source{own(ana)}, nil, []string{c2.Ref, c1.Ref}},
		{"OKOwnOther", []Source{own(bea)}, nil, []string{c3.Ref}},
		{"OKOrg", []Source{org("LIM")}, nil, []string{c3.Ref, c2.Ref, c1.Ref}},
		{"OKOtherOrg", []Source{org("CAL")}, nil, []string{c4.Ref}},
		{"OKGranted", []Source{granted("LIM")}, nil, []string{c3.Ref}},
		{"OKGrantedOtherOrg", []Source{granted("CAL")}, nil, []string{c4.Ref}},
		{"OKOwnAndGranted", []Source{own(ana), granted("LIM")}, nil, []string{c3.Ref, c2.Ref, c1.Ref}},
		{"OKOverlappingSourcesListOnce", []Source{org("LIM"), own(ana), own(bea), granted("LIM")}, nil, []string{c3.Ref, c2.Ref, c1.Ref}},
		{"OKAllowFilters", []Source{org("LIM"), org("CAL")}, func(e Summary) bool { return e.RecordedBy == ana.UserID }, []string{c2.Ref, c1.Ref}},
		{"OKAllowSeesGrants", []Source{granted("LIM"), granted("CAL")}, func(e Summary) bool {
			return len(e.Grants) == 1 && e.Grants[0].User == "u-lawyer" && e.Grants[0].ExpiresAt.After(testNow)
		}, []string{c3.Ref, c4.Ref}}, // across organizations: by reference number
		{"OKNilAllowShowsNothing", []Source{org("LIM")}, func(Summary) bool { return false }, []string{}},
		{"OKNoSource", nil, nil, []string{}},
		{"OKUnknownUser", []Source{{Kind: "own", Org: "LIM", User: "u-nobody"}}, nil, []string{}},
		{"OKUnknownKind", []Source{{Kind: "everything", Org: "LIM"}}, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := refs(mustList(t, s, ListQuery{Sources: tt.sources, Allow: tt.allow}))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("refs (-want +got):\n%s", diff)
			}
		})
	}
	// Without a predicate nothing is shown: the list fails closed.
	l, _, err := s.List(ctx, ListQuery{Sources: []Source{org("LIM")}})
	if err != nil || len(l) != 0 {
		t.Errorf("List without Allow = %v, %v; want nothing", refs(l), err)
	}
}

func TestListSummary(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	in := validInput()
	in.Response.Status, in.Response.Outcome = "closed", "partly_resolved"
	c := mustCreate(t, s, ana, in)
	got := mustList(t, s, ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}})
	want := []Summary{{
		ID: c.ID, Ref: c.Ref, Org: "LIM", Subject: c.Subject, Incident: c.Incident,
		Perpetrators: c.Perpetrators, Violations: c.Violations, Status: "closed", Outcome: "partly_resolved",
		RecordedBy: ana.UserID, RecordedAt: c.RecordedAt, UpdatedAt: c.UpdatedAt, Version: 1,
		LegalSharing: true, Grants: []GrantSummary{},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}
