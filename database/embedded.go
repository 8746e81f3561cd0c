package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// embeddedStore is FerretDB with its SQLite backend running in this process.
type embeddedStore struct {
	uri       string
	sqliteDir string
	lock      *os.File
	cancel    context.CancelFunc
	done      chan struct{}
	// gate pauses this process's commands to the store while the WAL watcher forces
	// a checkpoint; Open installs its command monitor on the client.
	gate *quiesceGate
}

// startMu serializes ferretdb.New, which writes a package variable of FerretDB's.
var startMu sync.Mutex

// maxSocketPath is the longest unix socket path Linux accepts, less the terminator.
const maxSocketPath = 107

// SQLite settings of the embedded store. FerretDB passes the query of its SQLite URL on
// to the modernc driver, which runs every _pragma on each connection it opens, next to
// FerretDB's own defaults (busy_timeout(10000), journal_mode(wal), auto_vacuum(none)),
// which it adds only when the URL does not name them.
const (
	// synchronous(normal): in WAL mode a commit is appended to the WAL without a disk
	// sync; the WAL is synced at each checkpoint. A crash of the process loses nothing
	// committed (the OS has the data); a power failure or OS crash may lose the last
	// commits since the previous checkpoint sync. The database stays consistent.
	pragmaSynchronous = "synchronous(normal)"
	// walSizeLimit is journal_size_limit: each time the WAL starts over after a
	// checkpoint, SQLite truncates the file to at most this size instead of keeping
	// the largest size it ever reached. (SQLite checkpoints on its own whenever a
	// commit leaves more than 1,000 pages, about 4 MB, in the WAL.)
	walSizeLimit = 16 << 20
	// walCheckpointAt is the WAL size above which the store's watcher forces a
	// wal_checkpoint(TRUNCATE). SQLite's own checkpoints are passive: they copy pages
	// back into the database but start the WAL over only when a writer begins at a
	// moment when every page is copied and no reader still uses the WAL. Concurrent
	// writers, and FerretDB's updates (which keep a read open while they write), make
	// that moment rare, and the WAL then grows without end (hundreds of MB in a minute
	// of two concurrent writers, measured).
	walCheckpointAt = 32 << 20
	// walQuiesceWait bounds how long the watcher waits for Registro's commands in
	// flight to finish before a forced checkpoint; commands that start meanwhile wait
	// as long at most, plus the checkpoint itself. After each attempt that found a
	// command still running, the next one waits twice as long, up to walQuiesceMax; a
	// query that runs longer than that holds the WAL until it ends.
	walQuiesceWait = 250 * time.Millisecond
	walQuiesceMax  = time.Second
	// walCheckpointWait is the busy timeout of a forced checkpoint: how long it waits
	// for a writer or reader outside the gate (another client of the socket, a cursor
	// left half-read).
	walCheckpointWait = 100 * time.Millisecond
	// walRetryEvery is how soon a forced checkpoint that could not go through is tried
	// again.
	walRetryEvery = time.Second
	// walWarnAfter is how long a WAL may stay over walCheckpointAt before the watcher
	// logs a warning (and again after as long, while it stays over).
	walWarnAfter = time.Minute
)

// walCheckEvery is how often the watcher looks at the WAL files' sizes (a variable for
// the tests). Between two looks the WAL grows by what is written meanwhile, at most
// some tens of MB per second on this kind of machine.
var walCheckEvery = 250 * time.Millisecond

// sqliteURL is FerretDB's SQLite URL for the directory dir with Registro's settings;
// maxPages > 0 adds max_page_count (tests of a full disk only).
func sqliteURL(dir string, maxPages int) string {
	q := url.Values{}
	q.Add("_pragma", pragmaSynchronous)
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	// Freed content is overwritten with zeros, so an erased case's bytes do not stay
	// in free pages of the file (see DB.Purge for the write-ahead log).
	q.Add("_pragma", "secure_delete(on)")
	if maxPages > 0 {
		q.Add("_pragma", fmt.Sprintf("max_page_count(%d)", maxPages))
	}
	return "file:" + dir + "/?" + q.Encode()
}

