package browser

import (
	"net"
	"strings"
	"sync"
	"testing"
)

// signal is the phone's connection to Registro: a TCP relay the test can cut (no
// connection gets through, as in a hotel corridor) or make drop the answer to a sent
// record form (the case reaches the server, its answer never reaches the phone, as
// when the signal goes while it is being sent). The browser talks to base.
type signal struct {
	base string
	mu   sync.Mutex
	mode string // "up", "cut" or "drop"
	open map[net.Conn]bool
}

func newSignal(t *testing.T, target string) *signal {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(target, "http://")
	s := &signal{base: "http://" + ln.Addr().String(), mode: "up", open: map[net.Conn]bool{}}
	t.Cleanup(func() { _ = ln.Close(); s.set("cut") })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.relay(c, addr)
		}
	}()
	return s
}

// set changes the connection; cutting or dropping also ends the connections open.
func (s *signal) set(mode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = mode
	if mode != "up" {
		for c := range s.open {
			_ = c.Close()
		}
	}
}

func (s *signal) relay(c net.Conn, addr string) {
	s.mu.Lock()
	mode := s.mode
	if mode == "cut" {
		s.mu.Unlock()
		_ = c.Close()
		return
	}
	s.open[c] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.open, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	up, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer up.Close()
	var dropping sync.Once
	dropped := make(chan struct{})
	go func() {
		buf := make([]byte, 32*1024)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				if mode == "drop" && strings.Contains(string(buf[:n]), "POST /cases/new ") {
					dropping.Do(func() { close(dropped) })
				}
				if _, werr := up.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 32*1024)
	for {
		n, err := up.Read(buf)
		select {
		case <-dropped:
			return // the server answered the send; the phone never hears it
		default:
		}
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
