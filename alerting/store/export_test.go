package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cellsentry/cellsentry/alerting"
)

// exportRecords exports f and parses it back.
func exportRecords(t testing.TB, s *Store, f Filter) [][]string {
	t.Helper()
	var buf bytes.Buffer
	if err := s.ExportCSV(context.Background(), &buf, f); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&buf)
	r.FieldsPerRecord = len(CSVHeader)
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse back: %v", err)
	}
	return recs
}

func TestExportCSV(t *testing.T) {
	ctx := context.Background()
	s, c, _ := newStore(t)
	floor := 1
	p := phone("p1", t0, true, "a1", "a2")
	p.Floor, p.Outside, p.LinkedTo = &floor, true, "p0"
	o := sensorIncident("o1", alerting.IncidentSensorOffline, "a3", t0.Add(time.Hour), false)
	o.Detail = `last will: "connection lost", retrying`
	save(t, s, p)
	save(t, s, o)
	c.Add(2 * time.Hour)
	must[alerting.Incident](t)(s.Resolve(ctx, "p1", "ann", alerting.ResolutionFoundPhone, "=HYPERLINK(\"x\")\nsecond line, with comma"))

	tests := []struct {
		name string
		f    Filter
		want [][]string
	}{
		{"all", Filter{}, [][]string{
			CSVHeader,
			{"o1", "s1", "sensor-offline", "actual", "", "", "B", "", "", "1", "", "0", "false", "sensor",
				"2026-03-01T23:00:00Z", "2026-03-01T23:00:00Z", "false", "", "a3", `last will: "connection lost", retrying`, "",
				"cleared-unacknowledged", "", "", "", "", "", ""},
			{"p1", "s1", "phone", "actual", "gsm", "902400000", "A", "main", "1", "0.9", "B", "0.8", "true", "ml",
				"2026-03-01T22:00:00Z", "2026-03-01T22:01:00Z", "true", "a1;a2", "", "", "p0",
				"closed", "ann", "2026-03-02T00:00:00Z", "found-phone", "ann", "2026-03-02T00:00:00Z",
				"'=HYPERLINK(\"x\")\nsecond line, with comma"},
		}},
		{"filtered", Filter{Kind: alerting.IncidentSensorOffline}, [][]string{CSVHeader, nil}},
		{"limited", Filter{Limit: 1, Offset: 1}, [][]string{CSVHeader, nil}},
		{"empty", Filter{Site: "nowhere"}, [][]string{CSVHeader}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs := exportRecords(t, s, tc.f)
			if len(recs) != len(tc.want) {
				t.Fatalf("%d records, want %d", len(recs), len(tc.want))
			}
			for i, w := range tc.want {
				if w == nil {
					continue
				}
				if !slices.Equal(recs[i], w) {
					for j := range w {
						if recs[i][j] != w[j] {
							t.Errorf("record %d column %s = %q, want %q", i, CSVHeader[j], recs[i][j], w[j])
						}
					}
				}
			}
		})
	}
	t.Run("filtered ids", func(t *testing.T) {
		if r := exportRecords(t, s, Filter{Kind: alerting.IncidentSensorOffline}); r[1][0] != "o1" {
			t.Errorf("got %s", r[1][0])
		}
		if r := exportRecords(t, s, Filter{Limit: 1, Offset: 1}); r[1][0] != "p1" {
			t.Errorf("got %s", r[1][0])
		}
	})
	t.Run("CRLF", func(t *testing.T) {
		var buf bytes.Buffer
		if err := s.ExportCSV(ctx, &buf, Filter{Limit: 1}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), strings.Join(CSVHeader, ",")+"\r\n") {
			t.Errorf("header line %q", strings.SplitN(buf.String(), "\n", 2)[0])
		}
	})
	t.Run("invalid filter", func(t *testing.T) {
		err := s.ExportCSV(ctx, &bytes.Buffer{}, Filter{Alarm: "x"})
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "store: export: filter: alarm") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("writer fails", func(t *testing.T) {
		err := s.ExportCSV(ctx, failWriter{}, Filter{})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("err = %v, want the writer's", err)
		}
	})
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestTextCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {"plain", "plain"}, {"=1+1", "'=1+1"}, {"+33 6", "'+33 6"}, {"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"\rx", "'\rx"}, {"a=b", "a=b"}, {"'quoted", "'quoted"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := textCell(tc.in); got != tc.want {
				t.Errorf("textCell(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzExportCSV: operator text of any content comes back from the CSV
// export as written (formula-neutralised), in its own column.
func FuzzExportCSV(f *testing.F) {
	for _, seed := range [][3]string{
		{"ann", "cell 12, under the mattress", "last will"},
		{"bob", "=HYPERLINK(\"x\")\nsecond line", `"quoted", detail`},
		{"-x", "\r\n", "@"},
		{"élodie", "état: trouvé ✓", "\t"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	s, _, _ := newStore(f)
	n := 0
	f.Fuzz(func(t *testing.T, user, note, detail string) {
		if user == "" || len(user) > 256 || len(note) > maxNote || !utf8.ValidString(detail) {
			return // refused by Ack, or changed by JSON (invalid UTF-8)
		}
		ctx := context.Background()
		n++
		site := fmt.Sprintf("fz%d", n)
		inc := sensorIncident("fz"+site, alerting.IncidentTamper, "a1", t0, true)
		inc.Site, inc.Detail = site, detail
		if _, err := s.SaveIncident(ctx, &inc); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Ack(ctx, inc.ID, user, note); err != nil {
			t.Fatal(err)
		}
		recs := exportRecords(t, s, Filter{Site: site})
		if len(recs) != 2 {
			t.Fatalf("%d records", len(recs))
		}
		col := func(name string) string { return recs[1][slices.Index(CSVHeader, name)] }
		// encoding/csv reads a lone \r as part of the field but turns \r\n
		// inside quotes into \n.
		norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		for _, c := range []struct{ col, want string }{
			{"acked_by", user}, {"note", note}, {"detail", detail},
		} {
			if got := col(c.col); got != norm(textCell(c.want)) {
				t.Errorf("%s = %q, want %q", c.col, got, norm(textCell(c.want)))
			}
		}
	})
}
