// Command registro runs the Registro case registry: `registro serve` starts the server
// (on the embedded store unless MONGODB_URI is set); other subcommands administer it
// from the server's shell.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "registro:", err)
		os.Exit(1)
	}
}

const usage = `Registro: a safe case registry for community organizations of sex workers.

Usage:
  registro serve                       start the server (embedded store unless MONGODB_URI is set)
  registro user create USERNAME ROLE ORG
                                       create an account; prints a generated password
  registro user reset-password USERNAME
                                       set a new generated password (changed at the next sign-in); ends the account's sessions
  registro user remove-second-factor USERNAME
                                       remove the account's second factor (a lost phone and lost recovery codes)
  registro audit verify [ORG]          check the access log's hash chain (every organization by default)
  registro audit verify --anchor "LINE" check it, and that it still extends an anchor kept outside the installation
  registro audit anchor [ORG]          print the chain's head as a line for the auditor to keep elsewhere
  registro audit rekey [ORG]           rewrite the chains made before the access log had its key under that key
                                       (once, at the upgrade: it trusts the unkeyed entries that are intact)
  registro keys list                   show each key-encryption key (epoch) and the data keys it still wraps
  registro keys rotate                 start a new epoch: a new key heads the key file, every data key is rewrapped under it
  registro keys rewrap                 rewrap every data key under the active key (after an interrupted rotation, or editing REGISTRO_KEK)
  registro keys retire EPOCH           destroy an old epoch's key once nothing live uses it: backups sealed under it no longer open
  registro org share-days CODE DAYS    the longest a case of the organization is shared with a legal partner at once (default 180)
  registro reindex                     rebuild the case lists and statistical facts from the cases (after a crash)
  registro check                       check the store's file, and that the lists and statistical facts agree with the cases
  registro backup DIR                  write a point-in-time copy of the embedded store (mongodump layout, no key file) while it runs
  registro restore DIR [--erasures NEWER_DIR]...
                                       load a backup into an empty store, replay the erasures of newer backups, then check it
                                       (needs the key file that made it)
  registro stats -org ORG [-quarter Q | -from M -to M] [-by DIMS] [-lang es|en] [-format csv|json]
                                       print the organization's exact statistics (internal use: do not publish)
  registro stats publish -org ORG -period 2026-Q2
                                       publish the statistics release of a closed quarter or year
  registro import -org ORG [-map MAP] [-report REPORT.xlsx] [-commit] FILE
                                       bring an old registry (CSV or XLSX) in: a dry run with a row-by-row report,
                                       then -commit to import; importing the same file again creates nothing twice
  registro version                     print the version
  registro help                        print this help

Configuration comes from the environment; see README.md (REGISTRO_ADDR, REGISTRO_DATA_DIR,
MONGODB_URI, REGISTRO_DB, REGISTRO_KEY_FILE, REGISTRO_LOG_LEVEL, REGISTRO_RELEASE_DELAY, ...).
`

// run is the whole program, with its dependencies passed in so tests can run it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "serve":
		return serve(ctx, getenv, stdout, stderr)
	case "user":
		return userCommand(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		return auditCommand(ctx, args[1:], getenv, stdout, stderr)
	case "reindex":
		return reindexCommand(ctx, getenv, stdout, stderr)
	case "stats":
		return statsCommand(ctx, args[1:], getenv, stdout, stderr)
	case "keys":
		return keysCommand(ctx, args[1:], getenv, stdout)
	case "org":
		return orgCommand(ctx, args[1:], getenv, stdout)
	case "check":
		return checkCommand(ctx, getenv, stdout)
	case "backup":
		return backupCommand(ctx, args[1:], getenv, stdout)
	case "import":
		return importCommand(ctx, args[1:], getenv, stdout, stderr)
	case "restore":
		return restoreCommand(ctx, args[1:], getenv, stdout)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "registro", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q: run `registro help`", args[0])
}
