package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The intent journal makes the trail complete across crashes. Before a
// call changes anything, the edge writes its intent (the event as known
// so far) to <dir>/intents.jsonl through the file lane, fsync'd
// (Auditor.Intend); the call's own event, written later under the same
// eventID to the audit file, completes it. A crash between the two leaves
// an intent without its event: when the sink opens again it writes, for
// each such intent, the event with errorCode OutcomeUnknown, so the change
// (committed or not) is on the trail, and an event that claims success is
// always one whose change committed (it is written only after the call
// returned).
const (
	journalName = "intents.jsonl"
	// journalCompactBytes is the size past which the journal is rewritten
	// with only the intents still waiting for their events.
	journalCompactBytes = 1 << 20

	// OutcomeUnknown is the errorCode of an event reconciled from an
	// intent whose call never recorded an outcome (the server stopped).
	OutcomeUnknown = "OutcomeUnknown"
	// outcomeUnknownMessage is its errorMessage.
	outcomeUnknownMessage = "The server stopped before this call's outcome was recorded; the change it asked for may or may not have been applied."
)

// KeepsIntents implements IntentSink: the file keeps the intent journal.
func (s *FileSink) KeepsIntents() bool { return true }

// Reconciled is how many events with an unknown outcome OpenFile wrote for
// intents a crash left without their events.
func (s *FileSink) Reconciled() int { return s.reconciled }

func (s *FileSink) journalPath() string { return filepath.Join(s.dir, journalName) }

// openJournal opens the journal for appending, cutting off a torn last
// line (an intent whose write never returned: its call did not run).
func (s *FileSink) openJournal() error {
	p := s.journalPath()
	if _, err := os.Stat(p); err == nil {
		if err := repairTail(p); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, fileMode)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	s.journal, s.jsize = f, fi.Size()
	return nil
}

// writeIntents appends the batch's intent lines to the journal, one fsync.
func (s *FileSink) writeIntents(buf []byte, ids []string, lines [][]byte) error {
	if s.journal == nil {
		if err := s.openJournal(); err != nil {
			return err
		}
	}
	n, err := s.journal.Write(buf)
	s.jsize += int64(n)
	if err == nil {
		err = s.journal.Sync()
	}
	if err != nil {
		s.journal.Close()
		s.journal = nil
		return fmt.Errorf("audit: intent journal write: %w", err)
	}
	if s.pending == nil {
		s.pending = map[string][]byte{}
	}
	for i, id := range ids {
		s.pending[id] = lines[i]
	}
	return nil
}

// completed forgets the intents of events now durable in the audit file,
// and compacts the journal once it is large.
func (s *FileSink) completed(batch []Record) {
	if len(s.pending) == 0 && s.jsize < s.compactAt() {
		return
	}
	for _, r := range batch {
		if !r.Intent && r.Event != nil {
			delete(s.pending, r.Event.EventID)
		}
	}
	if s.jsize >= s.compactAt() {
		// On failure the old journal stays whole: the intents already
		// completed in it are found in the audit file at the next start.
		_ = s.compactJournal()
	}
}

// compactJournal replaces the journal with the intents still pending:
// written to a temporary file, fsync'd, renamed over the old one.
func (s *FileSink) compactJournal() error {
	tmp := s.journalPath() + ".tmp"
	var buf []byte
	for _, line := range s.pending {
		buf = append(buf, line...)
		buf = append(buf, '\n')
	}
	if err := writeSynced(tmp, buf); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.journalPath()); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("audit: %w", err)
	}
	syncDir(s.dir)
	if s.journal != nil {
		s.journal.Close()
		s.journal = nil
	}
	if err := s.openJournal(); err != nil {
		return err
	}
	// Intents whose events never came (refused by every sink) stay until
	// the next start; do not rewrite them on every batch.
	s.compactFloor = 2 * s.jsize
	return nil
}

// compactAt is the journal size that triggers a compaction.
func (s *FileSink) compactAt() int64 { return max(journalCompactBytes, s.compactFloor) }

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// reconcile turns the journal's intents that have no event in the audit
// files into events with an unknown outcome, then empties the journal.
func (s *FileSink) reconcile() error {
	p := s.journalPath()
	intents := map[string]*Event{}
	var order []string
	earliest := ""
	err := ReadFile(p, func(line []byte) error {
		e, err := ParseRecord(line)
		if err != nil || e.EventID == "" {
			return nil // not an intent this version wrote; nothing to do
		}
		if _, dup := intents[e.EventID]; !dup {
			order = append(order, e.EventID)
		}
		intents[e.EventID] = e
		if day := time.Time(e.EventTime).UTC().Format(time.DateOnly); earliest == "" || day < earliest {
			earliest = day
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit: reading the intent journal: %w", err)
	}
	if len(intents) > 0 {
		// An event is written to the file of its write's day, never
		// earlier than its eventTime's.
		files, err := Files(s.dir)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		for _, f := range files {
			if day, _, _ := parseFileName(filepath.Base(f)); day < earliest {
				continue
			}
			if err := ReadFile(f, func(line []byte) error {
				forEachEventID(line, func(id string) { delete(intents, id) })
				return nil
			}); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
	}
	var recs []Record
	now := s.now().UTC()
	for _, id := range order {
		e, ok := intents[id]
		if !ok {
			continue
		}
		e.SetError(OutcomeUnknown, outcomeUnknownMessage)
		if e.AdditionalEventData == nil {
			e.AdditionalEventData = map[string]any{}
		}
		e.AdditionalEventData["outcome"] = "unknown"
		e.AdditionalEventData["reconciledAt"] = now.Format(time.RFC3339)
		b, err := e.Marshal()
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		recs = append(recs, Record{Event: e, JSON: b})
	}
	if len(recs) > 0 {
		if err := s.Write(context.Background(), recs); err != nil {
			return err
		}
		s.reconciled = len(recs)
	}
	// Every intent now has its event: start an empty journal. A crash
	// before this finds the events written above and adds nothing.
	if err := writeSynced(p, nil); err != nil {
		return err
	}
	syncDir(s.dir)
	return nil
}

// forEachEventID calls fn with every "eventID" value of a record line,
// without decoding it (a startup scan reads whole files). Keys of the
// free-form maps could also be named eventID; calling fn for them too
// only ever matches an intent whose id that record names.
func forEachEventID(line []byte, fn func(id string)) {
	key := []byte(`"eventID":"`)
	for {
		i := bytes.Index(line, key)
		if i < 0 {
			return
		}
		line = line[i+len(key):]
		j := bytes.IndexByte(line, '"')
		if j < 0 {
			return
		}
		fn(string(line[:j]))
		line = line[j:]
	}
}
