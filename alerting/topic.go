package alerting

import (
	"fmt"
	"strings"
)

// DefaultPrefix is the topic prefix when the config names none.
const DefaultPrefix = "cellsentry/v1"

// Message kinds: the last level of a sensor's topics.
const (
	KindStatus = "status"
	KindHealth = "health"
	KindAlert  = "alert"
	KindBurst  = "burst"
)

// Topic is where a sensor publishes messages of one kind:
// <prefix>/<site>/<sensor>/<kind>.
func Topic(prefix, site, sensor, kind string) string {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return prefix + "/" + site + "/" + sensor + "/" + kind
}

// ParseTopic splits a sensor topic under prefix into site, sensor and kind.
func ParseTopic(prefix, topic string) (site, sensor, kind string, err error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	rest, ok := strings.CutPrefix(topic, prefix+"/")
	if !ok {
		return "", "", "", fmt.Errorf("topic %q is not under %q", topic, prefix)
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", fmt.Errorf("topic %q: want %s/<site>/<sensor>/<kind>", topic, prefix)
	}
	return parts[0], parts[1], parts[2], nil
}

// CheckName reports why s cannot be a site or sensor name: names become
// topic levels (and ACL patterns), so MQTT wildcards, separators and
// invisible characters are refused.
func CheckName(s string) error {
	if s == "" {
		return fmt.Errorf("empty name")
	}
	if len(s) > 64 {
		return fmt.Errorf("name %q is longer than 64 bytes", s)
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return fmt.Errorf("name %q: only letters, digits, '-', '_' and '.' are allowed (it becomes an MQTT topic level), not %q", s, r)
		}
	}
	return nil
}