func startEmbedded(ctx context.Context, dir string, maxPages int, logger *slog.Logger) (_ *embeddedStore, err error) {
	if dir == "" {
		return nil, errors.New("database: the embedded store needs a data directory")
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("database: data directory: %w", err)
	}
	// Every file of the data directory (SQLite's database, log and index, the lock, the
	// socket) is created readable by this account only.
	syscall.Umask(0o077)
	sqliteDir := filepath.Join(dir, "sqlite")
	if err := os.MkdirAll(sqliteDir, 0o700); err != nil {
		return nil, fmt.Errorf("database: create data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("database: protect data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = lock.Close()
		}
	}()

	// A process killed between a write and its purge (an erasure, an alert's edit) left
	// the earlier versions of what it rewrote in the write-ahead log. Nothing else holds
	// the files now (the lock): their logs are copied in and truncated before the store
	// opens them.
	if err := truncateLeftWALs(ctx, sqliteDir); err != nil {
		return nil, startErr(sqliteDir, err)
	}

	// The store listens on a unix socket inside the private data directory, so no other
	// local account can connect to it; a data directory too deep for a socket path falls
	// back to a loopback port.
	listener := ferretdb.ListenerConfig{TCP: "127.0.0.1:0"}
	sock := filepath.Join(dir, "store.sock")
	if len(sock) <= maxSocketPath {
		_ = os.Remove(sock) // left behind by a crash; the lock proves no one uses it
		listener = ferretdb.ListenerConfig{Unix: sock}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	startMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  listener,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL(sqliteDir, maxPages),
		Logger:    slog.New(&storeLogHandler{next: logger.Handler()}),
	})
	startMu.Unlock()
	if err != nil {
		return nil, startErr(sqliteDir, err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	watched := make(chan struct{})
	every := walCheckEvery
	gate := newQuiesceGate()
	go func() {
		defer close(done)
		_ = f.Run(runCtx)
		<-watched
	}()
	go func() {
		defer close(watched)
		watchWAL(runCtx, sqliteDir, gate, every, logger)
	}()
	return &embeddedStore{uri: f.MongoDBURI(), sqliteDir: sqliteDir, lock: lock, cancel: cancel, done: done, gate: gate}, nil
}

// startErr is the error of a store that could not start on the files in sqliteDir:
// ErrCorrupt when SQLite calls a file damaged (its codes 11 and 26).
func startErr(sqliteDir string, err error) error {
	if msg := err.Error(); strings.Contains(msg, "malformed") || strings.Contains(msg, "not a database") {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, sqliteDir, err)
	}
	return fmt.Errorf("database: start embedded store: %w", err)
}

// truncateLeftWALs checkpoints and truncates every non-empty write-ahead log in
// sqliteDir; the caller holds the data directory's lock.
func truncateLeftWALs(ctx context.Context, sqliteDir string) error {
	wals, err := filepath.Glob(filepath.Join(sqliteDir, "*.sqlite-wal"))
	if err != nil {
		return err
	}
	for _, wal := range wals {
		if fi, err := os.Stat(wal); err != nil || fi.Size() == 0 {
			continue
		}
		if err := checkpointWAL(ctx, strings.TrimSuffix(wal, "-wal")); err != nil {
			return fmt.Errorf("the write-ahead log %s left by the last run: %w", filepath.Base(wal), err)
		}
	}
	return nil
}

