// Package mqttpub delivers a sensor's messages to the site's MQTT broker:
// alerts from the durable queue, never lost, in order; health and bursts
// while connected; and the retained online/offline status a console shows.
//
// # Alerts
//
// Enqueue encodes an alert as JSON and appends it to the durable queue
// (alerting/queue, fsync before it returns); only then does the alert count
// as raised. Run sends the queued records in sequence order with QoS 1,
// never retained (a retained alert would act as a latched alarm for every
// new subscriber), keeping up to Config.Inflight unacknowledged at once,
// and acknowledges each record in the queue when its PUBACK arrives. When
// the connection dies, the next connection sends again from the oldest
// unacknowledged record: the order is kept, and a record the broker had
// received but whose PUBACK was lost arrives twice. Consumers deduplicate
// by (id, rev).
//
// # Status
//
// Every connection carries a last will: status "offline" (reason
// "connection lost"), retained, QoS 1, on <prefix>/<site>/<sensor>/status.
// The broker publishes it when the sensor vanishes without saying goodbye.
// The will is written when the connection opens, so its time field is the
// connect time, not the time of the loss; consumers should use the time
// they received it. On every connection the publisher sends status
// "online" (retained); on a graceful stop (Run's context cancelled) it
// waits a bounded time for the alerts in flight, sends "offline" (reason
// "shutdown") itself and disconnects, which discards the will.
//
// # Health and bursts
//
// PublishHealth sends at QoS 1, not retained and not queued: while offline
// it is dropped, as the next one replaces it. PublishBurst sends at QoS 0
// for technicians, dropped while offline or when its buffer is full.
//
// # Failures
//
// A connection that fails is retried with jittered exponential backoff
// (Config.Backoff, 1 s to 60 s). A failure that retrying cannot cure—the
// broker refusing the user name or password, a certificate the broker or
// the sensor rejects, an unreadable password or key file—is logged once per
// attempt as one sentence naming the user and the file to fix (never the
// password) and retried on the slow lane (Config.AuthBackoff, 1 min to 10
// min), so that a sensor with a wrong password does not hammer the broker.
// State and Stats expose the connection and the counters for the health
// message and /metrics.
package mqttpub
