package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// oldEntry is an access-log entry as an installation from before the access log's key
// stored it: no "v" field, hashed with plain SHA-256 over the encoding documented in
// audit/entry.go (written again here, as an outside auditor would).
func oldEntry(org string, seq int64, t time.Time, object, prev string) bson.D {
	fields := []string{"registro.audit.v1", strconv.FormatInt(seq, 10), org, t.UTC().Format("2006-01-02T15:04:05.000Z"),
		"u1", "rosa", "case.read", object, "ok", "192.0.2.10", "", prev}
	var b strings.Builder
	for _, f := range fields {
		fmt.Fprintf(&b, "%d:%s,", len(f), f)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return bson.D{{Key: "_id", Value: fmt.Sprintf("%s:%012d", org, seq)}, {Key: "seq", Value: seq}, {Key: "org", Value: org},
		{Key: "time", Value: t}, {Key: "actor", Value: "u1"}, {Key: "actor_name", Value: "rosa"},
		{Key: "action", Value: "case.read"}, {Key: "object", Value: object}, {Key: "outcome", Value: "ok"},
		{Key: "client", Value: "192.0.2.10"}, {Key: "detail", Value: ""}, {Key: "prev", Value: prev},
		{Key: "hash", Value: hex.EncodeToString(sum[:])}}
}

// oldChain is org's chain of n entries as an installation from before the access
// log's key stored it, and the hash of its last entry.
func oldChain(org string, n int64) (docs []any, last string) {
	t0 := time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC)
	for seq := int64(1); seq <= n; seq++ {
		doc := oldEntry(org, seq, t0.Add(time.Duration(seq)*time.Minute), "case-"+strconv.FormatInt(seq, 10), last)
		last = doc[len(doc)-1].Value.(string)
		docs = append(docs, doc)
	}
	return docs, last
}

// writeOldChain stores oldChain(org, n) with its head.
func writeOldChain(t *testing.T, a *app, org string, n int64) {
	t.Helper()
	ctx := context.Background()
	docs, last := oldChain(org, n)
	if _, err := a.db.Collection("audit").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.Collection("audit_heads").InsertOne(ctx, bson.D{{Key: "_id", Value: org}, {Key: "seq", Value: n}, {Key: "hash", Value: last}}); err != nil {
		t.Fatal(err)
	}
}

// TestAuditRekeyCommand: an installation upgraded from before the access log's key has
// two old chains, one of them edited in the database. verify reports both as unkeyed;
// rekey rewrites the intact one under the key, refuses the edited one, says so and
// fails; verify then accepts the rekeyed chain, and a second rekey has nothing to do.
func TestAuditRekeyCommand(t *testing.T) {
	ctx := context.Background()
	a, _, getenv := openEmbedded(t)
	for _, org := range []string{"CAL", "LIM"} {
		writeOldChain(t, a, org, 3)
	}
	if _, err := a.db.Collection("audit").UpdateOne(ctx, bson.D{{Key: "_id", Value: "CAL:000000000002"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "outcome", Value: "denied"}}}}); err != nil {
		t.Fatal(err)
	}
	if unkeyed, err := a.audit.Unkeyed(ctx); err != nil || !unkeyed {
		t.Fatalf("Unkeyed = %v, %v", unkeyed, err)
	}
	a.close()

	cmd := func(args ...string) (string, error) {
		var out strings.Builder
		err := auditCommand(ctx, args, getenv, &out, io.Discard)
		return out.String(), err
	}
	out, err := cmd("verify")
	if err == nil || !strings.Contains(out, "LIM: BROKEN at entry 1: unkeyed entry") {
		t.Errorf("verify before rekey: %v\n%s", err, out)
	}
	out, err = cmd("rekey")
	if err == nil || !strings.Contains(out, "CAL: BROKEN at entry 2: hash mismatch (1 entries); nothing rewritten") ||
		!strings.Contains(out, "LIM: rekeyed 3 entries") {
		t.Errorf("rekey: %v\n%s", err, out)
	}
	out, err = cmd("verify", "LIM")
	if err != nil || out != "LIM: ok, 3 entries\n" {
		t.Errorf("verify LIM after rekey: %v\n%s", err, out)
	}
	out, err = cmd("rekey", "LIM")
	if err != nil || out != "LIM: rekeyed 0 entries\n" {
		t.Errorf("rekey LIM again: %v\n%s", err, out)
	}
	if _, err := cmd("rekey", "CAL", "LIM"); err == nil || !strings.Contains(err.Error(), "usage:") {
		t.Errorf("rekey of two organizations = %v, want the usage", err)
	}
}

// TestUpgradeSealsTheAccessLog: the first start with a key file that predates the
// access log's key adds the key and seals the intact old chain with it, leaving an
// edited one as it is and named in the log. Later, an attacker with database access
// (not the key file) writes the sealed chain back as unkeyed entries: no start seals it
// again, start-up says so, and verify fails.
func TestUpgradeSealsTheAccessLog(t *testing.T) {
	ctx := context.Background()
	a, env, getenv := openEmbedded(t)
	for _, org := range []string{"CAL", "LIM"} {
		writeOldChain(t, a, org, 4)
	}
	if _, err := a.db.Collection("audit").UpdateOne(ctx, bson.D{{Key: "_id", Value: "CAL:000000000003"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "object", Value: "case-9"}}}}); err != nil {
		t.Fatal(err)
	}
	a.close()
	// The key file as it was before the access log had a key.
	b, err := os.ReadFile(env["REGISTRO_KEY_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	var old strings.Builder
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if !strings.HasPrefix(l, "audit:") && !strings.Contains(l, "access log's chain key") {
			old.WriteString(l)
		}
	}
	if err := os.WriteFile(env["REGISTRO_KEY_FILE"], []byte(old.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	var log strings.Builder
	a, err = open(ctx, getenv, &log)
	if err != nil {
		t.Fatal(err)
	}
	if a.ring.AuditKey() == nil {
		t.Fatal("the upgrade did not give the key file an access-log key")
	}
	for org, want := range map[string]bool{"LIM": true, "CAL": false} {
		res, err := a.audit.Verify(ctx, org)
		if err != nil || res.OK != want {
			t.Errorf("%s after the upgrade: %+v, %v; want ok=%v", org, res, err, want)
		}
	}
	if !strings.Contains(log.String(), "sealed the access log with its key") || !strings.Contains(log.String(), "was not sealed") {
		t.Errorf("the upgrade's log does not say what it sealed and what it left:\n%s", log.String())
	}
	// The attacker writes LIM's chain back as it was before the upgrade.
	if _, err := a.db.Collection("audit").DeleteMany(ctx, bson.D{{Key: "org", Value: "LIM"}}); err != nil {
		t.Fatal(err)
	}
	docs, _ := oldChain("LIM", 4)
	if _, err := a.db.Collection("audit").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	a.close()
	log.Reset()
	a, err = open(ctx, getenv, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if !strings.Contains(log.String(), "holds entries without its key") || strings.Contains(log.String(), "sealed the access log") {
		t.Errorf("a start after the upgrade met unkeyed entries:\n%s", log.String())
	}
	if res, err := a.audit.Verify(ctx, "LIM"); err != nil || res.OK {
		t.Errorf("the chain written back unkeyed verifies: %+v, %v", res, err)
	}
}
