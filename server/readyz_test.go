package server_test

import (
	"context"
	"net/http"
	"os"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/accounts"
	"registro/database"
	"registro/database/dbtest"
)

// TestReadyzFreeSpace checks that /readyz answers 503 storage_low while the embedded
// store's disk has less free space than the minimum, and 200 otherwise.
func TestReadyzFreeSpace(t *testing.T) {
	t.Parallel()
	low := dbtest.New(t)
	free, ok := low.FreeSpace()
	if !ok {
		t.Skip("the free space of a MongoDB server's disk is not visible to Registro")
	}
	low.SetMinFree(free + 1<<40) // a terabyte more than there is
	ts := newTestServerOn(t, low)
	resp, raw := mustSend(t, ts, request{method: "GET", path: "/readyz"})
	wantError(t, resp.StatusCode, decodeObject(t, raw), http.StatusServiceUnavailable, "storage_low")
	if st, _ := ts.do(t, http.MethodGet, "/healthz", "", nil); st != http.StatusOK {
		t.Errorf("/healthz on a low disk: %d, want 200", st)
	}

	ok1 := dbtest.New(t)
	ok1.SetMinFree(1 << 20)
	if st, body := newTestServerOn(t, ok1).do(t, http.MethodGet, "/readyz", "", nil); st != http.StatusOK || body["status"] != "ready" {
		t.Errorf("/readyz with 1 MiB required and %d bytes free: %d %v", free, st, body)
	}
}

// TestStorageFull fills a store capped at 1.6 MB (SQLite's max_page_count, which
// fails writes exactly as a full disk does) through the API: the write that does not
// fit answers 507 storage_full in the one error shape and leaves no case behind, and
// what was stored can still be listed and read.
func TestStorageFull(t *testing.T) {
	t.Parallel()
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("a full disk is simulated on the embedded store")
	}
	db, err := database.Open(context.Background(), database.Options{DataDir: t.TempDir(), Name: "registro_full", MaxPages: 400})
	if err != nil {
		t.Fatalf("database.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	ts := newTestServerOn(t, db)
	ts.mustOrg(t, "LIM")
	_, token := ts.mustUserToken(t, "LIM", "coord1", accounts.RoleCoordinator)
	var created []string
	var resp *http.Response
	var raw []byte
	for range 2000 {
		resp, raw = mustSend(t, ts, request{method: "POST", path: "/api/v1/cases", token: token, body: ts.caseInput(nil)})
		if resp.StatusCode != http.StatusCreated {
			break
		}
		id, _ := decodeObject(t, raw)["id"].(string)
		created = append(created, id)
	}
	t.Logf("%d cases stored before the store was full", len(created))
	if len(created) == 0 {
		t.Fatalf("the first case was refused: %d %s", resp.StatusCode, raw)
	}
	wantError(t, resp.StatusCode, decodeObject(t, raw), http.StatusInsufficientStorage, "storage_full")

	stored, err := db.Collection("cases").CountDocuments(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if stored != int64(len(created)) {
		t.Errorf("%d case documents stored, %d acknowledged: the refused write left a case behind", stored, len(created))
	}
	// The store still reads. Through the API a read answers 200 while its access-log
	// entry still fits, and 507 once not even that fits: no read goes unlogged.
	if k := ts.storedCase(t, created[0]); k.ID != created[0] {
		t.Errorf("reading the first case from the store: got %q", k.ID)
	}
	for _, path := range []string{"/api/v1/cases/" + created[len(created)/2], "/api/v1/cases"} {
		resp, raw := mustSend(t, ts, request{method: "GET", path: path, token: token})
		t.Logf("GET %s on a full disk: %d", path, resp.StatusCode)
		if resp.StatusCode != http.StatusOK {
			wantError(t, resp.StatusCode, decodeObject(t, raw), http.StatusInsufficientStorage, "storage_full")
		}
	}
}
