// Package console is the control room as one value: it subscribes to the
// sensors of the configured sites over MQTT (alerting/subscribe), fuses
// what several sensors heard into incidents localized to a wing
// (alerting/fusion), keeps them in SQLite (alerting/store) and serves the
// web console guards work in (alerting/web).
//
// It lives outside cmd/cellsentry-console so that other programs can run
// a console in their own process: `cellsentry demo` runs one next to its
// simulated sensors and embedded broker, and tests start one on port 0.
//
//	c, err := console.New(ctx, cfg, console.Options{Log: log})
//	if err != nil { … }
//	fmt.Println("console at", c.URL())
//	err = c.Run(ctx) // until ctx ends; flushes the last batch, then returns
//
// Messages are batched: a batch is written in one transaction every 100 ms
// (or at 2000 messages), and only then are the browsers, the broker's
// incident topic and Options.OnIncident told, so that what they see is
// what the store holds.
package console
