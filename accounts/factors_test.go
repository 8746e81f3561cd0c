package accounts

import (
	"bytes"
	"context"
	"encoding/base32"
	"image/png"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestRequiresSecondFactor(t *testing.T) {
	t.Parallel()
	want := map[Role]bool{RoleCoordinator: true, RoleLegal: true, RoleAuditor: true, RoleAdmin: true}
	for _, r := range Roles {
		for _, mode := range []string{SecondFactorModeRequired, SecondFactorModeOptional} {
			if got := RequiresSecondFactor(r, mode); got != (want[r] && mode == SecondFactorModeRequired) {
				t.Errorf("RequiresSecondFactor(%s, %s) = %v", r, mode, got)
			}
		}
	}
	s, _, _ := newStore(t, Options{SecondFactor: "typo"})
	if !s.MustEnrolSecondFactor(User{Role: RoleLegal}) || s.MustEnrolSecondFactor(User{Role: RoleLegal, SecondFactor: true}) ||
		s.MustEnrolSecondFactor(User{Role: RoleOutreach}) {
		t.Error("MustEnrolSecondFactor: want an unknown mode to count as required, and only for roles without one enrolled")
	}
}

func TestSecondFactorNeedsKey(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	u := mustCreateUser(t, s, "coco", "LIM", RoleCoordinator)
	if _, err := s.BeginTOTP(ctx, u.ID); outcome(err) != "ErrNoSecretKey" {
		t.Errorf("BeginTOTP without a key = %v, want ErrNoSecretKey", err)
	}
	if _, err := s.ConfirmTOTP(ctx, u.ID, "123456"); outcome(err) != "ErrNoSecretKey" {
		t.Errorf("ConfirmTOTP without a key = %v, want ErrNoSecretKey", err)
	}
}

// Enrolment, sign-in with a code, replays refused, recovery codes once each, and
// removal by the recovery path.
func TestTOTP(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{SecretKey: testKey})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	coco := mustCreateUser(t, s, "coco", "LIM", RoleCoordinator)
	signIn := func(code string) string {
		_, _, err := s.SignIn(ctx, Attempt{Username: "coco", Password: testPassword, Code: code, Client: "phone"})
		return outcome(err)
	}

	e, err := s.BeginTOTP(ctx, coco.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret); err != nil || len(e.Secret) != 32 {
		t.Errorf("secret %q: want 160 bits in base32", e.Secret)
	}
	link, err := url.Parse(e.URL)
	if err != nil || link.Scheme != "otpauth" || link.Host != "totp" || link.Path != "/Registro:coco@LIM" ||
		link.Query().Get("issuer") != "Registro" || link.Query().Get("secret") != e.Secret {
		t.Errorf("URL %q: want otpauth://totp/Registro:coco@LIM?…issuer=Registro&secret=…", e.URL)
	}
	if img, err := png.Decode(bytes.NewReader(e.PNG)); err != nil || img.Bounds().Dx() != 256 {
		t.Errorf("PNG: %v", err)
	}
	if got := signIn(""); got != "OK" {
		t.Errorf("SignIn before confirming = %s, want OK: nothing is enrolled yet", got)
	}
	if _, err := s.ConfirmTOTP(ctx, coco.ID, "000000"); invalidFields(err)["code"] != "wrong code" {
		t.Errorf("ConfirmTOTP with a wrong code = %v, want invalid code", err)
	}
	recovery, err := s.ConfirmTOTP(ctx, coco.ID, codeAt(t, e.Secret, c.Now()))
	if err != nil {
		t.Fatal(err)
	}
	codeRE := regexp.MustCompile(`^[a-km-z]{5}-[a-km-z]{5}$`)
	distinct := map[string]bool{}
	for _, r := range recovery {
		distinct[r] = codeRE.MatchString(r)
	}
	if len(recovery) != 10 || len(distinct) != 10 || distinct[""] {
		t.Errorf("recovery codes %v: want 10 distinct abcde-fghij", recovery)
	}
	if u, _ := s.User(ctx, coco.ID); !u.SecondFactor {
		t.Error("User.SecondFactor = false after ConfirmTOTP")
	}
	if n, err := s.RecoveryCodesLeft(ctx, coco.ID); n != 10 || err != nil {
		t.Errorf("RecoveryCodesLeft = %d, %v; want 10", n, err)
	}

	// Steps in order: each depends on the codes used before.
	step := totpPeriod * time.Second
	steps := []struct {
		name    string
		advance time.Duration
		code    func() string
		want    string
	}{
		{"ErrSecondFactorRequired", 0, func() string { return "" }, "ErrSecondFactorRequired"},
		{"ErrBadCredentialsConfirmCodeReplayed", 0, func() string { return codeAt(t, e.Secret, c.Now()) }, "ErrBadCredentials"},
		{"OKNextStep", step, func() string { return codeAt(t, e.Secret, c.Now()) }, "OK"},
		{"ErrBadCredentialsReplayed", 0, func() string { return codeAt(t, e.Secret, c.Now()) }, "ErrBadCredentials"},
		{"OKSpaces", step, func() string { code := codeAt(t, e.Secret, c.Now()); return code[:3] + " " + code[3:] }, "OK"},
		{"OKClockAhead", step, func() string { return codeAt(t, e.Secret, c.Now().Add(step)) }, "OK"},
		{"ErrBadCredentialsOlderStepAfterNewer", 0, func() string { return codeAt(t, e.Secret, c.Now()) }, "ErrBadCredentials"},
		{"ErrBadCredentialsTooOld", 3 * step, func() string { return codeAt(t, e.Secret, c.Now().Add(-2*step)) }, "ErrBadCredentials"},
		{"OKRecoveryCode", 0, func() string { return strings.ToUpper(recovery[3]) }, "OK"},
		{"ErrBadCredentialsRecoveryCodeTwice", 0, func() string { return recovery[3] }, "ErrBadCredentials"},
		{"ErrBadCredentialsUnknownRecoveryCode", 0, func() string { return "abcde-fghij" }, "ErrBadCredentials"},
		{"OKOtherRecoveryCode", 0, func() string { return strings.ReplaceAll(recovery[7], "-", "") }, "OK"},
	}
	for _, st := range steps {
		c.Add(st.advance)
		if got := signIn(st.code()); got != st.want {
			t.Fatalf("%s: SignIn = %s, want %s", st.name, got, st.want)
		}
	}
	if n, err := s.RecoveryCodesLeft(ctx, coco.ID); n != 8 || err != nil {
		t.Errorf("RecoveryCodesLeft = %d, %v; want 8", n, err)
	}

	// A reset by someone else never removes it; the recovery path does.
	password := "una clave nueva de coco"
	if _, err := s.UpdateUser(ctx, coco.ID, UserPatch{Password: &password}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SignIn(ctx, Attempt{Username: "coco", Password: password}); outcome(err) != "ErrSecondFactorRequired" {
		t.Errorf("SignIn after a reset = %v, want ErrSecondFactorRequired", err)
	}
	if err := s.RemoveSecondFactor(ctx, coco.ID); err != nil {
		t.Fatal(err)
	}
	if u, _, err := s.SignIn(ctx, Attempt{Username: "coco", Password: password}); err != nil || u.SecondFactor {
		t.Errorf("SignIn after RemoveSecondFactor = %+v, %v; want OK without second factor", u, err)
	}
	if n, err := s.RecoveryCodesLeft(ctx, coco.ID); n != 0 || err != nil {
		t.Errorf("RecoveryCodesLeft after removal = %d, %v; want 0", n, err)
	}
}

// Neither the secret (base32 or bytes) nor recovery codes are stored in clear, and
// a sealed secret copied to another account does not open there.
func TestSecondFactorStoredSealed(t *testing.T) {
	t.Parallel()
	s, c, db := newStore(t, Options{SecretKey: testKey})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	coco := mustCreateUser(t, s, "coco", "LIM", RoleCoordinator)
	dora := mustCreateUser(t, s, "dora", "LIM", RoleLegal)
	e, err := s.BeginTOTP(ctx, coco.ID)
	if err != nil {
		t.Fatal(err)
	}
	recovery, err := s.ConfirmTOTP(ctx, coco.ID, codeAt(t, e.Secret, c.Now()))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	if err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{[]byte(e.Secret), []byte(strings.ToLower(e.Secret)), raw}
	for _, r := range recovery {
		secrets = append(secrets, []byte(r), []byte(strings.ReplaceAll(r, "-", "")))
	}
	for _, coll := range []string{"second_factors", "second_factor_uses", "users"} {
		cur, err := db.Collection(coll).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(ctx) {
			for _, secret := range secrets {
				if bytes.Contains(cur.Current, secret) {
					t.Errorf("%s holds %q in clear: %s", coll, secret, cur.Current)
				}
			}
		}
	}

	// dora's document given coco's sealed secret: it must not open.
	var f factorDoc
	if err := db.Collection("second_factors").FindOne(ctx, bson.D{{Key: "_id", Value: coco.ID}}).Decode(&f); err != nil {
		t.Fatal(err)
	}
	f.UserID = dora.ID
	if _, err := db.Collection("second_factors").InsertOne(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("users").UpdateOne(ctx, bson.D{{Key: "_id", Value: dora.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "second_factor", Value: true}}}}); err != nil {
		t.Fatal(err)
	}
	c.Add(totpPeriod * time.Second)
	if _, _, err := s.SignIn(ctx, Attempt{Username: "dora", Password: testPassword, Code: codeAt(t, e.Secret, c.Now())}); err == nil {
		t.Error("SignIn with a secret moved to another account: OK, want an error")
	}
}
