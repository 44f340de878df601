package alerting

import "time"

// Incident kinds: a phone, or a sensor that cannot see (a blind sensor is a
// security event: "no alert" must only ever mean "nothing transmitted").
const (
	IncidentPhone         = "phone"          // one emitter, fused from one or more sensors' alerts
	IncidentOverload      = "overload"       // a jammer or a radio keyed at an antenna (alert class overload)
	IncidentSensorOffline = "sensor-offline" // status offline (last will) or health silent
	IncidentSourceLost    = "source-lost"    // health: a dongle lost, the sensor blind or degraded
	IncidentTamper        = "tamper"         // the enclosure was opened
)

// Alarm states after ISA-18.2, as the console shows them.
const (
	AlarmUnacknowledged        = "unacknowledged"         // active, nobody has acknowledged it
	AlarmAcknowledged          = "acknowledged"           // active, acknowledged
	AlarmClearedUnacknowledged = "cleared-unacknowledged" // no longer active, never acknowledged
	AlarmClosed                = "closed"                 // no longer active and acknowledged (or resolved)
	AlarmShelved               = "shelved"                // its sensor is shelved until a set time
	AlarmOutOfService          = "out-of-service"         // its sensor is out of service (maintenance)
)

// Resolutions an operator records when closing an incident.
const (
	ResolutionFoundPhone = "found-phone"
	ResolutionFalseAlarm = "false-alarm"
	ResolutionUnknown    = "unknown"
)

// WingScore is one candidate wing of a localization.
type WingScore struct {
	Wing        string  `json:"wing"`
	Probability float64 `json:"probability"` // 0..1, over the site's wings and "outside"
}

// Heard is what one sensor contributes to an incident.
type Heard struct {
	Sensor   string    `json:"sensor"`
	Wing     string    `json:"wing,omitempty"` // where the sensor hangs
	AlertID  string    `json:"alert_id"`
	PowerDBm Level     `json:"power_dbm"` // the sensor's recent level for this emitter
	Clipped  bool      `json:"clipped,omitempty"`
	Bursts   int       `json:"bursts"`
	LastSeen time.Time `json:"last_seen"`
}

// Incident is what the console shows and stores: one emitter (or one
// sensor problem) in one place, fused from the alerts of every sensor that
// heard it. It is also the message the console publishes on
// <prefix>/<site>/incident.
type Incident struct {
	Schema string `json:"schema"` // "cellsentry/v1/incident"
	ID     string `json:"id"`
	Site   string `json:"site"`
	Kind   string `json:"kind"` // IncidentPhone …
	Mode   string `json:"mode"` // actual, test, exercise (from the alerts)

	Class   string    `json:"class,omitempty"` // gsm, lte, umts, unknown, overload
	FreqHz  float64   `json:"freq_hz,omitempty"`
	FreqsHz []float64 `json:"freqs_hz,omitempty"`

	// Wing is the most likely wing ("" when unknown), Confidence its
	// probability; RunnerUp the next wing and Margin = Confidence −
	// RunnerUp's probability. Outside: heard weakly and evenly everywhere,
	// probably beyond the walls. Method says how the wing was found:
	// "ml" (maximum likelihood over the path-loss model), "strongest"
	// (one sensor only), "sensor" (a sensor incident: the sensor's wing).
	Wing       string      `json:"wing,omitempty"`
	Building   string      `json:"building,omitempty"`
	Floor      *int        `json:"floor,omitempty"`
	Confidence float64     `json:"confidence"`
	RunnerUp   string      `json:"runner_up,omitempty"`
	Margin     float64     `json:"margin,omitempty"`
	Outside    bool        `json:"outside,omitempty"`
	Method     string      `json:"method,omitempty"`
	Wings      []WingScore `json:"wings,omitempty"` // every candidate, most likely first

	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Active    bool      `json:"active"` // some sensor still hears it (or the sensor is still blind)
	Sensors   []Heard   `json:"sensors,omitempty"`
	// Sensor is the sensor concerned, for sensor incidents.
	Sensor string `json:"sensor,omitempty"`
	// Detail says what happened in words, for sensor incidents
	// ("last will: connection lost", "dongle0 lost: usb error").
	Detail string `json:"detail,omitempty"`
	// LinkedTo is an earlier incident on the same channel and wing (a phone
	// that comes back), so that history shows patterns.
	LinkedTo string `json:"linked_to,omitempty"`

	// Alarm is the ISA-18.2 state; AckedBy/AckedAt and Resolution/ResolvedBy
	// /ResolvedAt/Note the operators' actions.
	Alarm      string    `json:"alarm"`
	AckedBy    string    `json:"acked_by,omitempty"`
	AckedAt    time.Time `json:"acked_at,omitzero"`
	Resolution string    `json:"resolution,omitempty"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	Note       string    `json:"note,omitempty"`
}

// SchemaIncident is the schema field of an Incident message.
const SchemaIncident = "cellsentry/v1/incident"

// IncidentTopic is where a console publishes a site's incidents.
func IncidentTopic(prefix, site string) string {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return prefix + "/" + site + "/incident"
}
