package web

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cellsentry/cellsentry/alerting"
)

// Values the filters accept, in the order the history page offers them.
var (
	kinds = []string{alerting.IncidentPhone, alerting.IncidentOverload, alerting.IncidentSensorOffline,
		alerting.IncidentSourceLost, alerting.IncidentTamper}
	alarms = []string{alerting.AlarmUnacknowledged, alerting.AlarmAcknowledged, alerting.AlarmClearedUnacknowledged,
		alerting.AlarmClosed, alerting.AlarmShelved, alerting.AlarmOutOfService}
	modes       = []string{alerting.ModeActual, alerting.ModeTest, alerting.ModeExercise}
	classes     = []string{"gsm", "lte", "umts", "unknown", "overload"}
	resolutions = []string{alerting.ResolutionFoundPhone, alerting.ResolutionFalseAlarm, alerting.ResolutionUnknown}
)

// filterParams are the query parameters parseFilter knows.
var filterParams = []string{"site", "wing", "sensor", "kind", "class", "alarm", "mode", "since", "until", "open", "limit", "offset"}

// maxText bounds a free-text filter value (wing, sensor, site).
const maxText = 128

// parseFilter reads the incident filters of a query string. Empty values
// are unset. Dates without a time are days in loc; "until" as a day
// includes that whole day. limit must lie in 1..maxLimit (0 when absent).
// Errors name the parameter and say what it accepts.
func parseFilter(q url.Values, loc *time.Location, maxLimit int) (Filter, error) {
	var f Filter
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names) // the first error is the same every time
	for _, k := range names {
		vs := q[k]
		if !slices.Contains(filterParams, k) {
			return Filter{}, fmt.Errorf("unknown query parameter %q (known: %s)", clip(k), strings.Join(filterParams, ", "))
		}
		if len(vs) > 1 {
			return Filter{}, fmt.Errorf("query parameter %q given %d times, give it once", k, len(vs))
		}
		v := strings.TrimSpace(vs[0])
		if v == "" {
			continue
		}
		var err error
		switch k {
		case "site":
			f.Site, err = text(v)
		case "wing":
			f.Wing, err = text(v)
		case "sensor":
			f.Sensor, err = text(v)
		case "kind":
			f.Kind, err = oneOf(v, kinds)
		case "class":
			f.Class, err = oneOf(v, classes)
		case "alarm":
			f.Alarm, err = oneOf(v, alarms)
		case "mode":
			f.Mode, err = oneOf(v, modes)
		case "since":
			f.Since, err = parseWhen(v, loc, false)
		case "until":
			f.Until, err = parseWhen(v, loc, true)
		case "open":
			f.OpenOnly, err = parseBool(v)
		case "limit":
			f.Limit, err = parseCount(v, 1, maxLimit)
		case "offset":
			f.Offset, err = parseCount(v, 0, 1<<30)
		}
		if err != nil {
			return Filter{}, fmt.Errorf("query parameter %q: %w", k, err)
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return Filter{}, fmt.Errorf("query parameters \"since\" and \"until\": since (%s) is not before until (%s)",
			f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339))
	}
	return f, nil
}

// text accepts a short printable value.
func text(v string) (string, error) {
	if len(v) > maxText {
		return "", fmt.Errorf("%d bytes, at most %d", len(v), maxText)
	}
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("not valid UTF-8")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return "", fmt.Errorf("control character %U not allowed", r)
		}
	}
	return v, nil
}

func oneOf(v string, allowed []string) (string, error) {
	if slices.Contains(allowed, v) {
		return v, nil
	}
	return "", fmt.Errorf("%q is not one of %s", clip(v), strings.Join(allowed, ", "))
}

// Time layouts the filters accept: RFC 3339, an HTML datetime-local input
// (with or without seconds) and an HTML date input.
const (
	layoutMinute = "2006-01-02T15:04"
	layoutSecond = "2006-01-02T15:04:05"
	layoutDay    = "2006-01-02"
)

// parseWhen reads a time. A day alone is its midnight in loc, or the next
// midnight when endOfDay (so that until=2026-03-01 includes March 1st).
func parseWhen(v string, loc *time.Location, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{layoutSecond, layoutMinute} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.ParseInLocation(layoutDay, v, loc); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2006-01-02), a local time (2006-01-02T15:04) or an RFC 3339 time", clip(v))
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "on", "yes":
		return true, nil
	case "0", "false", "off", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", clip(v))
}

func parseCount(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a whole number in %d..%d", clip(v), lo, hi)
	}
	return n, nil
}

// clip shortens a value quoted back in an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
