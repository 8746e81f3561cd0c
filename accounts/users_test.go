package accounts

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestCreateUser(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	// In order on one database: the duplicates follow the original.
	tests := []struct {
		name       string
		nu         NewUser
		want       string
		wantFields map[string]string
	}{
		{"OK", NewUser{Username: " Ana.Q ", Org: "lim", Role: RoleOutreach, Password: testPassword}, "OK", nil},
		{"ErrDuplicate", NewUser{Username: "ana.q", Org: "LIM", Role: RoleLegal, Password: testPassword}, "ErrDuplicate", nil},
		{"ErrDuplicateOtherCase", NewUser{Username: "ANA.Q", Org: "LIM", Role: RoleLegal, Password: testPassword}, "ErrDuplicate", nil},
		{"InvalidEveryField", NewUser{Username: "a b", Org: "L1", Role: "boss", Password: "short", Lang: "fr"}, "Invalid", map[string]string{
			"username": "3 to 40 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
			"org":      "must be 2 to 10 letters A-Z",
			"role":     "unknown role",
			"password": "at least 10 characters",
			"lang":     "must be es or en",
		}},
		{"InvalidUnknownOrg", NewUser{Username: "bea", Org: "CAL", Role: RoleOutreach, Password: testPassword}, "Invalid",
			map[string]string{"org": "unknown organization"}},
		{"InvalidPasswordIsUsername", NewUser{Username: "rosa.maria", Org: "LIM", Role: RoleOutreach, Password: "Rosa.Maria"}, "Invalid",
			map[string]string{"password": en(problemContext)}},
		{"InvalidPasswordIsOrgAndRegistro", NewUser{Username: "bea", Org: "LIM", Role: RoleOutreach, Password: "Registro-LIM-2026"}, "Invalid",
			map[string]string{"password": en(problemContext)}},
		{"InvalidUsernameLooksLikeID", NewUser{Username: uuid.NewString(), Org: "LIM", Role: RoleOutreach, Password: testPassword}, "Invalid",
			map[string]string{"username": "must not look like an account id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.CreateUser(ctx, tt.nu)
			if got := outcome(err); got != tt.want {
				t.Fatalf("CreateUser = %s, want %s", got, tt.want)
			}
			if d := diff(tt.wantFields, invalidFields(err)); d != "" {
				t.Errorf("fields:%s", d)
			}
			if err != nil {
				return
			}
			if _, err := uuid.Parse(u.ID); err != nil {
				t.Errorf("ID %q is not a UUID", u.ID)
			}
			want := User{ID: u.ID, Username: "ana.q", Org: "LIM", Role: RoleOutreach, Lang: "es", MustChangePassword: true,
				CreatedAt: c.Now(), UpdatedAt: c.Now()}
			if d := diff(want, u); d != "" {
				t.Errorf("created:%s", d)
			}
		})
	}
}

func TestUserLookup(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	tests := []struct{ name, key, want string }{
		{"OKByID", ana.ID, "OK"},
		{"OKByUsername", "ana", "OK"},
		{"OKByUsernameOtherCase", " ANA ", "OK"},
		{"ErrNotFoundID", uuid.NewString(), "ErrNotFound"},
		{"ErrNotFoundUsername", "bea", "ErrNotFound"},
		{"ErrNotFoundMalformed", "$ne", "ErrNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.User(ctx, tt.key)
			if got := outcome(err); got != tt.want {
				t.Fatalf("User(%q) = %s, want %s", tt.key, got, tt.want)
			}
			if err == nil {
				if d := diff(ana, u); d != "" {
					t.Errorf("User:%s", d)
				}
			}
		})
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	mustCreateOrg(t, s, "CAL")
	zoe := mustCreateUser(t, s, "zoe", "LIM", RoleCoordinator)
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	mia := mustCreateUser(t, s, "mia", "CAL", RoleAdvocate)
	tests := []struct {
		name, org string
		want      []User
	}{
		{"OKAll", "", []User{ana, mia, zoe}},
		{"OKOrg", "LIM", []User{ana, zoe}},
		{"OKOrgLowerCase", "cal", []User{mia}},
		{"OKNone", "ARQ", []User{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Users(ctx, tt.org)
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("Users(%q):%s", tt.org, d)
			}
		})
	}
}

func TestUserSecretsNeverSerialized(t *testing.T) {
	t.Parallel()
	s, _, db := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	u := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	var raw bson.M
	if err := db.Collection("users").FindOne(ctx, bson.D{{Key: "_id", Value: u.ID}}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	hash, _ := raw["password_hash"].(string)
	if !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("stored password_hash = %q, want an argon2id PHC string", hash)
	}
	for _, v := range []any{u, []User{u}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{hash, "argon2", testPassword, "failures", "locked"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("JSON %s contains %q", b, secret)
			}
		}
	}
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	c.Add(time.Hour)
	role, lang, badRole, badLang, short := RoleCoordinator, "EN", Role("boss"), "fr", "short"
	tests := []struct {
		name       string
		id         string
		patch      UserPatch
		want       string
		wantFields map[string]string
	}{
		{"OKRoleAndLang", ana.ID, UserPatch{Role: &role, Lang: &lang}, "OK", nil},
		{"OKByUsername", "ANA", UserPatch{}, "OK", nil},
		{"InvalidEveryField", ana.ID, UserPatch{Role: &badRole, Lang: &badLang, Password: &short}, "Invalid",
			map[string]string{"role": "unknown role", "lang": "must be es or en", "password": "at least 10 characters"}},
		{"ErrNotFound", uuid.NewString(), UserPatch{Role: &role}, "ErrNotFound", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.UpdateUser(ctx, tt.id, tt.patch)
			if got := outcome(err); got != tt.want {
				t.Fatalf("UpdateUser = %s, want %s", got, tt.want)
			}
			if d := diff(tt.wantFields, invalidFields(err)); d != "" {
				t.Errorf("fields:%s", d)
			}
			if err != nil {
				return
			}
			want := ana
			want.Role, want.Lang, want.UpdatedAt = RoleCoordinator, "en", c.Now()
			if d := diff(want, u); d != "" {
				t.Errorf("updated:%s", d)
			}
			if stored, _ := s.User(ctx, ana.ID); diff(want, stored) != "" {
				t.Errorf("stored:%s", diff(want, stored))
			}
		})
	}
}

// A crash between the two inserts of CreateUser leaves a claim without an account;
// it must not take the username forever, nor be taken over while a creation may
// still be under way.
func TestCreateUserRepairsDanglingClaim(t *testing.T) {
	t.Parallel()
	s, c, db := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	_, err := db.Collection("usernames").InsertOne(ctx, claim{Username: "bea", UserID: uuid.NewString(), CreatedAt: c.Now()})
	if err != nil {
		t.Fatal(err)
	}
	nu := NewUser{Username: "bea", Org: "LIM", Role: RoleOutreach, Password: testPassword}
	if _, err := s.CreateUser(ctx, nu); outcome(err) != "ErrDuplicate" {
		t.Fatalf("CreateUser within the grace period = %v, want ErrDuplicate", err)
	}
	if _, err := s.User(ctx, "bea"); outcome(err) != "ErrNotFound" {
		t.Fatalf("User(bea) with a dangling claim = %v, want ErrNotFound", err)
	}
	c.Add(claimGrace)
	u, err := s.CreateUser(ctx, nu)
	if err != nil {
		t.Fatalf("CreateUser after the grace period: %v", err)
	}
	if got, err := s.User(ctx, "bea"); err != nil || got.ID != u.ID {
		t.Fatalf("User(bea) = %v, %v; want %s", got.ID, err, u.ID)
	}
}
