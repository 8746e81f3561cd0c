package main

import (
	"strings"
	"testing"
)

// TestConfigMinFree checks REGISTRO_MIN_FREE_MB: 256 MiB by default, 0 turns the check
// off, and anything but a whole number stops the start naming the variable.
func TestConfigMinFree(t *testing.T) {
	for env, want := range map[string]uint64{"": 256, "0": 0, "1024": 1024} {
		c, err := loadConfig(func(k string) string { return map[string]string{"REGISTRO_MIN_FREE_MB": env}[k] })
		if err != nil || c.MinFreeMB != want {
			t.Errorf("REGISTRO_MIN_FREE_MB=%q: %d, %v; want %d", env, c.MinFreeMB, err, want)
		}
	}
	for _, env := range []string{"-1", "1.5", "256MB", "lots", "99999999999"} {
		_, err := loadConfig(func(k string) string { return map[string]string{"REGISTRO_MIN_FREE_MB": env}[k] })
		if err == nil || !strings.Contains(err.Error(), "REGISTRO_MIN_FREE_MB") {
			t.Errorf("REGISTRO_MIN_FREE_MB=%q: %v, want an error naming the variable", env, err)
		}
	}
}
