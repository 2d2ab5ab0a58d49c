package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// File layout: <dir>/audit-YYYY-MM-DD.jsonl for the first file of a UTC
// day, audit-YYYY-MM-DD.N.jsonl (N = 1, 2, …) after size rotations. Each
// line is one CloudTrail record. Files are 0600 in a 0700 directory.
const (
	filePrefix = "audit-"
	fileSuffix = ".jsonl"
	fileMode   = 0o600
	dirMode    = 0o700
	// DefaultMaxFileBytes is the size past which a file is rotated.
	DefaultMaxFileBytes = 64 << 20
)

// FileSink appends records to JSON-lines files, one fsync per batch,
// rotated daily (UTC) and by size, and deletes files older than the
// retention.
type FileSink struct {
	dir       string
	maxBytes  int64
	retention time.Duration
	now       func() time.Time

	f    *os.File
	day  string // YYYY-MM-DD of f
	seq  int    // rotation number of f within day
	size int64
	buf  []byte // reused between batches (Write is called from one goroutine)

	// The intent journal (intent.go).
	journal      *os.File
	jsize        int64
	pending      map[string][]byte // eventID → intent line, awaiting its event
	ibuf         []byte
	reconciled   int
	compactErr   error
	compactFloor int64
}

// maxKeptBuf is the largest batch buffer kept for the next batch.
const maxKeptBuf = 8 << 20

// FileConfig configures a FileSink.
type FileConfig struct {
	Dir      string
	MaxBytes int64 // 0: DefaultMaxFileBytes
	// Retention deletes files whose day ended more than Retention ago; 0 keeps all.
	Retention time.Duration
	Now       func() time.Time
}

// OpenFile opens the sink, creating the directory. A torn last line left by
// a crash in the newest file is cut off (it was never acknowledged).
func OpenFile(cfg FileConfig) (*FileSink, error) {
	s := &FileSink{dir: cfg.Dir, maxBytes: cfg.MaxBytes, retention: cfg.Retention, now: cfg.Now}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxFileBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := os.MkdirAll(s.dir, dirMode); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if err := s.open(s.now()); err != nil {
		return nil, err
	}
	if err := s.reconcile(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.openJournal(); err != nil {
		s.Close()
		return nil, err
	}
	s.prune()
	return s, nil
}

// Name implements Sink.
func (s *FileSink) Name() string { return "file" }

// Files lists the audit files of dir, oldest first.
func Files(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type f struct {
		day  string
		seq  int
		path string
	}
	var fs []f
	for _, e := range ents {
		day, seq, ok := parseFileName(e.Name())
		if ok {
			fs = append(fs, f{day, seq, filepath.Join(dir, e.Name())})
		}
	}
	slices.SortFunc(fs, func(a, b f) int {
		if c := strings.Compare(a.day, b.day); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	out := make([]string, len(fs))
	for i, x := range fs {
		out[i] = x.path
	}
	return out, nil
}

func fileName(day string, seq int) string {
	if seq == 0 {
		return filePrefix + day + fileSuffix
	}
	return filePrefix + day + "." + strconv.Itoa(seq) + fileSuffix
}

func parseFileName(n string) (day string, seq int, ok bool) {
	if !strings.HasPrefix(n, filePrefix) || !strings.HasSuffix(n, fileSuffix) {
		return "", 0, false
	}
	mid := strings.TrimSuffix(strings.TrimPrefix(n, filePrefix), fileSuffix)
	day, rest, hasSeq := strings.Cut(mid, ".")
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return "", 0, false
	}
	if hasSeq {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			return "", 0, false
		}
		seq = n
	}
	return day, seq, true
}

// open opens the newest file of now's day for appending, repairing a torn tail.
func (s *FileSink) open(now time.Time) error {
	day := now.UTC().Format(time.DateOnly)
	seq := 0
	files, err := Files(s.dir)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	for _, p := range files {
		if d, n, _ := parseFileName(filepath.Base(p)); d == day && n > seq {
			seq = n
		}
	}
	// Repair the newest file of any day (a crash may have torn it).
	if len(files) > 0 {
		if err := repairTail(files[len(files)-1]); err != nil {
			return err
		}
	}
	return s.openAt(day, seq)
}

func (s *FileSink) openAt(day string, seq int) error {
	path := filepath.Join(s.dir, fileName(day, seq))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, fileMode)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.day, s.seq, s.size = f, day, seq, fi.Size()
	syncDir(s.dir)
	return nil
}

