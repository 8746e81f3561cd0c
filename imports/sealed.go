package imports

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"io"
	"os"
)

// Sealed is a temporary file whose bytes are encrypted under a key held only in this
// process's memory: an uploaded registry (narratives in clear) or its report waits on
// disk between the check and the import, and a crash, a copy of the disk or a backup
// of the temporary directory leaves nothing readable. It is not authenticated: it
// guards against being read, and only this process ever writes it.
type Sealed struct {
	path string
	key  []byte
	iv   []byte
}

// NewSealed creates an empty sealed file in dir ("" for the system's temporary
// directory) and returns it with the writer that fills it; it returns the file
// system's error.
func NewSealed(dir string) (*Sealed, io.WriteCloser, error) {
	s := &Sealed{key: make([]byte, 32), iv: make([]byte, aes.BlockSize)}
	if _, err := rand.Read(s.key); err != nil {
		return nil, nil, err
	}
	if _, err := rand.Read(s.iv); err != nil {
		return nil, nil, err
	}
	f, err := os.CreateTemp(dir, "registro-import-*")
	if err != nil {
		return nil, nil, err
	}
	s.path = f.Name()
	stream, err := s.stream()
	if err != nil {
		f.Close()
		os.Remove(s.path)
		return nil, nil, err
	}
	return s, &sealedWriter{StreamWriter: cipher.StreamWriter{S: stream, W: f}, f: f}, nil
}

func (s *Sealed) stream() (cipher.Stream, error) {
	block, err := aes.NewCipher(s.key)
	if err != nil {
		return nil, err
	}
	return cipher.NewCTR(block, s.iv), nil
}

// Open returns a reader of the file's clear bytes; it returns the file system's error.
func (s *Sealed) Open() (io.ReadCloser, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, err
	}
	stream, err := s.stream()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &sealedReader{StreamReader: cipher.StreamReader{S: stream, R: f}, f: f}, nil
}

// Remove deletes the file and forgets its key.
func (s *Sealed) Remove() error {
	clear(s.key)
	return os.Remove(s.path)
}

type sealedWriter struct {
	cipher.StreamWriter
	f *os.File
}

func (w *sealedWriter) Close() error { return w.f.Close() }

type sealedReader struct {
	cipher.StreamReader
	f *os.File
}

func (r *sealedReader) Close() error { return r.f.Close() }
