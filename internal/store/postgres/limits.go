package postgres

import "time"

// maxTxAttempts bounds how many times a transaction that failed with a
// deadlock or serialisation failure is run in all.
const maxTxAttempts = 5

// maxReadAttempts bounds how many times a read whose pooled connection was
// lost (database restart, failover) is run in all.
const maxReadAttempts = 3

// Reconnection of the LISTEN connection (notify.go): the delay doubles from
// listenMinBackoff to listenMaxBackoff while the database is unreachable.
const (
	listenMinBackoff = 50 * time.Millisecond
	listenMaxBackoff = 5 * time.Second
)

// maxChannelLen is PostgreSQL's identifier limit (NAMEDATALEN - 1), which
// bounds NOTIFY channel names.
const maxChannelLen = 63

// The outbox of changes (notify.go).
const (
	// pollInterval: a listener reads the outbox this often even without a
	// notification (one lost in flight costs at most this).
	pollInterval = time.Second
	// gapWait is how long an id skipped over (a transaction that took its
	// id earlier and has not committed yet) is watched for.
	gapWait = 5 * time.Second
	// changeRetention is how long outbox rows are kept; a listener away
	// for more than half of it resyncs everything instead of replaying.
	changeRetention = 10 * time.Minute
	// outboxBatch bounds the rows one read takes.
	outboxBatch = 10000
)
