package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"registro/keyring"
)

// config is Registro's configuration, read from the environment.
type config struct {
	Addr              string
	DataDir           string
	MongoURI          string
	DBName            string
	KeyFile           string
	KEK               string // key-encryption keys given directly, instead of KeyFile
	LogLevel          slog.Level
	VocabularyFile    string
	BootstrapOrg      string
	BootstrapPassword string
	SecureCookies     bool
	SessionIdle       time.Duration
	SessionLifetime   time.Duration
	LoginLimit        int
	TrustedProxies    []string
	// ReleaseDelay is how long after a period closes it waits for the coordinator
	// before its statistics release is published automatically.
	ReleaseDelay time.Duration
	// AlertValidity is how long an approved or renewed community alert shows.
	AlertValidity time.Duration
	// MinFreeMB is the free space (MiB) the embedded store's disk must keep: below it
	// /readyz answers 503. Zero turns the check off.
	MinFreeMB uint64
	// MemoryLimitMB is the Go runtime's soft memory limit for the server (0: none);
	// GOMEMLIMIT, when set, wins.
	MemoryLimitMB uint64
	// SecondFactor is "required" (coordinator, legal, auditor and admin accounts must
	// use TOTP) or "optional" (a test or training installation: nobody must).
	SecondFactor string
}

// loadConfig reads the environment through getenv, applying defaults. It returns every
// problem at once.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		Addr:              orDefault(getenv("REGISTRO_ADDR"), "127.0.0.1:8080"),
		DataDir:           orDefault(getenv("REGISTRO_DATA_DIR"), "./data"),
		MongoURI:          getenv("MONGODB_URI"),
		DBName:            orDefault(getenv("REGISTRO_DB"), "registro"),
		KeyFile:           orDefault(getenv("REGISTRO_KEY_FILE"), "./keys/kek"),
		KEK:               getenv("REGISTRO_KEK"),
		VocabularyFile:    getenv("REGISTRO_VOCABULARY_FILE"),
		BootstrapOrg:      orDefault(getenv("REGISTRO_BOOTSTRAP_ORG"), "LIM"),
		BootstrapPassword: getenv("REGISTRO_BOOTSTRAP_PASSWORD"),
		SecondFactor:      strings.ToLower(strings.TrimSpace(orDefault(getenv("REGISTRO_2FA"), "required"))),
	}
	var problems []string
	if err := c.LogLevel.UnmarshalText([]byte(orDefault(getenv("REGISTRO_LOG_LEVEL"), "info"))); err != nil {
		problems = append(problems, "REGISTRO_LOG_LEVEL: use debug, info, warn or error")
	}
	var err error
	if c.SecureCookies, err = strconv.ParseBool(orDefault(getenv("REGISTRO_SECURE_COOKIES"), "true")); err != nil {
		problems = append(problems, "REGISTRO_SECURE_COOKIES: use true or false")
	}
	if c.SessionIdle, err = time.ParseDuration(orDefault(getenv("REGISTRO_SESSION_IDLE"), "30m")); err != nil || c.SessionIdle < time.Minute {
		problems = append(problems, "REGISTRO_SESSION_IDLE: a duration of at least 1m, e.g. 30m")
	}
	if c.SessionLifetime, err = time.ParseDuration(orDefault(getenv("REGISTRO_SESSION_LIFETIME"), "12h")); err != nil || c.SessionLifetime < c.SessionIdle {
		problems = append(problems, "REGISTRO_SESSION_LIFETIME: a duration no shorter than the idle timeout, e.g. 12h")
	}
	if c.LoginLimit, err = strconv.Atoi(orDefault(getenv("REGISTRO_LOGIN_LIMIT"), "10")); err != nil || c.LoginLimit < 1 {
		problems = append(problems, "REGISTRO_LOGIN_LIMIT: sign-in attempts per client address per minute, at least 1")
	}
	if c.ReleaseDelay, err = parseDelay(orDefault(getenv("REGISTRO_RELEASE_DELAY"), "15")); err != nil {
		problems = append(problems, "REGISTRO_RELEASE_DELAY: a number of days (15) or a duration (360h), not negative")
	}
	if c.AlertValidity, err = parseDelay(orDefault(getenv("REGISTRO_ALERT_VALIDITY"), "90")); err != nil || c.AlertValidity == 0 {
		problems = append(problems, "REGISTRO_ALERT_VALIDITY: a number of days (90) or a duration (720h), more than zero")
	}
	if c.MemoryLimitMB, err = strconv.ParseUint(orDefault(getenv("REGISTRO_MEMORY_LIMIT_MB"), "96"), 10, 32); err != nil || c.MemoryLimitMB != 0 && c.MemoryLimitMB < 64 {
		problems = append(problems, "REGISTRO_MEMORY_LIMIT_MB: the server's soft memory limit in MiB, a whole number of at least 64 such as 96; 0 leaves it to the Go runtime")
	}
	if c.MinFreeMB, err = strconv.ParseUint(orDefault(getenv("REGISTRO_MIN_FREE_MB"), "256"), 10, 32); err != nil {
		problems = append(problems, "REGISTRO_MIN_FREE_MB: free disk space in MiB below which /readyz answers 503, a whole number such as 256; 0 turns the check off")
	}
	if c.SecondFactor != "required" && c.SecondFactor != "optional" {
		problems = append(problems, "REGISTRO_2FA: required (coordinator, legal, auditor and admin accounts use a second factor) or optional (a test or training installation)")
	}
	for _, p := range strings.Split(getenv("REGISTRO_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			problems = append(problems, fmt.Sprintf("REGISTRO_TRUSTED_PROXIES: %q is not an IP address or CIDR", p))
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if err := c.validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return c, errors.New("configuration: " + strings.Join(problems, "; "))
	}
	return c, nil
}

