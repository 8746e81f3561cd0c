package cases

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"registro/audit"
	"registro/database"
	"registro/database/dbtest"
)

// The attacker of TestKillNineUnderIntake is the power switch's software twin: a
// server process killed with SIGKILL at a random moment while ten clients record
// cases. It holds the data directory as the kill left it. After every kill a new
// process opens the directory (as a restarted server or `registro check` would) and
// every case acknowledged before the kill must be there, with its reference, listed
// once, counted and logged; no reference may be used twice; the lists and facts must
// agree with the cases and the access log must verify, all without a manual reindex.

const crashChildEnv = "REGISTRO_CRASH_CHILD_DIR"

func openDir(tb testing.TB, dir string) (*audit.Log, *Store, func()) {
	tb.Helper()
	db, err := database.Open(context.Background(), database.Options{DataDir: dir, Name: "registro"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := db.IndexIDs(context.Background()); err != nil {
		tb.Fatal(err)
	}
	s, l := loggedStore(tb, db)
	return l, s, func() { _ = db.Close(context.Background()) }
}

// TestCrashChild is the server killed by TestKillNineUnderIntake; it does nothing in
// a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("run by TestKillNineUnderIntake")
	}
	_, s, _ := openDir(t, dir)
	out := bufio.NewWriter(os.Stdout)
	acks := make(chan string, 100)
	for w := range 10 {
		go func() {
			a := []Actor{ana, bea}[w%2]
			for i := 0; ; i++ {
				c, _, err := s.Create(context.Background(), a, validInput(), fmt.Sprintf("%d-%d-%d", os.Getpid(), w, i))
				if err == nil {
					acks <- "ACK " + c.ID + " " + c.Ref
				}
			}
		}()
	}
	for line := range acks {
		fmt.Fprintln(out, line)
		_ = out.Flush() // acknowledged only once the parent can read it
	}
}

func TestKillNineUnderIntake(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("kills the process that owns the embedded store")
	}
	rounds := 10
	if testing.Short() {
		rounds = 3
	}
	dir := t.TempDir()
	acked := map[string]string{} // case id → reference
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var kill <-chan time.Time
		n := 0
		for line := range lines {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "ACK" {
				acked[f[1]] = f[2]
				n++
			}
			if kill == nil {
				kill = time.After(time.Duration(200+rand.N(1300)) * time.Millisecond)
				go func(k <-chan time.Time) {
					<-k
					_ = cmd.Process.Signal(syscall.SIGKILL)
				}(kill)
			}
		}
		_ = cmd.Wait()
		if n == 0 {
			t.Fatalf("round %d: the server acknowledged nothing", round)
		}

		lg, s, closeDB := openDir(t, dir)
		mustAgree(t, s)
		ctx := context.Background()
		byRef := map[string]string{}
		if err := s.eachCase(ctx, func(d *caseDoc) error {
			if other, dup := byRef[d.Ref]; dup {
				t.Errorf("round %d: reference %s on cases %s and %s", round, d.Ref, other, d.ID)
			}
			byRef[d.Ref] = d.ID
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for id, ref := range acked {
			c, err := s.Case(ctx, id, allowAll)
			if err != nil || c.Ref != ref {
				t.Errorf("round %d: acknowledged case %s (%s) lost: %v", round, id, ref, err)
			}
		}
		listed := map[string]int{}
		for _, e := range mustListAll(t, s, Source{Kind: "org", Org: "LIM"}) {
			listed[e.ID]++
		}
		for id := range acked {
			if listed[id] != 1 {
				t.Errorf("round %d: acknowledged case %s listed %d times", round, id, listed[id])
			}
		}
		mustVerify(t, lg, "LIM")
		created := map[string]bool{}
		for _, id := range logged(t, lg, "LIM", "case.create") {
			created[id] = true
		}
		for id := range acked {
			if !created[id] {
				t.Errorf("round %d: acknowledged case %s has no case.create entry", round, id)
			}
		}
		closeDB()
		t.Logf("round %d: %d acknowledged before the kill, %d in all, %d stored", round, n, len(acked), len(byRef))
		if t.Failed() {
			return
		}
	}
}

