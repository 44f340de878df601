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
// Mosquitto must be installed (Debian: apt-get install -y mosquitto); a
// test that needs it fails rather than skips, so that CI cannot pass
// without having run it.
package mosquittotest