// parseDelay reads a number of whole days ("15") or a Go duration ("360h").
func parseDelay(s string) (time.Duration, error) {
	if days, err := strconv.Atoi(s); err == nil {
		if days < 0 {
			return 0, errors.New("negative")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("not a duration")
	}
	return d, nil
}

func (c config) validate() error {
	var problems []string
	if _, port, ok := strings.Cut(c.Addr, ":"); !ok || port == "" {
		problems = append(problems, "REGISTRO_ADDR: host:port, e.g. 127.0.0.1:8080")
	}
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		problems = append(problems, "MONGODB_URI: must start with mongodb:// or mongodb+srv://")
	}
	if c.KEK == "" && c.MongoURI == "" && keyring.Inside(c.KeyFile, c.DataDir) {
		problems = append(problems, "REGISTRO_KEY_FILE: must be outside REGISTRO_DATA_DIR, so a copy of the data alone decrypts nothing")
	}
	if strings.ContainsAny(c.DBName, "/\\. \"$") || c.DBName == "" {
		problems = append(problems, "REGISTRO_DB: letters, digits, _ and - only")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// LogValue keeps secrets out of the log: the URI may carry a password, and the KEK and
// bootstrap password are secrets outright.
func (c config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr), slog.String("data_dir", c.DataDir),
		slog.Bool("embedded_store", c.MongoURI == ""), slog.String("mongodb_uri", mask(c.MongoURI)),
		slog.String("db", c.DBName), slog.String("key_file", c.KeyFile),
		slog.Bool("kek_from_env", c.KEK != ""), slog.String("vocabulary_file", c.VocabularyFile),
		slog.Bool("secure_cookies", c.SecureCookies), slog.Any("trusted_proxies", c.TrustedProxies),
		slog.String("second_factor", c.SecondFactor), slog.String("release_delay", c.ReleaseDelay.String()), slog.String("alert_validity", c.AlertValidity.String()), slog.Uint64("min_free_mb", c.MinFreeMB), slog.Uint64("memory_limit_mb", c.MemoryLimitMB),
	)
}

func mask(uri string) string {
	if uri == "" {
		return ""
	}
	scheme, rest, _ := strings.Cut(uri, "://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = "***@" + rest[at+1:]
	}
	return fmt.Sprintf("%s://%s", scheme, rest)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
