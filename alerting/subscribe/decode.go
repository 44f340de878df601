package subscribe

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cellsentry/cellsentry/alerting"
)

// Errors of Decode, to count dropped messages by cause.
var (
	// ErrMalformed: not valid schema-v1 JSON for its topic's kind.
	ErrMalformed = errors.New("malformed message")
	// ErrForeign: a topic outside the sites this console serves, an
	// unknown kind, or a payload whose site or sensor is not its topic's
	// (a sensor writing under another's name).
	ErrForeign = errors.New("foreign message")
)

// Message is one decoded sensor message; exactly one pointer is set.
type Message struct {
	Site, Sensor, Kind string
	Status             *alerting.Status
	Health             *alerting.Health
	Alert              *alerting.Alert
	Burst              *alerting.Burst

	ack func() // set by a Subscriber with Config.ManualAck
}

// Ack acknowledges the message to the broker (with Config.ManualAck the
// handler must call it once what the message carried is durable). It does
// nothing for a message that did not come from the broker (Decode,
// Subscriber.Inject) or a QoS 0 one, and nothing the second time. An
// acknowledgement after the connection it came on was lost is dropped:
// the broker redelivers the message on the next connection.
func (m Message) Ack() {
	if m.ack != nil {
		m.ack()
	}
}

// Decode checks one message received on topic against schema v1 and the
// topic it came on, and decodes it. sites, when not empty, are the sites
// this console serves. It never panics on any input.
func Decode(prefix string, sites map[string]bool, topic string, payload []byte) (Message, error) {
	site, sensor, kind, err := alerting.ParseTopic(prefix, topic)
	if err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrForeign, err)
	}
	if len(sites) > 0 && !sites[site] {
		return Message{}, fmt.Errorf("%w: site %q is not served here", ErrForeign, site)
	}
	m := Message{Site: site, Sensor: sensor, Kind: kind}
	var dst any
	var origin *alerting.Origin
	switch kind {
	case alerting.KindStatus:
		m.Status = &alerting.Status{}
		dst, origin = m.Status, &m.Status.Origin
	case alerting.KindHealth:
		m.Health = &alerting.Health{}
		dst, origin = m.Health, &m.Health.Origin
	case alerting.KindAlert:
		m.Alert = &alerting.Alert{}
		dst, origin = m.Alert, &m.Alert.Origin
	case alerting.KindBurst:
		m.Burst = &alerting.Burst{}
		dst, origin = m.Burst, &m.Burst.Origin
	default:
		return Message{}, fmt.Errorf("%w: %s: unknown kind %q", ErrForeign, topic, kind)
	}
	if err := alerting.Validate(kind, payload); err != nil {
		return Message{}, fmt.Errorf("%w: %s: %v", ErrMalformed, topic, err)
	}
	if err := json.Unmarshal(payload, dst); err != nil {
		return Message{}, fmt.Errorf("%w: %s: %v", ErrMalformed, topic, err)
	}
	if origin.Site != site || origin.Sensor != sensor {
		return Message{}, fmt.Errorf("%w: %s carries site %q sensor %q", ErrForeign, topic, origin.Site, origin.Sensor)
	}
	return m, nil
}
