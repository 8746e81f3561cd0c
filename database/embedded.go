package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// embeddedStore is FerretDB with its SQLite backend running in this process.
type embeddedStore struct {
	uri       string
	sqliteDir string
	lock      *os.File
	cancel    context.CancelFunc
	done      chan struct{}
}

// startMu serializes ferretdb.New, which writes a package variable of FerretDB's.
var startMu sync.Mutex

// maxSocketPath is the longest unix socket path Linux accepts, less the terminator.
const maxSocketPath = 107

func startEmbedded(ctx context.Context, dir string, logger *slog.Logger) (_ *embeddedStore, err error) {
	if dir == "" {
		return nil, errors.New("database: the embedded store needs a data directory")
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("database: data directory: %w", err)
	}
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
		SQLiteURL: "file:" + sqliteDir + "/",
		Logger:    slog.New(&storeLogHandler{next: logger.Handler()}),
	})
	startMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("database: start embedded store: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(runCtx)
	}()
	return &embeddedStore{uri: f.MongoDBURI(), sqliteDir: sqliteDir, lock: lock, cancel: cancel, done: done}, nil
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
