package policies

import (
	"strings"
	"testing"
)

// The rules themselves are tested line by line in package authz, which loads them;
// here only that both files made it into the binary.
func TestEmbedded(t *testing.T) {
	for name, text := range map[string]string{"model.conf": Model, "policy.csv": Policy} {
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s is empty", name)
		}
	}
	if !strings.Contains(Model, "[matchers]") {
		t.Error("model.conf has no [matchers] section")
	}
	if !strings.Contains(Policy, "\np, ") {
		t.Error("policy.csv has no rules")
	}
}
