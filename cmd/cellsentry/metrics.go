package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the daemon's Prometheus series (the publisher's and the
// queue's are collected at scrape time by publisherCollector). They live in a registry of
// their own (not the global one) so that a reload, or a test running the
// daemon twice in one process, starts from clean counters.
type metrics struct {
	reg          *prometheus.Registry
	samples      *prometheus.CounterVec // by source
	dropped      *prometheus.CounterVec // by source
	bursts       *prometheus.CounterVec // by class
	alerts       *prometheus.CounterVec // by class and state
	sourceUp     *prometheus.GaugeVec   // 1 while a source streams
	floor        *prometheus.GaugeVec   // noise floor per band, dBFS
	configErrors prometheus.Counter     // reloads rejected
	info         *prometheus.GaugeVec   // version and config hash as labels
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	f := promauto{m.reg}
	m.samples = f.counterVec("cellsentry_samples_total", "IQ samples processed.", "source")
	m.dropped = f.counterVec("cellsentry_samples_dropped_total", "IQ samples lost (USB overruns, reconnects).", "source")
	m.bursts = f.counterVec("cellsentry_bursts_total", "Bursts detected, by class.", "class")
	m.alerts = f.counterVec("cellsentry_alerts_total", "Alert events, by class and state.", "class", "state")
	m.sourceUp = f.gaugeVec("cellsentry_source_up", "1 while the source streams samples.", "source")
	m.floor = f.gaugeVec("cellsentry_noise_floor_dbfs", "Noise floor per hop centre, dBFS per bin.", "band", "center_hz")
	m.configErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "cellsentry_config_reload_errors_total", Help: "Configuration reloads rejected."})
	m.reg.MustRegister(m.configErrors)
	m.info = f.gaugeVec("cellsentry_info", "Always 1; labels say the version and configuration.", "version", "config_hash")
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

type promauto struct{ reg *prometheus.Registry }

func (p promauto) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	p.reg.MustRegister(c)
	return c
}

func (p promauto) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	p.reg.MustRegister(g)
	return g
}

// serveMetrics serves /metrics on addr until ctx ends. It listens before
// returning so that a taken port is an error at start, not a log line
// later. The address should stay on loopback (or a management network):
// the numbers tell an attacker when the sensor hears something.
func serveMetrics(ctx context.Context, addr string, m *metrics, log *slog.Logger) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr(), nil
}
