package database_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/database/dbtest"
)

// TestKilledProcessLeavesNoOldVersions: a server rewrote a document (an erasure, an
// alert's edit) and was killed before it purged the store's log. The attacker holds
// the data directory as the kill left it, and again once the next run has started on
// it: by then the earlier version is in no file, and the rewrite is there.
func TestKilledProcessLeavesNoOldVersions(t *testing.T) {
	ctx := context.Background()
	live := t.TempDir()
	db := dbtest.OpenDir(t, live)
	defer db.Close(ctx)
	coll := db.Database.Collection("docs")
	secret := []byte("Relato de Yesenia Quispe que pidió borrar")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "d"}, {Key: "text", Value: string(secret)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: "d"}}, bson.D{{Key: "text", Value: "borrado"}}); err != nil {
		t.Fatal(err)
	}

	// What a kill -9 leaves: the files as they are on disk while the store runs (a
	// commit is in the OS's hands before it is acknowledged), the lock released.
	killed := t.TempDir()
	if err := os.MkdirAll(filepath.Join(killed, "sqlite"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(filepath.Join(live, "sqlite"), func(path string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(killed, "sqlite", e.Name()), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	if found := dbtest.FilesHolding(t, killed, secret); len(found) == 0 {
		t.Fatal("the killed process's files do not hold the earlier version: the test does not reproduce the kill")
	}

	next := dbtest.OpenDir(t, killed)
	defer next.Close(ctx)
	for _, f := range dbtest.FilesHolding(t, killed, secret) {
		t.Errorf("once the next run started: %s", f)
	}
	var got struct {
		Text string `bson:"text"`
	}
	if err := next.Database.Collection("docs").FindOne(ctx, bson.D{{Key: "_id", Value: "d"}}).Decode(&got); err != nil || got.Text != "borrado" {
		t.Fatalf("the rewrite after the restart: %q, %v", got.Text, err)
	}
}
