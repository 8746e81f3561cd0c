package accounts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// guard makes the username guarded with ten failures from ten other addresses.
func guard(tb testing.TB, s *Store, username string) {
	tb.Helper()
	for i := range accountLimit {
		_, _, _ = s.SignIn(context.Background(), Attempt{Username: username, Password: wrongPassword, Client: fmt.Sprintf("198.51.100.%d", i)})
	}
	if _, _, err := s.SignIn(context.Background(), Attempt{Username: username, Password: testPassword, Client: "elsewhere"}); outcome(err) != "ErrThrottled" {
		tb.Fatalf("after %d failures: SignIn = %v, want ErrThrottled", accountLimit, err)
	}
}

// trusted reports whether device lets ana through a guard on her username.
func trusted(tb testing.TB, s *Store, device string) bool {
	tb.Helper()
	_, _, err := s.SignIn(context.Background(), Attempt{Username: "ana", Password: testPassword, Client: "elsewhere", Device: device})
	return err == nil
}

func TestDeviceToken(t *testing.T) {
	t.Parallel()
	s, c, db := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	mustCreateUser(t, s, "bea", "LIM", RoleOutreach)
	_, g := mustSignIn(t, s, Attempt{Username: "ana", Password: testPassword, Client: "home"})
	_, beaPhone := mustSignIn(t, s, Attempt{Username: "bea", Password: testPassword, Client: "home"})

	// Stored by its SHA-256 only, bound to her, for 90 days.
	raw, err := base64.RawURLEncoding.DecodeString(g.Device)
	if err != nil || len(raw) != 32 {
		t.Fatalf("device token %q: want 32 random bytes in base64url", g.Device)
	}
	sum := sha256.Sum256([]byte(g.Device))
	var d deviceDoc
	if err := db.Collection("devices").FindOne(ctx, bson.D{{Key: "_id", Value: hex.EncodeToString(sum[:])}}).Decode(&d); err != nil {
		t.Fatalf("device stored under its hash: %v", err)
	}
	if d.UserID != ana.ID || !d.ExpiresAt.Equal(c.Now().Add(90*24*time.Hour)) {
		t.Errorf("device %+v: want ana's, for 90 days", d)
	}
	doc, _ := db.Collection("devices").FindOne(ctx, bson.D{{Key: "_id", Value: d.ID}}).Raw()
	for _, secret := range [][]byte{[]byte(g.Device), raw, []byte(hex.EncodeToString(raw))} {
		if bytes.Contains(doc, secret) {
			t.Errorf("stored device %s holds the token", doc)
		}
	}

	// Used 60 days later, it is the same token, good for 90 more days.
	c.Add(60 * 24 * time.Hour)
	if _, again := mustSignIn(t, s, Attempt{Username: "ana", Password: testPassword, Device: g.Device}); again.Device != g.Device {
		t.Errorf("sign-in with a device token gave %q, want it refreshed", again.Device)
	}
	_ = db.Collection("devices").FindOne(ctx, bson.D{{Key: "_id", Value: d.ID}}).Decode(&d)
	if !d.ExpiresAt.Equal(c.Now().Add(90 * 24 * time.Hour)) {
		t.Errorf("refreshed device expires %v, want 90 days from now", d.ExpiresAt)
	}

	guard(t, s, "ana")
	steps := []struct {
		name   string
		change func()
		device string
		want   bool
	}{
		{"Trusted", func() {}, g.Device, true},
		{"OtherAccountsDevice", func() {}, beaPhone.Device, false},
		{"UnknownDevice", func() {}, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false},
		{"TrustedAfterResetBySomeoneElse", func() {
			password := testPassword + " nueva"
			mustUpdate(t, s, ana.ID, UserPatch{Password: &password})
			mustUpdate(t, s, ana.ID, UserPatch{Password: ptr(testPassword)}) // back, for the steps below
			guard(t, s, "ana")                                               // the reset lifted it
		}, g.Device, true},
		{"UselessAfterDisabling", func() {
			mustUpdate(t, s, ana.ID, UserPatch{Disabled: ptr(true)})
			mustUpdate(t, s, ana.ID, UserPatch{Disabled: ptr(false)})
		}, g.Device, false},
	}
	for _, st := range steps {
		st.change()
		if got := trusted(t, s, st.device); got != st.want {
			t.Fatalf("%s: device trusted = %v, want %v", st.name, got, st.want)
		}
	}

	// A new device token after sign-in through the guard ends with "sign out
	// everywhere", and with 90 days unused.
	c.Add(failureWindow)
	_, g2 := mustSignIn(t, s, Attempt{Username: "ana", Password: testPassword})
	guard(t, s, "ana")
	if !trusted(t, s, g2.Device) {
		t.Fatal("new device not trusted")
	}
	if _, err := s.EndOtherSessions(ctx, ana.ID, ""); err != nil {
		t.Fatal(err)
	}
	if trusted(t, s, g2.Device) {
		t.Error("device trusted after EndOtherSessions")
	}
	c.Add(failureWindow)
	_, g3 := mustSignIn(t, s, Attempt{Username: "ana", Password: testPassword})
	c.Add(90*24*time.Hour + time.Second)
	guard(t, s, "ana")
	if trusted(t, s, g3.Device) {
		t.Error("device trusted after 90 days unused")
	}
	if n, err := s.DeleteExpiredSessions(ctx); err != nil {
		t.Fatal(err)
	} else if left, _ := db.Collection("devices").CountDocuments(ctx, bson.D{{Key: "_id", Value: hashToken(g3.Device)}}); left != 0 {
		t.Errorf("expired device still stored after DeleteExpiredSessions (%d sessions deleted)", n)
	}
}

func mustUpdate(tb testing.TB, s *Store, id string, p UserPatch) User {
	tb.Helper()
	u, err := s.UpdateUser(context.Background(), id, p)
	if err != nil {
		tb.Fatalf("UpdateUser: %v", err)
	}
	return u
}

func ptr[T any](v T) *T { return &v }
