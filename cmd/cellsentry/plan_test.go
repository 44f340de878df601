package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestPlanCommand(t *testing.T) {
	for _, c := range []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"one band", []string{"plan", "--bands", "b8", "--dwell", "200ms"},
			[]string{"19 hops of 200ms (195ms heard after 5ms settling), cycle 3.8s", "gsm900-ul        19       1      3.8s"}, ""},
		{"weights", []string{"plan", "--bands", "b20,b8:2", "--dwell", "100ms", "--settle", "50ms"},
			[]string{"54 hops", "gsm900-ul        19       2      2.7s"}, ""},
		{"unknown band", []string{"plan", "--bands", "b7"}, nil, `unknown band "b7"`},
		{"bad weight", []string{"plan", "--bands", "b8:x"}, nil, `weight "x" of b8`},
		{"settle too long", []string{"plan", "--bands", "b8", "--dwell", "10ms", "--settle", "20ms"}, nil, "not longer than the settle time"},
		// The shipped config: its four bands, gsm900-ul weighted 2, on one
		// dongle (24 + 16 + 2·19 + 29 hops).
		{"config", []string{"plan", "--config", "../../configs/sensor.yaml"},
			[]string{"dongle0 (rtlsdr://0)\n107 hops of 250ms (245ms heard after 5ms settling), cycle 26.75s", "gsm900-ul        19       2   13.375s"}, ""},
		{"config with flags", []string{"plan", "--config", "../../configs/sensor.yaml", "--dwell", "100ms"},
			[]string{"107 hops of 100ms (95ms heard after 5ms settling), cycle 10.7s"}, ""},
		{"config per dongle", []string{"plan", "--config", "../../configs/testdata/good-two-dongles.yaml"},
			[]string{"low (rtlsdr://serial=00000001)\n40 hops", "\nhigh (rtlsdr://serial=00000002)\n77 hops", "dcs1800-ul       29       2"}, ""},
		{"config and bands", []string{"plan", "--config", "../../configs/sensor.yaml", "--bands", "b8"}, nil, "--bands and --config"},
		{"bad config", []string{"plan", "--config", "../../configs/testdata/bad-dwell-settle.yaml"}, nil, "bad-dwell-settle.yaml: 1 error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			e := &env{stdout: &out, stderr: &errb, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			err := run(context.Background(), e, c.args)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				if strings.Contains(c.wantErr, "band") && !strings.Contains(c.wantErr, "config") && !errors.Is(err, errUsage) {
					t.Errorf("err %v is not a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
