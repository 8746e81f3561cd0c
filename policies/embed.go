// Package policies holds Registro's Casbin model and policy, embedded in the binary so
// that the rules which run are the ones reviewed in this directory.
package policies

import _ "embed"

// Model is the Casbin model (model.conf): rules carry a scope, and requests ask about
// one scope at a time.
//
//go:embed model.conf
var Model string

// Policy is the permission table (policy.csv), with # comments that Casbin's own
// adapters do not expect; load it with authz.New, which strips them.
//
//go:embed policy.csv
var Policy string
