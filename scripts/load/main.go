// Command load measures Registro under load (issue 10): N clients for M seconds (or
// until N cases are acknowledged) with a mix of creates, reads, lists and live
// statistics, beside a raw-store baseline of single-document inserts in the same run;
// and, in fault mode, kills and restarts the server during intake and then checks
// every acknowledged case.
//
//	go run ./scripts/load -clients 20 -duration 30s
//	go run ./scripts/load -clients 20 -cases 100000 -raw=false
//	go run ./scripts/load -clients 20 -kill 10 -kill-every 5s
//	go run ./scripts/load -url http://127.0.0.1:8080 -admin-password … -clients 5
//
// See README.md in this directory for what each figure means.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type config struct {
	bin, data, url string
	keep           bool
	clients        int
	duration       time.Duration
	durationSet    bool
	mix            mix
	cases          int
	users          int
	raw            bool
	rawDuration    time.Duration
	kill           int
	killEvery      time.Duration
	checkWhen      string
	jsonPath       string
	org            string
	adminUser      string
	adminPassword  string
	timeout        time.Duration
	pid            int
	idempotency    bool
	logLevel       string
	seed           uint64
}

func main() {
	code, err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		if code == 0 {
			code = 2
		}
	}
	os.Exit(code)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var o config
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bin, "bin", "", "registro binary to start (default: go build ./cmd/registro into the work directory)")
	fs.StringVar(&o.data, "data", "", "data directory of the started server (default: a temporary one, removed at the end unless -keep); with -url, only watched for WAL and size")
	fs.StringVar(&o.url, "url", "", "target a running server at this base URL instead of starting one (no raw baseline unless -data, no RSS unless -pid, no fault mode)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary work directory (data, key, server log)")
	fs.IntVar(&o.clients, "clients", 20, "concurrent clients")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "length of the API phase (with -cases: a time limit, only when given)")
	mixText := fs.String("mix", defaultMix, "operation weights: create, read (a case the client created), list (the worker's own list), orglist (the coordinator's organization list), stats (the coordinator's live statistics)")
	fs.IntVar(&o.cases, "cases", 0, "stop the API phase after this many acknowledged creates instead of after -duration")
	fs.IntVar(&o.users, "users", 20, "outreach worker accounts, created through the API at setup; client i signs in as worker i mod users")
	fs.BoolVar(&o.raw, "raw", true, "run the raw-store baseline (single InsertOne calls over the embedded store's socket) before the API phase (default off in fault mode)")
	fs.DurationVar(&o.rawDuration, "raw-duration", 0, "length of the raw baseline (default: -duration, or 30s with -cases)")
	fs.IntVar(&o.kill, "kill", 0, "fault mode: this many rounds of SIGKILL and restart during intake")
	fs.DurationVar(&o.killEvery, "kill-every", 5*time.Second, "fault mode: intake time between kills")
	fs.StringVar(&o.checkWhen, "check", "down", "fault mode: when `registro check` and `registro audit verify` run each round: down (between kill and restart, on the crashed store) or restart (after the restart has become ready, with the server stopped cleanly for them)")
	fs.StringVar(&o.jsonPath, "json", "", "also write the report as JSON to this file (- for standard output, instead of the text)")
	fs.StringVar(&o.org, "org", "", "organization to record in (default: a new one per run, created as admin, so its lists hold this run's cases only)")
	fs.StringVar(&o.adminUser, "admin-user", "admin", "admin account used at setup")
	fs.StringVar(&o.adminPassword, "admin-password", os.Getenv("REGISTRO_LOAD_ADMIN_PASSWORD"), "admin password (default $REGISTRO_LOAD_ADMIN_PASSWORD; a started server on a fresh data directory gets a generated one)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "time limit of one HTTP request")
	fs.IntVar(&o.pid, "pid", 0, "with -url: the server's process id, to poll its RSS")
	fs.BoolVar(&o.idempotency, "idempotency", true, "send an Idempotency-Key with every create (always on in fault mode)")
	fs.StringVar(&o.logLevel, "log-level", "warn", "REGISTRO_LOG_LEVEL of the started server")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed of the generated cases and the operation mix (default: from the clock)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	rawSet := false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "duration":
			o.durationSet = true
		case "raw":
			rawSet = true
		}
	})
	if o.kill > 0 && !rawSet {
		o.raw = false // fault mode measures loss, not speed
	}
	var err error
	if o.mix, err = parseMix(*mixText); err != nil {
		return o, fmt.Errorf("-mix: %w", err)
	}
	var problems []string
	if o.clients < 1 {
		problems = append(problems, "-clients must be at least 1")
	}
	if o.users < 1 {
		problems = append(problems, "-users must be at least 1")
	}
	if o.duration <= 0 && o.cases <= 0 && o.kill <= 0 {
		problems = append(problems, "-duration must be positive")
	}
	if o.kill < 0 || (o.kill > 0 && o.killEvery <= 0) {
		problems = append(problems, "-kill and -kill-every must be positive")
	}
	if o.kill > 0 && o.url != "" {
		problems = append(problems, "fault mode (-kill) needs a server this tool starts: drop -url")
	}
	if o.checkWhen != "down" && o.checkWhen != "restart" {
		problems = append(problems, "-check must be down or restart")
	}
	if o.url != "" && o.bin != "" {
		problems = append(problems, "-bin and -url exclude each other")
	}
	if o.rawDuration == 0 {
		o.rawDuration = o.duration
		if o.cases > 0 && !o.durationSet || o.rawDuration <= 0 {
			o.rawDuration = 30 * time.Second
		}
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	o.url = strings.TrimRight(o.url, "/")
	if len(problems) > 0 {
		return o, errors.New(strings.Join(problems, "; "))
	}
	return o, nil
}

