package client

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// iniFile is an AWS shared config or credentials file edited in place:
// every line that is not changed (comments, other profiles, nested
// settings, blank lines) is written back byte for byte. The SDK reads
// these files; only writing them is ours.
type iniFile struct {
	lines []string
}

var (
	sectionRE = regexp.MustCompile(`^\s*\[\s*([^\]]*?)\s*\]\s*([#;].*)?$`)
	keyRE     = regexp.MustCompile(`^([^\s=#;\[][^=]*?)\s*=\s*(.*?)\s*$`)
)

// readINI reads path; a missing file is an empty one.
func readINI(path string) (*iniFile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &iniFile{}, nil
	}
	if err != nil {
		return nil, err
	}
	return parseINI(b), nil
}

// parseINI splits a file's content into lines (CRLF or LF).
func parseINI(b []byte) *iniFile {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	f := &iniFile{}
	if s != "" {
		f.lines = strings.Split(s, "\n")
	}
	return f
}

// normSection folds whitespace inside a section name ("profile   x" →
// "profile x"), as the SDKs do.
func normSection(name string) string { return strings.Join(strings.Fields(name), " ") }

// sectionRange returns the line index of section's header and the end of
// its body (exclusive); header -1 when absent.
func (f *iniFile) sectionRange(section string) (header, end int) {
	header = -1
	want := normSection(section)
	for i, l := range f.lines {
		m := sectionRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if header >= 0 {
			return header, i
		}
		if normSection(m[1]) == want {
			header = i
		}
	}
	return header, len(f.lines)
}

// sections lists the section names in order.
func (f *iniFile) sections() []string {
	var out []string
	for _, l := range f.lines {
		if m := sectionRE.FindStringSubmatch(l); m != nil {
			out = append(out, normSection(m[1]))
		}
	}
	return out
}

// get returns the value of key in section.
func (f *iniFile) get(section, key string) (string, bool) {
	h, end := f.sectionRange(section)
	if h < 0 {
		return "", false
	}
	for i := h + 1; i < end; i++ {
		if m := keyRE.FindStringSubmatch(f.lines[i]); m != nil && strings.EqualFold(m[1], key) {
			return m[2], true
		}
	}
	return "", false
}

// set sets key = value in section, replacing the key's line if present,
// else adding it after the section's last setting; a missing section is
// appended at the end of the file. It is the only way a new value enters
// a file, so it is where values that would break out of their line are
// refused (checkLine); f is unchanged then.
func (f *iniFile) set(section, key, value string) error {
	if err := checkLine(section, key, value); err != nil {
		return err
	}
	line := key + " = " + value
	h, end := f.sectionRange(section)
	if h < 0 {
		if n := len(f.lines); n > 0 && strings.TrimSpace(f.lines[n-1]) != "" {
			f.lines = append(f.lines, "")
		}
		f.lines = append(f.lines, "["+section+"]", line)
		return nil
	}
	last := h
	for i := h + 1; i < end; i++ {
		l := f.lines[i]
		if m := keyRE.FindStringSubmatch(l); m != nil && strings.EqualFold(m[1], key) {
			f.lines[i] = line
			return nil
		}
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, ";") {
			last = i
		}
	}
	f.lines = append(f.lines[:last+1], append([]string{line}, f.lines[last+1:]...)...)
	return nil
}

// addSection appends an empty section when it is missing.
func (f *iniFile) addSection(section string) error {
	if err := checkLine(section, "", ""); err != nil {
		return err
	}
	if h, _ := f.sectionRange(section); h < 0 {
		f.lines = append(f.lines, "["+section+"]")
	}
	return nil
}

// del removes key from section (and its indented continuation lines).
func (f *iniFile) del(section, key string) {
	h, end := f.sectionRange(section)
	if h < 0 {
		return
	}
	for i := h + 1; i < end; i++ {
		if m := keyRE.FindStringSubmatch(f.lines[i]); m != nil && strings.EqualFold(m[1], key) {
			j := i + 1
			for j < end && f.lines[j] != "" && (f.lines[j][0] == ' ' || f.lines[j][0] == '\t') {
				j++
			}
			f.lines = append(f.lines[:i], f.lines[j:]...)
			return
		}
	}
}

// bytes is the file's content.
func (f *iniFile) bytes() []byte {
	if len(f.lines) == 0 {
		return nil
	}
	return []byte(strings.Join(f.lines, "\n") + "\n")
}

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file in the same directory and a rename, so a reader (an SDK, a crash)
// never sees half a file. The directory is created 0700 when missing.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}

// configSection is the name of profile's section in the config file
// ("default" or "profile NAME"); in the credentials file it is the name.
func configSection(profile string) string {
	if profile == "default" {
		return "default"
	}
	return "profile " + profile
}
