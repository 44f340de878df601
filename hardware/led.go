package hardware

import "fmt"

// State is what the status LED shows. The daemon picks one; when several
// apply, the most urgent for someone standing at the box wins (its
// choice, typically alerting, then no broker, then degraded, then ok).
type State int

// The LED states. Each has a pattern of 100 ms cells repeated while the
// state lasts.
const (
	// StateOff: dark (the daemon is not running, or is stopping).
	StateOff State = iota
	// StateOK: a slow heartbeat, one 100 ms flash every 2 s.
	StateOK
	// StateAlerting: a fast blink, 200 ms on, 200 ms off (2.5 Hz).
	StateAlerting
	// StateDegraded: a double blink every 2 s (100 ms on, 200 ms off,
	// 100 ms on).
	StateDegraded
	// StateNoBroker: long on, short off: 1.8 s on, 0.2 s off.
	StateNoBroker
)

// patterns are the states' cells, '#' on and '.' off, one per ledTick.
var patterns = [...]string{
	StateOff:      ".",
	StateOK:       "#...................",
	StateAlerting: "##..",
	StateDegraded: "#..#................",
	StateNoBroker: "##################..",
}

var stateNames = [...]string{
	StateOff:      "off",
	StateOK:       "ok",
	StateAlerting: "alerting",
	StateDegraded: "degraded",
	StateNoBroker: "no-broker",
}

func (s State) valid() bool { return s >= 0 && int(s) < len(patterns) }

// pattern is s's cells; an unknown state shows as off.
func (s State) pattern() string {
	if !s.valid() {
		return patterns[StateOff]
	}
	return patterns[s]
}

func (s State) String() string {
	if !s.valid() {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}
