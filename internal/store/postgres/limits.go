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
	listenMinBackoff = 100 * time.Millisecond
	listenMaxBackoff = 5 * time.Second
)

// maxChannelLen is PostgreSQL's identifier limit (NAMEDATALEN - 1), which
// bounds NOTIFY channel names.
const maxChannelLen = 63
