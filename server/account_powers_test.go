package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"registro/accounts"
)

// TestAccountPowers is the matrix of account powers (SPEC §3): every role × every
// account operation × the role of the account it acts on, in the caller's organization
// and in another. Nobody turns account powers into someone else's access: an admin
// creates organizations, their first coordinator and auditors, and may disable any
// account, but never creates, re-roles or sets the password of one that reads cases (or
// an advocate's); a coordinator manages her organization's outreach, legal, advocate
// and coordinator accounts, never its auditors or an admin.
func TestAccountPowers(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	ts.mustOrg(t, "NEW")
	tokens := map[string]string{}
	for _, r := range accounts.Roles {
		_, tokens[string(r)] = ts.mustUserToken(t, "LIM", "caller."+string(r), r)
	}
	ts.mustUser(t, "CAL", "cal.coord", accounts.RoleCoordinator)

	// The operations, each on an account of a role; the answer wanted per caller.
	type want map[accounts.Role]int
	const ok, created, forbidden, notFound = http.StatusOK, http.StatusCreated, http.StatusForbidden, http.StatusNotFound
	managers := func(coordinator, admin int) want {
		return want{accounts.RoleOutreach: forbidden, accounts.RoleLegal: forbidden, accounts.RoleAdvocate: forbidden,
			accounts.RoleAuditor: forbidden, accounts.RoleCoordinator: coordinator, accounts.RoleAdmin: admin}
	}
	byTarget := map[accounts.Role]struct{ create, password, role, disable want }{
		accounts.RoleOutreach:    {managers(created, forbidden), managers(ok, forbidden), managers(ok, forbidden), managers(ok, ok)},
		accounts.RoleLegal:       {managers(created, forbidden), managers(ok, forbidden), managers(ok, forbidden), managers(ok, ok)},
		accounts.RoleAdvocate:    {managers(created, forbidden), managers(ok, forbidden), managers(ok, forbidden), managers(ok, ok)},
		accounts.RoleCoordinator: {managers(created, forbidden), managers(ok, forbidden), managers(ok, forbidden), managers(ok, ok)},
		accounts.RoleAuditor:     {managers(forbidden, created), managers(forbidden, ok), managers(forbidden, forbidden), managers(forbidden, ok)},
		accounts.RoleAdmin:       {managers(forbidden, created), managers(forbidden, ok), managers(forbidden, forbidden), managers(forbidden, ok)},
	}
	n := 0
	for _, target := range accounts.Roles {
		w := byTarget[target]
		for _, caller := range accounts.Roles {
			name := fmt.Sprintf("%s.of.%s", target, caller)
			check := func(op string, got, want int, body map[string]any) {
				t.Helper()
				n++
				if got != want {
					t.Errorf("%s %s on a %s account: %d, want %d (%v)", caller, op, target, got, want, body)
				}
			}
			st, body := ts.do(t, http.MethodPost, "/api/v1/users", tokens[string(caller)],
				map[string]any{"username": name, "role": target, "org": "LIM", "password": "una clave larga de prueba"})
			check("create", st, w.create[caller], body)
			acct := ts.mustUser(t, "LIM", "t."+name, target)
			st, body = ts.do(t, http.MethodPatch, "/api/v1/users/"+acct.ID, tokens[string(caller)], map[string]any{"password": "otra clave larga de prueba"})
			check("password", st, w.password[caller], body)
			// The role change asked is to coordinator (to outreach for a coordinator): the
			// one that would give case access.
			to := accounts.RoleCoordinator
			if target == accounts.RoleCoordinator {
				to = accounts.RoleOutreach
			}
			st, body = ts.do(t, http.MethodPatch, "/api/v1/users/"+acct.ID, tokens[string(caller)], map[string]any{"role": to})
			check("role", st, w.role[caller], body)
			st, body = ts.do(t, http.MethodPatch, "/api/v1/users/"+acct.ID, tokens[string(caller)], map[string]any{"disabled": true})
			check("disable", st, w.disable[caller], body)
		}
	}

	// Another organization's accounts do not exist for anyone of this one; the
	// admin may disable them only.
	cal := ts.mustUser(t, "CAL", "cal.rosa", accounts.RoleOutreach)
	for caller, want := range map[accounts.Role][2]int{
		accounts.RoleCoordinator: {notFound, notFound},
		accounts.RoleAdmin:       {forbidden, ok},
		accounts.RoleOutreach:    {notFound, notFound},
	} {
		st, _ := ts.do(t, http.MethodPatch, "/api/v1/users/"+cal.ID, tokens[string(caller)], map[string]any{"password": "otra clave larga de prueba"})
		st2, _ := ts.do(t, http.MethodPatch, "/api/v1/users/"+cal.ID, tokens[string(caller)], map[string]any{"disabled": true})
		if st != want[0] || st2 != want[1] {
			t.Errorf("%s on CAL's outreach account: password %d, disable %d; want %v", caller, st, st2, want)
		}
		n += 2
	}

	// The first coordinator: the admin creates one in an organization that has none, and
	// no second one, not even once the first is disabled.
	admin := tokens["admin"]
	if st, body := ts.do(t, http.MethodPost, "/api/v1/users", admin, map[string]any{"username": "new.coord", "role": "coordinator", "org": "NEW"}); st != created {
		t.Fatalf("admin creates NEW's first coordinator: %d %v", st, body)
	}
	if st, _ := ts.do(t, http.MethodPatch, "/api/v1/users/new.coord", admin, map[string]any{"disabled": true}); st != ok {
		t.Fatalf("admin disables NEW's coordinator: %d", st)
	}
	if st, _ := ts.do(t, http.MethodPost, "/api/v1/users", admin, map[string]any{"username": "new.coord2", "role": "coordinator", "org": "NEW"}); st != forbidden {
		t.Errorf("admin creates a second coordinator in NEW after disabling the first: %d, want 403", st)
	}
	if st, _ := ts.do(t, http.MethodPatch, "/api/v1/users/new.coord", admin, map[string]any{"password": "una clave larga de prueba", "disabled": false}); st != forbidden {
		t.Errorf("admin re-enables NEW's coordinator with a password of hers: %d, want 403", st)
	}
	t.Logf("account powers: %d requests", n+4)
}

