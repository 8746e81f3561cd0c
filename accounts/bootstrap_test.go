package accounts

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestBootstrap(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	res, err := s.Bootstrap(ctx, "red", "Red Nacional", "")
	if err != nil {
		t.Fatal(err)
	}
	if !generatedRE.MatchString(res.Password) {
		t.Errorf("generated password %q: want four groups of four letters", res.Password)
	}
	want := BootstrapResult{Created: true, Org: "RED", Username: "admin", Password: res.Password, Generated: true}
	if d := diff(want, res); d != "" {
		t.Errorf("first Bootstrap:%s", d)
	}
	u, _, err := s.SignIn(ctx, Attempt{Username: "admin", Password: res.Password})
	if err != nil {
		t.Fatalf("SignIn with the generated password: %v", err)
	}
	if u.Role != RoleAdmin || u.Org != "RED" || !u.MustChangePassword {
		t.Errorf("admin account: role %s in %s, must change %v; want admin in RED, must change", u.Role, u.Org, u.MustChangePassword)
	}
	if o, err := s.Org(ctx, "RED"); err != nil || o.Name != "Red Nacional" || o.Threshold != 5 {
		t.Errorf("Org(RED) = %+v, %v", o, err)
	}

	again, err := s.Bootstrap(ctx, "OTRA", "Otra", "")
	if err != nil || again != (BootstrapResult{}) {
		t.Errorf("second Bootstrap = %+v, %v; want Created=false and nothing else", again, err)
	}
	if orgs, _ := s.Orgs(ctx); len(orgs) != 1 {
		t.Errorf("orgs after the second Bootstrap: %v", orgs)
	}
}

func TestBootstrapInputs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, code, orgName, password string
		existingOrg                   bool
		want                          string
		wantFields                    map[string]string
	}{
		{"OKGivenPassword", "LIM", "Red Lima", "given password 123", false, "Created", nil},
		{"OKExistingOrgDoesNothing", "CAL", "Callao", "", true, "NotCreated", nil},
		{"InvalidEveryField", "1", "", "short", false, "Invalid",
			map[string]string{"code": "must be 2 to 10 letters A-Z", "name": "required", "password": "at least 10 characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := newStore(t, Options{})
			if tt.existingOrg {
				mustCreateOrg(t, s, "LIM")
			}
			res, err := s.Bootstrap(ctx, tt.code, tt.orgName, tt.password)
			got := outcome(err)
			if err == nil {
				got = map[bool]string{true: "Created", false: "NotCreated"}[res.Created]
			}
			if got != tt.want {
				t.Fatalf("Bootstrap = %s (%+v), want %s", got, res, tt.want)
			}
			if d := diff(tt.wantFields, invalidFields(err)); d != "" {
				t.Errorf("fields:%s", d)
			}
			if !res.Created {
				if users, _ := s.Users(ctx, ""); len(users) != 0 {
					t.Errorf("accounts created: %v", users)
				}
				return
			}
			if res.Generated || res.Password != "" {
				t.Errorf("result %+v: a given password must not be echoed", res)
			}
			if _, _, err := s.SignIn(ctx, Attempt{Username: "admin", Password: tt.password}); err != nil {
				t.Errorf("SignIn with the given password: %v", err)
			}
		})
	}
}

// Several processes starting at once on an empty database: one bootstraps.
func TestBootstrapConcurrent(t *testing.T) {
	t.Parallel()
	_, _, db := newStore(t, Options{})
	ctx := context.Background()
	results := make([]BootstrapResult, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range results {
		s := NewStore(db.Database, Options{}) // a store per "process"
		wg.Go(func() { results[i], errs[i] = s.Bootstrap(ctx, "LIM", "Red Lima", "") })
	}
	wg.Wait()
	created := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Errorf("Bootstrap #%d: %v", i, errs[i])
		}
		if r.Created {
			created++
		}
	}
	s := NewStore(db.Database, Options{})
	orgs, _ := s.Orgs(ctx)
	users, _ := s.Users(ctx, "")
	if created != 1 || len(orgs) != 1 || len(users) != 1 {
		t.Errorf("Created %d times, %d orgs, %d accounts; want 1 each", created, len(orgs), len(users))
	}
}

// A bootstrap interrupted between its writes is finished by the next start once its
// lease has run out, whether or not it had created the account; the password the
// resumed bootstrap reports is the one that works.
func TestBootstrapResumes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		withAccount bool
	}{{"OKOrgOnly", false}, {"OKOrgAndAccount", true}} {
		t.Run(tt.name, func(t *testing.T) {
			s, c, db := newStore(t, Options{})
			ctx := context.Background()
			mark := &bootstrapMark{Owner: uuid.NewString(), Since: c.Now()}
			o := Org{Code: "LIM", Name: "Red Lima", Threshold: 5, CreatedAt: c.Now()}
			if _, err := db.Collection("orgs").InsertOne(ctx, orgDoc{Org: o, Bootstrap: mark}); err != nil {
				t.Fatal(err)
			}
			if tt.withAccount {
				mustCreateUser(t, s, "admin", "LIM", RoleAdmin)
			}
			if res, err := s.Bootstrap(ctx, "OTRA", "Otra", ""); err != nil || res.Created {
				t.Fatalf("Bootstrap within the lease = %+v, %v; want Created=false", res, err)
			}
			c.Add(bootstrapLease)
			res, err := s.Bootstrap(ctx, "OTRA", "Otra", "")
			if err != nil || !res.Created || res.Org != "LIM" {
				t.Fatalf("Bootstrap after the lease = %+v, %v; want Created in LIM", res, err)
			}
			if _, _, err := s.SignIn(ctx, Attempt{Username: "admin", Password: res.Password}); err != nil {
				t.Errorf("SignIn with the reported password: %v", err)
			}
			var raw bson.M
			_ = db.Collection("orgs").FindOne(ctx, bson.D{{Key: "_id", Value: "LIM"}}).Decode(&raw)
			if _, ok := raw["bootstrap"]; ok {
				t.Errorf("bootstrap mark left on %v", raw)
			}
			c.Add(time.Hour)
			if res, err := s.Bootstrap(ctx, "OTRA", "Otra", ""); err != nil || res.Created {
				t.Errorf("Bootstrap after completion = %+v, %v; want Created=false", res, err)
			}
		})
	}
}
