package browser

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// watcher collects, from the tab's events, what must never happen on a page (script
// errors, uncaught exceptions, Content-Security-Policy violations and failed loads,
// which Chromium reports in its log) and the bytes each page load transfers.
type watcher struct {
	mu       sync.Mutex
	problems []string
	warnings []string        // reported, not failed: Chromium warns about harmless things too
	expected map[string]bool // URLs whose error status the test asked for

	requests map[network.RequestID]string // this page load's requests → URL
	inflight map[network.RequestID]bool
	bytes    float64
}

func newWatcher() *watcher {
	w := &watcher{expected: map[string]bool{}}
	w.begin()
	return w
}

// begin starts counting a new page load.
func (w *watcher) begin() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.requests = map[network.RequestID]string{}
	w.inflight = map[network.RequestID]bool{}
	w.bytes = 0
}

// expect marks a URL whose answer is an error on purpose (a not-found page), so the
// browser's "failed to load resource" entry for it is no problem.
func (w *watcher) expect(url string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expected[url] = true
}

// take returns the problems seen since the last call.
func (w *watcher) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.problems
	w.problems = nil
	return p
}

// takeWarnings returns the warnings seen since the last call.
func (w *watcher) takeWarnings() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.warnings
	w.warnings = nil
	return p
}

// idle reports whether this page load has no request in flight, and its weight.
func (w *watcher) idle() (bool, float64, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.inflight) == 0, w.bytes, len(w.requests)
}

// pending names the requests of this page load still in flight.
func (w *watcher) pending() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for id := range w.inflight {
		out = append(out, w.requests[id])
	}
	return out
}

// handle runs inside the tab's event loop: it must return fast and run no command.
func (w *watcher) handle(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			w.problems = append(w.problems, "console."+string(ev.Type)+": "+argsText(ev.Args))
		case runtime.ConsoleAPICalledTypeWarning:
			w.warnings = append(w.warnings, "console.warn: "+argsText(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		w.problems = append(w.problems, fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text))
	case *log.EventEntryAdded:
		e := ev.Entry
		switch {
		case e.Level == log.EntryLevelError && !w.expected[e.URL]:
			w.problems = append(w.problems, fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL))
		case e.Level == log.EntryLevelWarning:
			w.warnings = append(w.warnings, fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL))
		}
	case *network.EventRequestWillBeSent:
		w.requests[ev.RequestID] = ev.Request.URL
		// The tab's icon is Chromium's own request, and under a service worker it does
		// not always report its end: its bytes count, but the page does not wait for it.
		if ev.Type == network.ResourceTypeOther && strings.Contains(ev.Request.URL, "/static/icon.") {
			return
		}
		w.inflight[ev.RequestID] = true
	case *network.EventResponseReceived:
		// Chromium does not always report the end of a load the service worker answers
		// (the icon, a form's answer): the answer is there, so it counts as done.
		if ev.Response.FromServiceWorker {
			delete(w.inflight, ev.RequestID)
		}
	case *network.EventLoadingFinished:
		if _, ok := w.requests[ev.RequestID]; ok {
			w.bytes += ev.EncodedDataLength
			delete(w.inflight, ev.RequestID)
		}
	case *network.EventLoadingFailed:
		url, ok := w.requests[ev.RequestID]
		if !ok {
			return
		}
		delete(w.inflight, ev.RequestID)
		if !ev.Canceled && !w.expected[url] {
			w.problems = append(w.problems, fmt.Sprintf("failed to load %s (%s): %s %s", url, ev.Type, ev.ErrorText, ev.BlockedReason))
		}
	}
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		switch {
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			var str string
			if json.Unmarshal(a.Value, &str) == nil {
				parts = append(parts, str)
			} else {
				parts = append(parts, string(a.Value))
			}
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}
