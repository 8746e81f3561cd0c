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

// TestConfigMemoryLimit checks REGISTRO_MEMORY_LIMIT_MB: 96 MiB by default, 0 for no
// limit, and a clear refusal of a limit too small to run in or of anything else.
func TestConfigMemoryLimit(t *testing.T) {
	for env, want := range map[string]uint64{"": 96, "0": 0, "512": 512} {
		c, err := loadConfig(func(k string) string { return map[string]string{"REGISTRO_MEMORY_LIMIT_MB": env}[k] })
		if err != nil || c.MemoryLimitMB != want {
			t.Errorf("REGISTRO_MEMORY_LIMIT_MB=%q: %d, %v; want %d", env, c.MemoryLimitMB, err, want)
		}
	}
	for _, env := range []string{"32", "-1", "1.5", "lots"} {
		_, err := loadConfig(func(k string) string { return map[string]string{"REGISTRO_MEMORY_LIMIT_MB": env}[k] })
		if err == nil || !strings.Contains(err.Error(), "REGISTRO_MEMORY_LIMIT_MB") {
			t.Errorf("REGISTRO_MEMORY_LIMIT_MB=%q: %v, want an error naming the variable", env, err)
		}
	}
}
