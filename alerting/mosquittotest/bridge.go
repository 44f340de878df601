package mosquittotest

import (
	"fmt"
	"strings"
)

// Bridge makes a broker a site broker that forwards to a central one: a
// mosquitto "connection" section in the generated mosquitto.conf. Start the
// central broker first (or a Proxy in front of it, to cut the link) and
// give its address here.
type Bridge struct {
	// Name is the connection's name and its client id at the central
	// broker (default "site-bridge"); each site needs its own.
	Name string
	// Address is the central broker's host:port (a Broker's Addr or
	// TLSAddr, or a Proxy's Addr).
	Address string
	// Topics are mosquitto "topic" lines without the keyword: "pattern
	// direction qos", e.g. "cellsentry/v1/north/+/alert out 1" (see
	// SiteBridgeTopics).
	Topics []string
	// Username and Password authenticate the bridge at the central
	// broker (remote_username, remote_password).
	Username, Password string
	// CAFile makes the bridge speak TLS and verify the central broker's
	// certificate with this CA; CertFile and KeyFile add a client
	// certificate (mutual TLS).
	CAFile, CertFile, KeyFile string
	// RetrySeconds is the constant wait before the bridge reconnects
	// (restart_timeout; default 1 s here so that a test does not wait for
	// mosquitto's 5 to 30 s jittered default).
	RetrySeconds int
}

// SiteBridgeTopics are the topic lines a site bridge forwards: the
// sensors' status, health and alerts at QoS 1, out only (the central
// broker sends nothing back, so there is no loop). Bursts (QoS 0, for the
// site's technicians) stay on the site broker.
func SiteBridgeTopics(prefix, site string) []string {
	return []string{
		prefix + "/" + site + "/+/status out 1",
		prefix + "/" + site + "/+/health out 1",
		prefix + "/" + site + "/+/alert out 1",
	}
}

// config is the connection section.
func (br *Bridge) config() (string, error) {
	if br.Address == "" || len(br.Topics) == 0 {
		return "", fmt.Errorf("bridge: needs an Address and Topics")
	}
	if (br.CertFile == "") != (br.KeyFile == "") {
		return "", fmt.Errorf("bridge: CertFile and KeyFile go together")
	}
	if br.CertFile != "" && br.CAFile == "" {
		return "", fmt.Errorf("bridge: a client certificate needs CAFile (TLS)")
	}
	name := br.Name
	if name == "" {
		name = "site-bridge"
	}
	retry := br.RetrySeconds
	if retry <= 0 {
		retry = 1
	}
	var c strings.Builder
	fmt.Fprintf(&c, "\nconnection %s\n", name)
	fmt.Fprintf(&c, "address %s\n", br.Address)
	fmt.Fprintf(&c, "remote_clientid %s\n", name)
	c.WriteString("bridge_protocol_version mqttv311\n")
	// A persistent session on both sides: while the link is down the
	// site broker queues the QoS 1 messages for the central one, and the
	// central one keeps the bridge's session.
	c.WriteString("cleansession false\n")
	c.WriteString("try_private true\n")
	c.WriteString("start_type automatic\n")
	fmt.Fprintf(&c, "restart_timeout %d\n", retry)
	c.WriteString("keepalive_interval 5\n")
	if br.Username != "" {
		fmt.Fprintf(&c, "remote_username %s\n", br.Username)
		if br.Password != "" {
			fmt.Fprintf(&c, "remote_password %s\n", br.Password)
		}
	}
	if br.CAFile != "" {
		fmt.Fprintf(&c, "bridge_cafile %s\n", br.CAFile)
		if br.CertFile != "" {
			fmt.Fprintf(&c, "bridge_certfile %s\nbridge_keyfile %s\n", br.CertFile, br.KeyFile)
		}
	}
	for _, tp := range br.Topics {
		fmt.Fprintf(&c, "topic %s\n", tp)
	}
	return c.String(), nil
}
