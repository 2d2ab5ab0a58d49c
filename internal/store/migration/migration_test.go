package migration

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	cases := []struct {
		name    string
		files   fstest.MapFS
		want    string // versions in order, or the error's substring
		wantErr bool
	}{
		{"ordered by number, gaps allowed", fstest.MapFS{
			"m/0010_ten.up.sql": file("10"), "m/0001_init.up.sql": file("1"), "m/0002_two.up.sql": file("2"),
			"m/README.md": file("not a migration"), "m/0003_three.down.sql": file("ignored"),
		}, "0001_init.up.sql=1 0002_two.up.sql=2 0010_ten.up.sql=10", false},
		{"first is not 1", fstest.MapFS{"m/0002_two.up.sql": file("")}, "versions start at 1", true},
		{"duplicate version", fstest.MapFS{"m/0001_a.up.sql": file(""), "m/0001_b.up.sql": file("")}, "unique", true},
		{"three digits", fstest.MapFS{"m/001_a.up.sql": file("")}, "NNNN_name", true},
		{"no name", fstest.MapFS{"m/0001.up.sql": file("")}, "NNNN_name", true},
		{"zero", fstest.MapFS{"m/0000_a.up.sql": file("")}, "NNNN_name", true},
		{"not a number", fstest.MapFS{"m/00x1_a.up.sql": file("")}, "NNNN_name", true},
		{"empty", fstest.MapFS{}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := Load(tc.files, "m", "testdb")
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "testdb: ") {
					t.Fatalf("Load = %v, want an error with the label and %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Name+"="+m.SQL)
			}
			if s := strings.Join(got, " "); s != tc.want {
				t.Errorf("Load = %s, want %s", s, tc.want)
			}
		})
	}
}