// mustListAll pages through a whole list.
func mustListAll(tb testing.TB, s *Store, src Source) []Summary {
	tb.Helper()
	out, err := s.ListAll(context.Background(), ListQuery{Sources: []Source{src}, Limit: MaxPage, Allow: seeAll})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestDiskFills: the attacker fills the disk under intake (SQLite's page cap stands in
// for the disk). Every refused create says the storage is full and leaves nothing
// behind; every acknowledged one is complete once space is back, without a reindex.
func TestDiskFills(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("caps the embedded store's files")
	}
	dir := t.TempDir()
	ctx := context.Background()
	open := func(pages int) (*database.DB, *Store, *audit.Log) {
		db, err := database.Open(ctx, database.Options{DataDir: dir, Name: "registro", MaxPages: pages})
		if err != nil {
			t.Fatal(err)
		}
		s, l := loggedStore(t, db)
		return db, s, l
	}
	db, s, _ := open(0)
	mustCreate(t, s, ana, validInput()) // every collection exists
	_ = db.Close(ctx)
	db, s, _ = open(400)
	acked := map[string]string{}
	var refused int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Go(func() {
			for range 200 {
				c, _, err := s.Create(ctx, []Actor{ana, bea}[w%2], validInput(), "")
				mu.Lock()
				if err == nil {
					acked[c.ID] = c.Ref
				} else {
					refused++
					if refused < 4 {
						t.Logf("refused: %v", err)
					}
					if !database.IsStorageFull(err) {
						t.Errorf("a create on a full disk failed with %v, not as storage full", err)
					}
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	waitIdle(t, s)
	if refused == 0 {
		t.Fatal("the disk never filled")
	}
	_ = db.Close(ctx)

	// Space is back: a restart settles what the full disk left owing.
	db, s, l := open(0)
	defer db.Close(ctx)
	mustAgree(t, s)
	mustVerify(t, l, "LIM")
	listed := map[string]bool{}
	for _, e := range mustListAll(t, s, Source{Kind: "org", Org: "LIM"}) {
		listed[e.ID] = true
	}
	for id, ref := range acked {
		if c, err := s.Case(ctx, id, allowAll); err != nil || c.Ref != ref || !listed[id] {
			t.Errorf("acknowledged case %s (%s): %v, listed %v", id, ref, err, listed[id])
		}
	}
	stored := storedIDs(t, s)
	for _, id := range stored {
		if _, ok := acked[id]; !ok {
			t.Logf("stored but not acknowledged: %s listed %v", id, listed[id])
		}
	}
	if len(stored) != len(listed) {
		t.Errorf("%d cases stored, %d listed", len(stored), len(listed))
	}
	t.Logf("%d creates acknowledged, %d refused as storage full, %d stored", len(acked), refused, len(stored))
}

const serverChildEnv = "REGISTRO_SERVER_CHILD_URI"

// TestServerChild is one of the two server processes of TestTwoServerProcesses; it
// does nothing in a normal run.
func TestServerChild(t *testing.T) {
	uri := os.Getenv(serverChildEnv)
	if uri == "" {
		t.Skip("run by TestTwoServerProcesses")
	}
	ctx := context.Background()
	db, err := database.Open(ctx, database.Options{URI: uri, Name: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := loggedStore(t, db)
	target := os.Getenv("REGISTRO_SERVER_CHILD_TARGET")
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			c, _, err := s.Create(ctx, []Actor{ana, bea}[i%2], validInput(), "")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fmt.Println("ERR create", err)
				return
			}
			fmt.Println("ACK", c.ID, c.Ref)
		})
		wg.Go(func() {
			if i >= 10 {
				return
			}
			_, err := s.AddFollowup(ctx, bea, target, FollowupInput{Note: fmt.Sprintf("nota %d-%d", os.Getpid(), i)}, allowAll)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fmt.Println("ERR followup", err)
				return
			}
			fmt.Println("FOLLOWUP")
		})
	}
	wg.Wait()
}

// TestTwoServerProcesses: two Registro processes, each with its own memory, share a
// standalone FerretDB (whose updates are not atomic) and write at once: 40 creates and
// 20 follow-ups of one case. Every create gets a reference of its own, every case is
// listed, no follow-up is lost, and one access-log chain verifies.
func TestTwoServerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a standalone store and two processes")
	}
	ctx := context.Background()
	uri := dbtest.Standalone(t)
	db, err := database.Open(ctx, database.Options{URI: uri, Name: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	s, l := loggedStore(t, db)
	target := mustCreate(t, s, bea, validInput())

	var outs [2]strings.Builder
	var cmds [2]*exec.Cmd
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestServerChild$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), serverChildEnv+"="+uri, "REGISTRO_SERVER_CHILD_TARGET="+target.ID)
		cmds[i].Stdout = &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("server process %d: %v\n%s", i, err, outs[i].String())
		}
	}
	refs := map[string]string{target.Ref: target.ID}
	followups := 0
	for _, out := range outs {
		for _, line := range strings.Split(out.String(), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 3 && f[0] == "ACK":
				if other, dup := refs[f[2]]; dup {
					t.Errorf("reference %s given to %s and %s", f[2], other, f[1])
				}
				refs[f[2]] = f[1]
			case len(f) == 1 && f[0] == "FOLLOWUP":
				followups++
			case len(f) > 0 && f[0] == "ERR":
				t.Errorf("a server process failed: %s", line)
			}
		}
	}
	if len(refs) != 41 || followups != 20 {
		t.Fatalf("%d references and %d follow-ups acknowledged, want 41 and 20", len(refs), followups)
	}
	listed := map[string]bool{}
	for _, e := range mustListAll(t, s, Source{Kind: "org", Org: "LIM"}) {
		listed[e.ID] = true
	}
	for ref, id := range refs {
		if !listed[id] {
			t.Errorf("case %s (%s) acknowledged but not listed", id, ref)
		}
	}
	c, err := s.Case(ctx, target.ID, allowAll)
	if err != nil || len(c.Followups) != 20 || c.Version != 21 {
		t.Fatalf("shared case: %d follow-ups at version %d (%v), want 20 at 21", len(c.Followups), c.Version, err)
	}
	mustVerify(t, l, "LIM")
	mustAgree(t, s)
}
