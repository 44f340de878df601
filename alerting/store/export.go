package store

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// CSVHeader is the header row of ExportCSV, one column per field.
var CSVHeader = []string{
	"id", "site", "kind", "mode", "class", "freq_hz", "wing", "building", "floor", "confidence",
	"runner_up", "margin", "outside", "method", "first_seen", "last_seen", "active", "sensors",
	"sensor", "detail", "linked_to", "alarm", "acked_by", "acked_at", "resolution", "resolved_by",
	"resolved_at", "note",
}

// textCell neutralises a text cell that a spreadsheet would run as a
// formula (OWASP "CSV injection": a leading =, +, -, @, tab or CR): it
// gets a leading apostrophe. Only free-text columns pass through it, so
// numbers keep their sign.
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func floatCell(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// csvRecord fills rec (len(CSVHeader)) with inc.
func csvRecord(rec []string, inc *alerting.Incident) {
	sensors := make([]string, 0, len(inc.Sensors))
	for _, h := range inc.Sensors {
		sensors = append(sensors, h.Sensor)
	}
	floor := ""
	if inc.Floor != nil {
		floor = strconv.Itoa(*inc.Floor)
	}
	freq := ""
	if inc.FreqHz != 0 {
		freq = floatCell(inc.FreqHz)
	}
	copy(rec, []string{
		textCell(inc.ID), textCell(inc.Site), inc.Kind, textCell(inc.Mode), textCell(inc.Class), freq,
		textCell(inc.Wing), textCell(inc.Building), floor, floatCell(inc.Confidence),
		textCell(inc.RunnerUp), floatCell(inc.Margin), strconv.FormatBool(inc.Outside), textCell(inc.Method),
		timeCell(inc.FirstSeen), timeCell(inc.LastSeen), strconv.FormatBool(inc.Active),
		textCell(strings.Join(sensors, ";")), textCell(inc.Sensor), textCell(inc.Detail), textCell(inc.LinkedTo),
		inc.Alarm, textCell(inc.AckedBy), timeCell(inc.AckedAt), inc.Resolution, textCell(inc.ResolvedBy),
		timeCell(inc.ResolvedAt), textCell(inc.Note),
	})
}

// ExportCSV writes the incidents f selects, newest first, as CSV after RFC
// 4180 (CRLF line ends, a header row CSVHeader; times RFC 3339 UTC, empty
// when unset; sensors separated by ';'). Filter.Limit 0 exports every
// incident. Rows stream from one read transaction, so the export is a
// consistent snapshot however long it takes.
func (s *Store) ExportCSV(ctx context.Context, w io.Writer, f Filter) error {
	rows, err := s.query(ctx, &f, f.Limit)
	if err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	rec := make([]string, len(CSVHeader))
	n := 0
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return fmt.Errorf("store: export: row %d: %w", n+1, err)
		}
		csvRecord(rec, &inc)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("store: export: row %d: %w", n+1, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}
