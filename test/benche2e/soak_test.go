package main

import (
	"strings"
	"testing"
	"time"
)

func TestCheckSoak(t *testing.T) {
	flat := func() []sample {
		var rows []sample
		for i := range 5 {
			rows = append(rows, sample{ops: 1000, p99: 10 * time.Millisecond, rss: 90 << 20, threads: 13, fds: 23, goroutines: 40, dataBytes: int64(i) * 2_000_000})
		}
		return rows
	}
	cases := []struct {
		name   string
		mutate func([]sample)
		want   string // "" passes
	}{
		{"flat", func([]sample) {}, ""},
		{"p99 drift", func(r []sample) { r[4].p99 = 16 * time.Millisecond }, "p99"},
		{"goroutine leak", func(r []sample) { r[4].goroutines = 200 }, "goroutines"},
		{"file leak", func(r []sample) { r[4].fds = 100 }, "open files"},
		{"memory growth", func(r []sample) { r[4].rss = 400 << 20 }, "RSS"},
		{"bytes per op growth", func(r []sample) { r[4].dataBytes = r[3].dataBytes + 9_000_000 }, "bytes per op"},
		{"no debug server", func(r []sample) {
			for i := range r {
				r[i].goroutines = -1
			}
		}, ""},
	}
	for _, c := range cases {
		rows := flat()
		c.mutate(rows)
		err := checkSoak(rows)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want no error", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error about %s", c.name, err, c.want)
		}
	}
	if err := checkSoak(flat()[:2]); err == nil {
		t.Error("two windows passed, want at least three")
	}
}
