package alerting

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Schema identifiers, written in every message's "schema" field so that a
// consumer can reject what it does not understand instead of misreading it.
const (
	SchemaStatus = "cellsentry/v1/status"
	SchemaHealth = "cellsentry/v1/health"
	SchemaAlert  = "cellsentry/v1/alert"
	SchemaBurst  = "cellsentry/v1/burst"
)

// Alert states of the lifecycle, in the order they happen.
const (
	StateRaised  = "raised"
	StateUpdated = "updated"
	StateCleared = "cleared"
)

// Modes tell real alerts from those of an acceptance test with a test phone
// or of a drill, so that statistics only count ModeActual.
const (
	ModeActual   = "actual"
	ModeTest     = "test"
	ModeExercise = "exercise"
)

// Level is a power level in dB (dBm or dBFS) that may be unknown: NaN
// encodes as JSON null (an uncalibrated sensor has no dBm) and null decodes
// as NaN.
type Level float64

// Unknown is the Level of a quantity that was not measured.
var Unknown = Level(math.NaN())

// Known reports whether the level was measured.
func (l Level) Known() bool { return !math.IsNaN(float64(l)) && !math.IsInf(float64(l), 0) }

// MarshalJSON writes the level with 0.01 dB resolution, or null.
func (l Level) MarshalJSON() ([]byte, error) {
	if !l.Known() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, math.Round(float64(l)*100)/100, 'f', -1, 64), nil
}

// UnmarshalJSON reads a number or null.
func (l *Level) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = Unknown
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*l = Level(f)
	return nil
}

// Position is where a sensor hangs, in the site plan's coordinates.
type Position struct {
	X     float64 `json:"x_m"`
	Y     float64 `json:"y_m"`
	Floor int     `json:"floor"`
}

// Origin says who sent a message and where that sensor is; every sensor
// message carries it so that a message is understood without its topic.
type Origin struct {
	Site     string    `json:"site"`
	Sensor   string    `json:"sensor"`
	Building string    `json:"building,omitempty"`
	Wing     string    `json:"wing,omitempty"`
	Position *Position `json:"position,omitempty"`
}

// Status is the retained online/offline message; the broker publishes the
// offline one as the sensor's last will when its connection dies.
type Status struct {
	Schema  string    `json:"schema"`
	Origin            // site, sensor, building, wing, position
	State   string    `json:"state"` // "online" or "offline"
	Time    time.Time `json:"time"`
	Version string    `json:"version,omitempty"`
	// Reason says why a sensor went offline when it knows ("shutdown",
	// "connection lost" for the last will).
	Reason string `json:"reason,omitempty"`
}

// Alert is one lifecycle event of the activity of one emitter as one sensor
// hears it. ID is stable across raised/updated/cleared; Rev counts the
// events of one alert (0 for raised) so that (ID, Rev) identifies an event
// and consumers deduplicate redeliveries by it.
type Alert struct {
	Schema string `json:"schema"`
	Origin
	ID    string    `json:"id"`
	Rev   int       `json:"rev"`
	State string    `json:"state"` // raised, updated, cleared
	Mode  string    `json:"mode"`  // actual, test, exercise
	Time  time.Time `json:"time"`

	Class string `json:"class"`          // gsm, lte, umts, unknown
	Kind  string `json:"kind,omitempty"` // "call", "data", "access", … when the rhythm tells
	// FreqHz is the channel heard most; FreqsHz every channel heard (a GSM
	// call hops), at most a few dozen.
	FreqHz      float64   `json:"freq_hz"`
	FreqsHz     []float64 `json:"freqs_hz,omitempty"`
	BandwidthHz float64   `json:"bandwidth_hz"`

	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Bursts    int       `json:"bursts"`

	// PowerDBm is the strongest burst, RecentDBm the mean of the last few
	// (the console localizes on them); PowerDBFS the strongest in dBFS.
	PowerDBm  Level `json:"power_dbm"`
	RecentDBm Level `json:"recent_dbm"`
	PowerDBFS Level `json:"power_dbfs"`
	SNR       Level `json:"snr_db"`
	// Clipped: the ADC saturated on this emitter's bursts, so the powers are
	// lower bounds (the phone is very close to the sensor).
	Clipped bool `json:"clipped,omitempty"`
	// Confidence that this is a handset, 0..1, from the evidence.
	Confidence float64 `json:"confidence"`
	// Evidence names the SigMF recording of the first bursts, relative to
	// the sensor's evidence directory, when one was kept.
	Evidence string `json:"evidence,omitempty"`
}

// SourceHealth is the state of one radio source.
type SourceHealth struct {
	Name    string `json:"name"`            // "dongle0", or the URI without credentials
	State   string `json:"state"`           // "streaming", "settling", "reopening", "lost"
	Samples int64  `json:"samples"`         // since start
	Dropped int64  `json:"dropped"`         // samples lost since start
	Error   string `json:"error,omitempty"` // last error while not streaming
}

// BandHealth is the noise floor heard on one hop center.
type BandHealth struct {
	Band      string  `json:"band"`
	CenterHz  float64 `json:"center_hz"`
	FloorDBFS Level   `json:"floor_dbfs"`
}

// QueueHealth is the durable alert queue.
type QueueHealth struct {
	Depth   int   `json:"depth"`   // events waiting for the broker's acknowledgement
	Bytes   int64 `json:"bytes"`   // on disk
	Dropped int64 `json:"dropped"` // events discarded by the size cap since start
}

// Health is the periodic state of a sensor. Events carries what happened
// since the last health message that a technician must see (a rejected
// config, a source lost), at most a few.
type Health struct {
	Schema string `json:"schema"`
	Origin
	Time       time.Time        `json:"time"`
	Version    string           `json:"version"`
	UptimeS    float64          `json:"uptime_s"`
	ConfigHash string           `json:"config_hash"`
	Mode       string           `json:"mode"`
	State      string           `json:"state"` // "ok", "degraded", "blind"
	Sources    []SourceHealth   `json:"sources"`
	Bands      []BandHealth     `json:"bands"`
	Queue      QueueHealth      `json:"queue"`
	Bursts     map[string]int64 `json:"bursts"` // by class since start
	TempC      *float64         `json:"temperature_c,omitempty"`
	// Throttled lists the Pi firmware's throttling flags now and since
	// boot ("under_voltage", "throttled_occurred" …), DiskFreeBytes the
	// free space where the alert queue lives, Degraded why the box needs a
	// technician (hot, under-voltage, disk nearly full …), Tampered that the
	// enclosure was opened (latched until the service is reloaded).
	Throttled     []string `json:"throttled,omitempty"`
	DiskFreeBytes *int64   `json:"disk_free_bytes,omitempty"`
	Degraded      []string `json:"degraded,omitempty"`
	Tampered      bool     `json:"tampered,omitempty"`
	Events        []string `json:"events,omitempty"`
}

// Burst is one detected burst, published at QoS 0 for technicians.
type Burst struct {
	Schema string `json:"schema"`
	Origin
	Time        time.Time `json:"time"` // start of the burst
	DurationS   float64   `json:"duration_s"`
	FreqHz      float64   `json:"freq_hz"`
	BandwidthHz float64   `json:"bandwidth_hz"`
	PowerDBFS   Level     `json:"power_dbfs"`
	PowerDBm    Level     `json:"power_dbm"`
	SNR         Level     `json:"snr_db"`
	Class       string    `json:"class"`
	Kind        string    `json:"kind,omitempty"`
	Clipped     bool      `json:"clipped,omitempty"`
}
