package mqttpub

import (
	"math"
	"sync"
	"time"
)

// State is the connection as the health message and /metrics show it.
type State struct {
	Connected bool
	Broker    string
	// Since is when Connected last changed (zero before the first
	// attempt).
	Since time.Time
	// LastError is the latest connection failure (nil before any); it
	// stays after a reconnection so that a flapping link is visible.
	LastError   error
	LastErrorAt time.Time
	// Kind classifies LastError.
	Kind Kind
	// Failures counts the connection attempts that failed in a row (0
	// while connected).
	Failures int
	// NextRetry is when the next attempt is due while not connected (zero
	// while connected or before Run).
	NextRetry time.Time
}

// Stats are the publisher's counters since New, for /metrics.
type Stats struct {
	Enqueued  uint64 // alerts stored by Enqueue
	Published uint64 // alert publishes sent (resends included)
	Acked     uint64 // alerts acknowledged by the broker and removed from the queue
	Resent    uint64 // alert publishes of a record already sent on an earlier connection
	AckErrors uint64 // acknowledgements the queue failed to record (those alerts go again after a restart)

	ConnectAttempts uint64
	Connects        uint64 // successful connections
	ConnectFailures uint64
	AuthFailures    uint64 // failures of kind KindAuth or KindTLS
	ConnectionsLost uint64 // connections that died after CONNACK

	HealthSent, HealthDropped uint64
	BurstsSent, BurstsDropped uint64

	// Latency is the time from handing an alert to paho until the loop
	// handles its PUBACK: the broker's round trip plus the loop's own
	// waits (the queue's lock is held through each Append's fsync, so
	// alerts raised meanwhile add up to an fsync).
	Latency Histogram
}

// LatencyBounds are the upper bounds of the latency histogram's buckets,
// seconds: from a loopback broker (sub-millisecond) to a congested cellular
// link (seconds).
var LatencyBounds = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram is a cumulative histogram in the form Prometheus takes
// (prometheus.MustNewConstHistogram(desc, Count, Sum, buckets) with
// buckets[Bounds[i]] = Cumulative[i]).
type Histogram struct {
	Count      uint64
	Sum        float64   // seconds
	Bounds     []float64 // upper bounds, seconds (LatencyBounds)
	Cumulative []uint64  // observations <= Bounds[i]
}

// Buckets returns the histogram as Prometheus's bucket map.
func (h Histogram) Buckets() map[float64]uint64 {
	m := make(map[float64]uint64, len(h.Bounds))
	for i, b := range h.Bounds {
		m[b] = h.Cumulative[i]
	}
	return m
}

// Quantile estimates the q-quantile (0..1) from the buckets, seconds: the
// upper bound of the bucket holding it; +Inf beyond the last bound, 0 for
// an empty histogram.
func (h Histogram) Quantile(q float64) float64 {
	if h.Count == 0 {
		return 0
	}
	rank := uint64(q*float64(h.Count) + 0.5)
	rank = max(rank, 1)
	for i, c := range h.Cumulative {
		if c >= rank {
			return h.Bounds[i]
		}
	}
	return math.Inf(1)
}

// counters is Stats behind a mutex, with the histogram's per-bucket counts.
type counters struct {
	mu      sync.Mutex
	s       Stats
	buckets []uint64 // len(LatencyBounds)+1, last is +Inf; not cumulative
}

func (c *counters) add(f func(s *Stats)) {
	c.mu.Lock()
	f(&c.s)
	c.mu.Unlock()
}

func (c *counters) observe(d time.Duration) {
	sec := d.Seconds()
	i := 0
	for i < len(LatencyBounds) && sec > LatencyBounds[i] {
		i++
	}
	c.mu.Lock()
	if c.buckets == nil {
		c.buckets = make([]uint64, len(LatencyBounds)+1)
	}
	c.buckets[i]++
	c.s.Latency.Count++
	c.s.Latency.Sum += sec
	c.mu.Unlock()
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.s
	s.Latency.Bounds = LatencyBounds
	s.Latency.Cumulative = make([]uint64, len(LatencyBounds))
	var run uint64
	for i := range LatencyBounds {
		if c.buckets != nil {
			run += c.buckets[i]
		}
		s.Latency.Cumulative[i] = run
	}
	return s
}
