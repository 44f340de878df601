// Package hardware is the sensor box around the radio: the Raspberry Pi's
// health (CPU temperature, throttling and under-voltage, free disk for the
// alert queue) and, through periph.io, the status LED, the local alarm
// output (buzzer or relay) and the tamper switch.
//
// # Board
//
// Open initialises periph's host drivers once, looks the configured pins up
// by name (GPIO17 …) and returns a Board:
//
//   - SetState picks the status LED's pattern (ok, alerting, degraded, no
//     broker, off); one goroutine steps it every 100 ms.
//   - Alarm switches the local alarm; it switches itself off after
//     Config.AlarmMaxOn so a stuck alert cannot sound forever, and stays off
//     until Alarm(false) re-arms it.
//   - The tamper switch is polled and debounced; every debounced change is
//     sent on Tamper() and an opening latches Tampered() until AckTamper.
//
// Config says how they are wired: outputs active high or low, the tamper
// input's pull (up, down, none) and the level it reads with the enclosure
// open, the debounce time, the alarm's longest sound; the sensor file's
// hardware section holds the same keys (configs.Hardware).
//
// On a machine without GPIO (CI, a laptop, the demo) Open logs so once and
// returns a Board whose outputs do nothing and whose tamper input never
// fires; Available reports which. A Pi whose GPIO chips (/dev/gpiochipN)
// the service user cannot open gets the same Board, but the log says so at
// error level, with the cause. New builds a Board on given pins, e.g.
// periph's gpiotest fakes, for tests of the code that drives it.
//
// # Health
//
// Monitor.Health reads a snapshot (CPUTemperature, ReadThrottled with the
// vcgencmd fallback, DiskSpace) from paths a test can point at testdata
// trees; Health.Degraded lists why the sensor is degraded, if it is.
package hardware
