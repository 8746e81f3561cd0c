package accounts

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCreateOrg(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{})
	ctx := context.Background()
	// The cases run in order on one database: the duplicates follow the originals.
	tests := []struct {
		name, code, orgName string
		want                string
		wantFields          map[string]string
	}{
		{"OK", "LIM", "Red Trabajadoras Sexuales Lima", "OK", nil},
		{"OKLowerCaseCode", "cal", "Sindicato Callao", "OK", nil},
		{"ErrDuplicate", "LIM", "Otra", "ErrDuplicate", nil},
		{"ErrDuplicateOtherCase", "lim", "Otra", "ErrDuplicate", nil},
		{"InvalidBoth", "L1", "  ", "Invalid", map[string]string{"code": "must be 2 to 10 letters A-Z", "name": "required"}},
		{"InvalidLongCode", "ABCDEFGHIJK", "x", "Invalid", map[string]string{"code": "must be 2 to 10 letters A-Z"}},
		{"InvalidLongName", "ARQ", strings.Repeat("ñ", 121), "Invalid", map[string]string{"name": "at most 120 characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := s.CreateOrg(ctx, tt.code, tt.orgName)
			if got := outcome(err); got != tt.want {
				t.Fatalf("CreateOrg(%q, %q) = %s, want %s", tt.code, tt.orgName, got, tt.want)
			}
			if d := diff(tt.wantFields, invalidFields(err)); d != "" {
				t.Errorf("fields:%s", d)
			}
			if err != nil {
				return
			}
			want := Org{Code: strings.ToUpper(tt.code), Name: tt.orgName, Threshold: 5, CreatedAt: c.Now()}
			if d := diff(want, o); d != "" {
				t.Errorf("created:%s", d)
			}
			stored, err := s.Org(ctx, tt.code)
			if err != nil {
				t.Fatalf("Org: %v", err)
			}
			if d := diff(want, stored); d != "" {
				t.Errorf("stored:%s", d)
			}
		})
	}
}

func TestOrgsAndThreshold(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	if orgs, err := s.Orgs(ctx); err != nil || len(orgs) != 0 {
		t.Fatalf("Orgs on empty database = %v, %v; want [], nil", orgs, err)
	}
	lim := mustCreateOrg(t, s, "LIM")
	cal := mustCreateOrg(t, s, "CAL")
	orgs, err := s.Orgs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]Org{cal, lim}, orgs); d != "" {
		t.Errorf("Orgs:%s", d)
	}
	if _, err := s.Org(ctx, "XYZ"); outcome(err) != "ErrNotFound" {
		t.Errorf("Org(XYZ) = %v, want ErrNotFound", err)
	}

	tests := []struct {
		name, code string
		k          int
		want       string
	}{
		{"OK", "LIM", 3, "OK"},
		{"OKMax", "cal", 100, "OK"},
		{"InvalidLow", "LIM", 2, "Invalid"},
		{"InvalidHigh", "LIM", 101, "Invalid"},
		{"ErrNotFound", "XYZ", 10, "ErrNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := s.SetThreshold(ctx, tt.code, tt.k)
			if got := outcome(err); got != tt.want {
				t.Fatalf("SetThreshold(%s, %d) = %s, want %s", tt.code, tt.k, got, tt.want)
			}
			if err != nil {
				if tt.want == "Invalid" && invalidFields(err)["threshold"] == "" {
					t.Errorf("fields = %v, want threshold", invalidFields(err))
				}
				return
			}
			stored, _ := s.Org(ctx, tt.code)
			if o.Threshold != tt.k || stored.Threshold != tt.k {
				t.Errorf("threshold returned %d, stored %d; want %d", o.Threshold, stored.Threshold, tt.k)
			}
		})
	}
}

// TestShareDays: 180 days unless the organization set its own, within 1…730.
func TestShareDays(t *testing.T) {
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	lim := mustCreateOrg(t, s, "LIM")
	if lim.MaxShare() != 180*24*time.Hour {
		t.Fatalf("default share: %v", lim.MaxShare())
	}
	for _, bad := range []int{0, -1, 731} {
		if _, err := s.SetShareDays(ctx, "LIM", bad); outcome(err) != "Invalid" {
			t.Errorf("SetShareDays(%d) = %v", bad, err)
		}
	}
	o, err := s.SetShareDays(ctx, "lim", 30)
	if err != nil || o.MaxShare() != 30*24*time.Hour {
		t.Fatalf("SetShareDays(30) = %+v, %v", o, err)
	}
	if o, _ := s.Org(ctx, "LIM"); o.ShareDays != 30 {
		t.Errorf("stored share days %d", o.ShareDays)
	}
	if _, err := s.SetShareDays(ctx, "XYZ", 30); outcome(err) != "ErrNotFound" {
		t.Errorf("unknown org: %v", err)
	}
}