// run is the whole program; it returns the exit code: 0 when every invariant holds,
// 1 when one fails, 2 on a setup failure.
func run(args []string, stdout, stderr io.Writer) (int, error) {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return 2, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
	}
	env, err := prepare(ctx, o, logf)
	if env != nil {
		defer env.cleanup()
	}
	if err != nil {
		return 2, err
	}
	rep := env.newReport()

	if o.raw {
		if sock := env.storeSocket(); sock == "" {
			rep.Notes = append(rep.Notes, "raw baseline skipped: no embedded store socket (give -data with -url, or the data directory path is too long for a unix socket)")
		} else {
			logf("raw baseline: %d clients for %s over %s", o.clients, o.rawDuration, sock)
			env.sampler.setPhase("raw")
			raw, err := runRaw(ctx, sock, o.clients, o.rawDuration, "load_raw_"+env.run, o.seed)
			env.sampler.setPhase("")
			if err != nil {
				return 2, fmt.Errorf("raw baseline: %w", err)
			}
			rep.Raw = raw
			logf("raw baseline: %d inserts, %.1f/s", raw.Inserts, raw.RatePerSec)
		}
	}

	env.sampler.setPhase("api")
	if o.kill > 0 {
		rep.Mode = "fault"
		rep.Fault = runFault(ctx, env, o, logf)
		rep.API = rep.Fault.Intake
	} else {
		rep.Mode = "load"
		rep.API = runLoad(ctx, env, o, logf)
		if sock := env.storeSocket(); sock != "" && ctx.Err() == nil {
			dbName := orDefault(os.Getenv("REGISTRO_DB"), "registro")
			if n, err := storedCaseSize(ctx, sock, dbName, env.org); err == nil {
				rep.API.StoredBytes = n
			}
		}
	}
	env.sampler.setPhase("")
	rep.Server.DataDirBytes = dirSize(env.dataDir)
	if env.srv != nil {
		if rep.Fault == nil {
			if err := env.srv.stop(); err != nil {
				rep.Failures = append(rep.Failures, "stopping the server: "+err.Error())
			}
		} else {
			rep.Server.DataDirBytes = rep.Fault.DataDirBytes
		}
		rep.Server.DataDirBytesAfterStop = dirSize(env.dataDir)
	}
	if unexpected := env.srvUnexpectedExits(); unexpected > 0 {
		rep.Failures = append(rep.Failures, fmt.Sprintf("the server exited %d time(s) without being told to (see its log)", unexpected))
	}
	if ctx.Err() != nil {
		rep.Failures = append(rep.Failures, "interrupted: the figures cover the run until the interrupt")
	}
	rep.finish(env)

	if o.jsonPath != "-" {
		rep.writeText(stdout)
	}
	if o.jsonPath != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		b = append(b, '\n')
		if o.jsonPath == "-" {
			_, _ = stdout.Write(b)
		} else if err := os.WriteFile(o.jsonPath, b, 0o644); err != nil {
			return 2, err
		}
	}
	if !rep.Pass {
		return 1, nil
	}
	return 0, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