// repairTail truncates path after its last newline, dropping a line a
// crash left half written.
func repairTail(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	// Scan back for the last '\n'.
	const chunk = 64 << 10
	end := fi.Size()
	buf := make([]byte, chunk)
	for pos := end; pos > 0; {
		n := int64(chunk)
		if pos < n {
			n = pos
		}
		pos -= n
		if _, err := f.ReadAt(buf[:n], pos); err != nil && err != io.EOF {
			return fmt.Errorf("audit: %w", err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			keep := pos + int64(i) + 1
			if keep == end {
				return nil
			}
			if err := f.Truncate(keep); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
			return f.Sync()
		}
	}
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return f.Sync()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Write implements Sink: one write and one fsync for the batch's events,
// and before them one for its intents (to the journal).
func (s *FileSink) Write(_ context.Context, batch []Record) error {
	nIntents := 0
	for _, r := range batch {
		if r.Intent {
			nIntents++
		}
	}
	if nIntents > 0 {
		ibuf := s.ibuf[:0]
		ids := make([]string, 0, nIntents)
		lines := make([][]byte, 0, nIntents)
		for _, r := range batch {
			if r.Intent {
				ibuf = append(ibuf, r.JSON...)
				ibuf = append(ibuf, '\n')
				ids = append(ids, r.Event.EventID)
				lines = append(lines, r.JSON)
			}
		}
		if cap(ibuf) <= maxKeptBuf {
			s.ibuf = ibuf
		}
		if err := s.writeIntents(ibuf, ids, lines); err != nil {
			return err
		}
		if nIntents == len(batch) {
			return nil
		}
	}
	if s.f == nil {
		if err := s.open(s.now()); err != nil {
			return err
		}
	}
	now := s.now().UTC()
	if day := now.Format(time.DateOnly); day != s.day {
		if err := s.openAt(day, 0); err != nil {
			return err
		}
		s.prune()
	} else if s.size >= s.maxBytes {
		if err := s.openAt(s.day, s.seq+1); err != nil {
			return err
		}
	}
	buf := s.buf[:0]
	for _, r := range batch {
		if r.Intent {
			continue
		}
		buf = append(buf, r.JSON...)
		buf = append(buf, '\n')
	}
	if cap(buf) <= maxKeptBuf {
		s.buf = buf
	} else {
		s.buf = nil
	}
	w, err := s.f.Write(buf)
	s.size += int64(w)
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		// A partial write leaves a torn line; reopen (and repair) next time.
		s.f.Close()
		s.f = nil
		return fmt.Errorf("audit: file write: %w", err)
	}
	s.completed(batch)
	return nil
}

// Check implements Sink.
func (s *FileSink) Check(context.Context) error {
	if s.f == nil {
		if err := s.open(s.now()); err != nil {
			return err
		}
	}
	if s.journal == nil {
		if err := s.openJournal(); err != nil {
			return err
		}
	}
	_, err := s.f.Stat()
	return err
}

// Close implements Sink.
func (s *FileSink) Close() error {
	var err error
	if s.journal != nil {
		err = s.journal.Close()
		s.journal = nil
	}
	if s.f == nil {
		return err
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}

// prune deletes files of days that ended more than the retention ago.
func (s *FileSink) prune() {
	if s.retention <= 0 {
		return
	}
	cutoff := s.now().UTC().Add(-s.retention)
	files, err := Files(s.dir)
	if err != nil {
		return
	}
	for _, p := range files {
		day, _, _ := parseFileName(filepath.Base(p))
		t, _ := time.Parse(time.DateOnly, day)
		if t.Add(24 * time.Hour).Before(cutoff) {
			_ = os.Remove(p)
		}
	}
}

// ReadFile calls fn with each complete record of an audit file, in order.
// A torn last line is skipped.
func ReadFile(path string, fn func(line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil // a line without '\n' is torn
		}
		if err != nil {
			return err
		}
		if err := fn(line[:len(line)-1]); err != nil {
			return err
		}
	}
}

// ParseRecord decodes one JSON line into an Event.
func ParseRecord(line []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(line, &e); err != nil {
		return nil, err
	}
	return &e, nil
}
