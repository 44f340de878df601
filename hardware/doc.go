// Package hardware is the sensor box around the radio: the Raspberry Pi's
// health (CPU temperature, throttling, free disk for the alert queue) and,
// through periph.io, the status LED, the local alarm output and the tamper
// switch. On a machine without these (CI, a laptop, the demo) every reading
// says it is unavailable and the daemon runs on.
package hardware