// TestNoticesOfOutsideChanges: a change an admin makes to an organization's accounts
// is a notice on each of its coordinators' home pages until she has seen it; her own
// team's changes are listed there too, without a notice.
func TestNoticesOfOutsideChanges(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "ADM")
	_, admin := ts.mustUserToken(t, "ADM", "jefa", accounts.RoleAdmin)
	_, rosa := ts.webUser(t, "LIM", "rosa", accounts.RoleCoordinator)
	_, eva := ts.webUser(t, "LIM", "eva", accounts.RoleCoordinator)
	lucia := ts.mustUser(t, "LIM", "lucia", accounts.RoleOutreach)
	if resp, body := rosa.post(t, "/accounts/"+lucia.ID, url.Values{"action": {"disable"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rosa disables lucia: %d\n%s", resp.StatusCode, body)
	}
	if st, body := ts.do(t, http.MethodPost, "/api/v1/users", admin, map[string]any{"username": "auditora", "role": "auditor", "org": "LIM"}); st != http.StatusCreated {
		t.Fatalf("admin creates LIM's auditor: %d %v", st, body)
	}
	st, home := rosa.get(t, "/")
	wantPage(t, "rosa's home", st, home, http.StatusOK, "Cambios hechos desde fuera de su organización",
		"auditora, por jefa: cuenta creada", "lucia, por rosa: desactivada", `action="/notices/seen"`)
	if resp, _ := rosa.post(t, "/notices/seen", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rosa marks the notices seen: %d", resp.StatusCode)
	}
	if _, home := rosa.get(t, "/"); strings.Contains(home, "Cambios hechos desde fuera") || !strings.Contains(home, "auditora, por jefa") {
		t.Errorf("after seeing them, rosa's home still shows the notice, or lost the list")
	}
	if _, home := eva.get(t, "/"); !strings.Contains(home, "Cambios hechos desde fuera de su organización") {
		t.Errorf("eva, who has not seen it, is not told")
	}
}
