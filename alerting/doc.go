// Package alerting holds the messages a sensor publishes over MQTT (schema
// v1): status, health, alert and burst, their JSON encoding, the topics they
// go to, and the JSON Schema documents that define them (schema/*.json),
// with a validator that the sensor's tests and the console's subscriber both
// use.
//
// The subpackages turn bursts into alerts (track), keep them on disk until
// the broker acknowledged them (queue), publish them (mqttpub), and keep the
// IQ a technician needs to check an alert (evidence).
package alerting
