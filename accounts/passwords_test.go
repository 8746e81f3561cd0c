package accounts

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashPasswordFormat(t *testing.T) {
	t.Parallel()
	a, err := hashPassword(testPassword, defaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !phcRE.MatchString(a) {
		t.Errorf("hash %q does not match %s", a, phcRE)
	}
	b, _ := hashPassword(testPassword, defaultParams)
	if a == b {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestDummyHashHasCurrentParameters(t *testing.T) {
	t.Parallel()
	if !phcRE.MatchString(dummyHash) {
		t.Errorf("dummyHash %q does not use defaultParams: regenerate it with hashPassword", dummyHash)
	}
	if ok, p, err := verifyPassword(testPassword, dummyHash); ok || err != nil || p != defaultParams {
		t.Errorf("verifyPassword(dummyHash) = %v, %+v, %v", ok, p, err)
	}
}

func TestVerifyPassword(t *testing.T) {
	t.Parallel()
	def, _ := hashPassword(testPassword, defaultParams)
	// Cheaper parameters stand for hashes made before the cost was raised.
	other, _ := hashPassword(testPassword, argonParams{Memory: 8192, Time: 1, Threads: 2})
	tests := []struct {
		name, password, phc string
		want                string // "match", "mismatch" or "error"
	}{
		{"OK", testPassword, def, "match"},
		{"OKOtherParams", testPassword, other, "match"},
		{"WrongPassword", testPassword + "!", def, "mismatch"},
		{"WrongPasswordOtherParams", "Correct horse battery", other, "mismatch"},
		{"ErrNotArgon2id", testPassword, strings.Replace(def, "argon2id", "argon2i", 1), "error"},
		{"ErrVersion", testPassword, strings.Replace(def, "v=19", "v=16", 1), "error"},
		{"ErrHugeMemory", testPassword, strings.Replace(def, "m=19456", "m=99999999", 1), "error"},
		{"ErrTruncated", testPassword, def[:30], "error"},
		{"ErrEmpty", testPassword, "", "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, _, err := verifyPassword(tt.password, tt.phc)
			got := map[bool]string{true: "match", false: "mismatch"}[ok]
			if err != nil {
				got = "error"
			}
			if got != tt.want {
				t.Errorf("verifyPassword = %s (%v), want %s", got, err, tt.want)
			}
		})
	}
}

// A hash made with other parameters (before the cost was raised) keeps working.
func TestAuthenticateOtherParameters(t *testing.T) {
	t.Parallel()
	s, _, db := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	u := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	old, _ := hashPassword(testPassword, argonParams{Memory: 8192, Time: 1, Threads: 2})
	users := db.Collection("users")
	id := bson.D{{Key: "_id", Value: u.ID}}
	if _, err := users.UpdateOne(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "password_hash", Value: old}}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: testPassword}); err != nil {
		t.Errorf("SignIn with an other-parameter hash: %v", err)
	}
	if _, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: "Correct horse battery"}); outcome(err) != "ErrBadCredentials" {
		t.Errorf("SignIn with a wrong password = %v, want ErrBadCredentials", err)
	}
}
