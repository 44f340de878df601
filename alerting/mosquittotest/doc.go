// Package mosquittotest starts a real Mosquitto broker for tests: the broker
// a site runs, not an in-process imitation, so that what the tests show
// (passwords, ACL, TLS, the last will, an outage) is what a sensor meets in
// the field.
//
// Start writes a mosquitto.conf into the test's temporary directory, picks
// free loopback ports, runs "mosquitto -c" in the foreground with its log
// captured (and printed when the test fails), and stops it when the test
// ends. Options add a password file, an ACL (ProductACL writes the
// product's), and a TLS listener with a CA, a server certificate and client
// certificates generated in Go. Stop and Restart keep the ports, so a test
// can cut the broker away from a client for a while; Proxy sits between a
// client and the broker and cuts TCP connections on demand.
//
// Options.Bridge makes a broker a site broker forwarding the sensors'
// topics (SiteBridgeTopics) to a central broker started before it, the
// national topology; a Proxy between them cuts the link. Options.Persist
// keeps sessions and queued messages across Restart, as a site broker
// that has acknowledged alerts it has not yet forwarded must.
//
// Mosquitto must be installed (Debian: apt-get install -y mosquitto); a
// test that needs it fails rather than skips, so that CI cannot pass
// without having run it.
package mosquittotest
