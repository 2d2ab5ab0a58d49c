package sqlite

import (
	"os"
	"time"
)

// busyTimeout is how long a connection waits for a lock held by another
// process (castellan migrate, a second server on the same file) before it
// returns SQLITE_BUSY. Writers inside one process never wait on it: they
// queue for the single write connection instead.
const busyTimeout = 5 * time.Second

// minReadConns and maxReadConns bound the default read pool, GOMAXPROCS
// connections: WAL readers run in parallel, and each holds up to
// readCacheKiB of page cache.
const (
	minReadConns = 4
	maxReadConns = 16
)

// dbFileMode is the mode of the database file and its -wal and -shm files:
// they hold sealed secrets and every identity's metadata.
const dbFileMode os.FileMode = 0o600

// readCacheKiB is the page cache of each read connection, in KiB (SQLite's
// default is 2000). Lookups touch a handful of pages per table; a cache
// that holds the upper levels of every index keeps them flat as the tables
// grow (BenchmarkGetAccessKey at 1k and 100k keys).
const readCacheKiB = 16 << 10
