// Package configs is a sensor's configuration: the schema of the YAML
// file a technician writes (configs/sensor.yaml is the documented example),
// its defaults, and the checks that make it hard to get silently wrong.
//
// Load and Parse decode strictly: an unknown key is an error that names
// the nearest known one, every error carries file:line:col, the field's
// path and the allowed range, and all errors are reported at once (as
// Errors). Values carry units (902.4MHz, 250ms, 8dB, 64MiB, 12ppm) through
// the small types Frequency, Duration, Decibel, Gain, Size, PPM and Pin.
// Beyond ranges the checks look at sense across fields: a band the tuner
// cannot reach, a dwell not longer than the settle time, evidence longer
// than its ring, a queue smaller than one alert, two hardware functions on
// one pin, a certificate without its key, a band given to two dongles, an
// alert clearing faster than its band is revisited.
//
// Load is side-effect free (it reads the one file), so the daemon can
// check a new file on SIGHUP and keep running on the old config when it
// fails. A loaded Config gives the daemon what it builds from: the
// pipeline.Config of a band, the hop plan and source URI of each dongle,
// the alerting.Origin, the effective YAML and its Hash for health
// messages.
//
// Relative paths: state_dir is taken from the config file's directory;
// the queue and evidence directories from state_dir; the MQTT password,
// CA, certificate and key files from the config file's directory.
package configs
