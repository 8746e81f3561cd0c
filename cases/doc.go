// Package cases keeps the case record (SPEC §2): an incident told by a survivor,
// under a pseudonym, with her consents, its follow-ups and its shares with lawyers.
//
// Where things happen:
//   - case.go, input.go, validate.go: the record as the API sees it, what a caller
//     sends, and every check on it (a *validation.Error names each field and problem).
//   - pseudonym.go: the survivor's code (UIC) becomes a keyed pseudonym (SubjectOf);
//     the code itself is never stored.
//   - stored.go: the record as stored. The narrative, the contact and the follow-up
//     notes are sealed under the case's own data key, wrapped by the key file's active
//     epoch (keyring); rewrap.go moves keys to a new epoch.
//   - create.go (Create, with its Idempotency-Key), update.go (Update, AddFollowup,
//     Grant, Revoke, Erase) and imported.go (Import, once per row of an old registry)
//     turn every change into a write of the group committer, writer.go: intent, case
//     document (the commit point), lists and facts, access-log entry, in that order;
//     recover.go completes what a crash left.
//   - lists.go, chunks.go: the lists a caller may read (the organization's, her own,
//     shared with her) as chunk documents on the embedded store or queries elsewhere;
//     every entry passes the caller's authorization predicate before it is returned.
//   - facts.go: the statistical facts of the cases whose survivors consent, which
//     package stats counts; rebuild.go recomputes lists and facts and checks them.
//
// The package decides nothing about who may do what: callers pass the predicate of
// their authorization (package authz) and the Actor to record in the access log.
package cases