// watchWAL bounds the WAL files of the store in sqliteDir until ctx ends: every
// interval it forces a checkpoint of each WAL larger than walCheckpointAt, with gate
// closed; one that could not go through is tried again after walRetryEvery.
func watchWAL(ctx context.Context, sqliteDir string, gate *quiesceGate, every time.Duration, logger *slog.Logger) {
	t := time.NewTimer(every)
	defer t.Stop()
	overSince := map[string]time.Time{} // WAL files over the bound, since when
	warned := map[string]time.Time{}
	wait := walQuiesceWait
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := every
		wals, _ := filepath.Glob(filepath.Join(sqliteDir, "*.sqlite-wal"))
		for _, wal := range wals {
			fi, err := os.Stat(wal)
			if err != nil || fi.Size() <= walCheckpointAt {
				delete(overSince, wal)
				delete(warned, wal)
				continue
			}
			size := fi.Size()
			start := time.Now()
			err = truncateWAL(ctx, strings.TrimSuffix(wal, "-wal"), gate, wait)
			if err == nil {
				logger.DebugContext(ctx, "embedded store: WAL checkpointed and truncated",
					slog.String("file", filepath.Base(wal)), slog.Int64("bytes", size),
					slog.Duration("paused", time.Since(start)))
				delete(overSince, wal)
				delete(warned, wal)
				wait = walQuiesceWait
				continue
			}
			if errors.Is(err, errStillRunning) {
				wait = min(2*wait, walQuiesceMax)
			}
			next = walRetryEvery
			now := time.Now()
			if overSince[wal].IsZero() {
				overSince[wal] = now
			}
			if now.Sub(overSince[wal]) >= walWarnAfter && now.Sub(warned[wal]) >= walWarnAfter {
				warned[wal] = now
				logger.WarnContext(ctx, "embedded store: the WAL stays over its bound; retrying its checkpoint",
					slog.String("file", filepath.Base(wal)), slog.Duration("over_for", now.Sub(overSince[wal]).Round(time.Second)),
					slog.String("error", err.Error()))
			}
		}
		t.Reset(next)
	}
}

// errStillRunning reports that commands were still running when a forced checkpoint
// stopped waiting for them.
var errStillRunning = errors.New("commands to the store still running")

// truncateWAL pauses this process's commands to the store (gate), waits up to wait for
// those in flight, and checkpoints and truncates the WAL of the SQLite file path.
func truncateWAL(ctx context.Context, path string, gate *quiesceGate, wait time.Duration) error {
	reopen, drained := gate.quiesce(wait)
	defer reopen()
	if !drained {
		return fmt.Errorf("%w after %s", errStillRunning, wait)
	}
	return checkpointWAL(ctx, path)
}

// checkpointWAL copies every page of the WAL of the SQLite file path into the file and
// truncates the WAL to zero bytes. It runs on a connection of its own, next to
// FerretDB's: SQLite coordinates checkpoints between connections through the WAL's
// shared-memory index and its locks, in one process as across processes (FerretDB and
// this package use the same modernc SQLite). It waits at most walCheckpointWait for a
// writer or for readers of older snapshots; when they outlast it, SQLite copies what it
// can and reports busy, and the watcher tries again.
func checkpointWAL(ctx context.Context, path string) error {
	sq, err := sql.Open("sqlite", "file:"+path+fmt.Sprintf("?_pragma=busy_timeout(%d)", walCheckpointWait.Milliseconds()))
	if err != nil {
		return err
	}
	defer sq.Close()
	var busy, logPages, done int
	if err := sq.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logPages, &done); err != nil {
		return err
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint busy: a writer or readers outlasted %s (%d of %d pages copied)", walCheckpointWait, done, logPages)
	}
	return nil
}

// lockDir takes an exclusive lock on the data directory: two processes on one
// directory would not see each other's collections.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "registro.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("database: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("database: data directory %s is in use by another Registro process (lock %s): stop it or set REGISTRO_DATA_DIR to another directory", dir, path)
	}
	return f, nil
}

func (es *embeddedStore) stop() {
	es.cancel()
	<-es.done
	_ = es.lock.Close()
}

// storeLogHandler passes on only the store's errors, and only their message: its
// records at lower levels and its attributes can carry document contents.
type storeLogHandler struct {
	next slog.Handler
}

func (h *storeLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError && h.next.Enabled(ctx, l)
}

func (h *storeLogHandler) Handle(ctx context.Context, r slog.Record) error {
	msg := r.Message
	if len(msg) > 200 {
		msg = msg[:200]
	}
	out := slog.NewRecord(r.Time, r.Level, msg, 0)
	out.AddAttrs(slog.String("component", "embedded_store"))
	return h.next.Handle(ctx, out)
}

func (h *storeLogHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *storeLogHandler) WithGroup(string) slog.Handler      { return h }
