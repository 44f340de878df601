package web

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/store"
)

// alarmRank orders alarm states by how urgently they need a person: the
// wing colour is its worst open incident's, the list shows urgent first.
func alarmRank(alarm string) int {
	switch alarm {
	case alerting.AlarmUnacknowledged:
		return 5
	case alerting.AlarmClearedUnacknowledged:
		return 4
	case alerting.AlarmAcknowledged:
		return 3
	case alerting.AlarmShelved:
		return 2
	case alerting.AlarmOutOfService:
		return 1
	}
	return 0 // closed, unknown
}

// alarmText is the alarm state in words; the pages never show it by colour
// alone.
func alarmText(alarm string) string {
	switch alarm {
	case alerting.AlarmUnacknowledged:
		return "Unacknowledged"
	case alerting.AlarmAcknowledged:
		return "Acknowledged"
	case alerting.AlarmClearedUnacknowledged:
		return "Cleared, not acknowledged"
	case alerting.AlarmClosed:
		return "Closed"
	case alerting.AlarmShelved:
		return "Shelved"
	case alerting.AlarmOutOfService:
		return "Out of service"
	case "":
		return "No alarm"
	}
	return alarm
}

// needsAck reports whether an operator still has to acknowledge.
func needsAck(alarm string) bool {
	return alarm == alerting.AlarmUnacknowledged || alarm == alerting.AlarmClearedUnacknowledged
}

// Sensor statuses as the plan and the sensors page show them, worst first.
const (
	statusOutOfService = "out-of-service"
	statusShelved      = "shelved"
	statusOffline      = "offline"
	statusBlind        = "blind"
	statusDegraded     = "degraded"
	statusOK           = "ok"
	statusNeverSeen    = "never-seen"
)

// sensorStatus is what a sensor is doing now, operators' marks first:
// a sensor out of service is out of service whatever its radio does.
func sensorStatus(st SensorState, known bool, now time.Time) string {
	switch {
	case !known:
		return statusNeverSeen
	case st.OutOfService:
		return statusOutOfService
	case st.ShelvedUntil.After(now):
		return statusShelved
	case st.LastSeen.IsZero() && !st.Online:
		return statusNeverSeen // declared from the plan, never heard
	case !st.Online:
		return statusOffline
	case st.Health != nil && st.Health.State == "blind":
		return statusBlind
	case st.Health != nil && st.Health.State == "degraded":
		return statusDegraded
	}
	return statusOK
}

func statusText(status string) string {
	switch status {
	case statusOutOfService:
		return "Out of service"
	case statusShelved:
		return "Shelved"
	case statusOffline:
		return "Offline"
	case statusBlind:
		return "Blind"
	case statusDegraded:
		return "Degraded"
	case statusOK:
		return "Listening"
	case statusNeverSeen:
		return "Never seen"
	}
	return status
}

// incidentView is an incident as the pages show it.
type incidentView struct {
	alerting.Incident
	CanAck      bool
	CanSolve    bool
	Open        bool
	Heard       []heardView
	Whereabouts string
	// MergedInto is the incident this one was merged into (the same
	// emitter; its alerts and acknowledgement are there), or "".
	MergedInto string
}

type heardView struct {
	alerting.Heard
	Shelved bool
}

func (s *Server) viewIncident(inc alerting.Incident, sensors map[string]SensorState) *incidentView {
	v := &incidentView{Incident: inc}
	v.Open = inc.Alarm != alerting.AlarmClosed && inc.Resolution == ""
	v.CanAck = needsAck(inc.Alarm)
	v.CanSolve = inc.Resolution == ""
	if inc.Method == store.MethodMerged {
		v.MergedInto = inc.LinkedTo
		v.CanSolve = false // the survivor is what an operator resolves
	}
	for _, h := range inc.Sensors {
		if h.Wing == "" {
			h.Wing = s.sensors[h.Sensor].Wing // where the plan hangs it
		}
		st, ok := sensors[h.Sensor]
		v.Heard = append(v.Heard, heardView{Heard: h, Shelved: ok && (st.OutOfService || st.ShelvedUntil.After(s.cfg.Now()))})
	}
	v.Whereabouts = whereabouts(inc)
	return v
}

// whereabouts says where the incident is, in words, with the confidence
// and the runner-up so that nobody trusts a 51 % guess like a 99 % one.
func whereabouts(inc alerting.Incident) string {
	switch {
	case inc.Method == store.MethodMerged:
		return "Merged into " + inc.LinkedTo + " (the same emitter)"
	case inc.Outside:
		return fmt.Sprintf("Probably outside the walls (%s)", percent(inc.Confidence))
	case inc.Wing == "":
		return "Wing unknown"
	case inc.Method == "sensor":
		return inc.Wing + " (where the sensor hangs)"
	}
	var b strings.Builder
	b.WriteString(inc.Wing)
	if inc.Building != "" {
		fmt.Fprintf(&b, ", %s", inc.Building)
	}
	if inc.Floor != nil {
		fmt.Fprintf(&b, ", floor %d", *inc.Floor)
	}
	fmt.Fprintf(&b, " · %s", percent(inc.Confidence))
	if inc.Method == "strongest" {
		b.WriteString(" (one sensor only: its wing)")
	}
	if inc.RunnerUp != "" {
		fmt.Fprintf(&b, " · runner-up %s %s", inc.RunnerUp, percent(inc.Confidence-inc.Margin))
	}
	return b.String()
}

func percent(p float64) string {
	if math.IsNaN(p) {
		return "?"
	}
	return fmt.Sprintf("%.0f %%", math.Round(p*100))
}

// kindText says what the incident is, in words.
func kindText(inc alerting.Incident) string {
	switch inc.Kind {
	case alerting.IncidentPhone:
		s := "Phone"
		if inc.Class != "" && inc.Class != "unknown" {
			s += " · " + strings.ToUpper(inc.Class)
		}
		if inc.FreqHz > 0 {
			s += " · " + mhz(inc.FreqHz)
		}
		return s
	case alerting.IncidentOverload:
		s := "Overload: jammer or a radio keyed at an antenna"
		if inc.FreqHz > 0 {
			s += " · " + mhz(inc.FreqHz)
		}
		return s
	case alerting.IncidentSensorOffline:
		return "Sensor offline: " + inc.Sensor
	case alerting.IncidentSourceLost:
		return "Sensor blind: " + inc.Sensor
	case alerting.IncidentTamper:
		return "Tamper: " + inc.Sensor + " enclosure opened"
	}
	return inc.Kind
}

func mhz(hz float64) string {
	return fmt.Sprintf("%.3f MHz", hz/1e6)
}

// sortForLive puts what needs a person first (unacknowledged, then
// cleared-unacknowledged, acknowledged, shelved), newest first within a
// state.
func sortForLive(v []*incidentView) {
	slices.SortStableFunc(v, func(a, b *incidentView) int {
		if c := cmp.Compare(alarmRank(b.Alarm), alarmRank(a.Alarm)); c != 0 {
			return c
		}
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		return b.FirstSeen.Compare(a.FirstSeen)
	})
}
