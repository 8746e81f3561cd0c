package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"registro/accounts"
	"registro/accounts/changes"
	"registro/audit"
)

// TestResetPasswordFromTheShell: the server's shell is the recovery path for an
// organization's only coordinator. It bypasses the organization, so it leaves a trace
// nobody there can miss: an access-log entry, and a notice its coordinators see at their
// next sign-in.
func TestResetPasswordFromTheShell(t *testing.T) {
	ctx := context.Background()
	a, _, getenv := openEmbedded(t)
	if _, err := a.accounts.CreateOrg(ctx, "CAL", "Colectivo Callao"); err != nil {
		t.Fatal(err)
	}
	u, err := a.accounts.CreateUser(ctx, accounts.NewUser{Username: "rosa", Role: accounts.RoleCoordinator, Org: "CAL", Password: "una clave larga de prueba"})
	if err != nil {
		t.Fatal(err)
	}
	a.close()
	var out strings.Builder
	if err := userCommand(ctx, []string{"reset-password", "rosa"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "New password for rosa") {
		t.Errorf("reset said %q", out.String())
	}
	a, err = open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	entries, _, err := a.audit.Entries(ctx, audit.Filter{Org: "CAL", Action: "user.update"})
	if err != nil || len(entries) != 1 || entries[0].Object != u.ID || entries[0].ActorName != changes.Shell {
		t.Errorf("access log after the reset: %+v, %v", entries, err)
	}
	unseen, err := changes.NewStore(a.db.Database, nil).Unseen(ctx, "CAL", "another-coordinator")
	if err != nil || len(unseen) != 1 || unseen[0].Account != "rosa" || unseen[0].What != "password" {
		t.Errorf("the coordinators' notices after the reset: %+v, %v", unseen, err)
	}
}

// TestOrgShareDays: the server's shell sets an organization's longest share, refuses a
// value out of range naming it, and logs the change.
func TestOrgShareDays(t *testing.T) {
	ctx := context.Background()
	a, _, getenv := openEmbedded(t)
	if _, err := a.accounts.CreateOrg(ctx, "CAL", "Colectivo Callao"); err != nil {
		t.Fatal(err)
	}
	a.close()
	if err := orgCommand(ctx, []string{"share-days", "CAL", "0"}, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "share_days") {
		t.Errorf("0 days: %v", err)
	}
	var out strings.Builder
	if err := orgCommand(ctx, []string{"share-days", "cal", "45"}, getenv, &out); err != nil || !strings.Contains(out.String(), "45 days") {
		t.Fatalf("45 days: %v %q", err, out.String())
	}
	a, err := open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if o, _ := a.accounts.Org(ctx, "CAL"); o.ShareDays != 45 {
		t.Errorf("stored %d days", o.ShareDays)
	}
	if e, _, err := a.audit.Entries(ctx, audit.Filter{Org: "CAL", Action: "org.update"}); err != nil || len(e) != 1 {
		t.Errorf("access log: %v %v", e, err)
	}
}

// TestRemoveSecondFactorFromTheShell: the way back for a coordinator who lost her phone
// and her recovery codes; it leaves the same traces as a password reset.
func TestRemoveSecondFactorFromTheShell(t *testing.T) {
	ctx := context.Background()
	a, _, getenv := openEmbedded(t)
	if _, err := a.accounts.CreateOrg(ctx, "CAL", "Colectivo Callao"); err != nil {
		t.Fatal(err)
	}
	u, err := a.accounts.CreateUser(ctx, accounts.NewUser{Username: "rosa", Role: accounts.RoleCoordinator, Org: "CAL", Password: "una clave larga de prueba"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := a.accounts.BeginTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, time.Now())
	if _, err := a.accounts.ConfirmTOTP(ctx, u.ID, code); err != nil {
		t.Fatal(err)
	}
	a.close()
	if err := userCommand(ctx, []string{"remove-second-factor", "rosa"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	a, err = open(ctx, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if u, _ := a.accounts.User(ctx, "rosa"); u.SecondFactor {
		t.Error("the second factor is still on")
	}
	unseen, err := changes.NewStore(a.db.Database, nil).Unseen(ctx, "CAL", "another-coordinator")
	if err != nil || len(unseen) != 1 || unseen[0].What != "second_factor" {
		t.Errorf("the coordinators' notices: %+v, %v", unseen, err)
	}
}
