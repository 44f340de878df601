// Package rtltcp speaks the rtl_tcp protocol (osmocom rtl-sdr's network
// server for RTL2832U dongles), as a client and as a server, so that a
// sensor can read a dongle plugged into another box and lab tests can serve
// a synthetic scene or a recording over a real TCP connection.
//
// The protocol: on connect the server sends a 12-byte Header ("RTL0",
// tuner type and gain-step count, uint32 big-endian), then streams
// interleaved unsigned 8-bit I/Q (cu8) with no framing and no time stamps.
// The client sends 5-byte Commands (op byte, uint32 big-endian parameter).
// Nothing in the stream says when a command took effect; see Client for
// how samples are time-stamped and how retunes are marked as settling.
//
// ParseHeader and ParseCommand are pure functions, separate from the I/O.
// Dial returns a *Client, an sdr.Source; Serve serves a Tunable source to
// one client at a time.
package rtltcp
