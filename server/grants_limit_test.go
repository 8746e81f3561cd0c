package server

import (
	"testing"

	"registro/authz"
	"registro/cases"
)

// The store refuses the share that authorization's filter could not see.
func TestMaxGrantsAgree(t *testing.T) {
	if cases.MaxGrants != authz.MaxGrants {
		t.Fatalf("cases.MaxGrants = %d, authz.MaxGrants = %d: a share past the filter's reach would be invisible in lists", cases.MaxGrants, authz.MaxGrants)
	}
}
