package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSelftestCommand(t *testing.T) {
	dir := t.TempDir()
	stuck := filepath.Join(dir, "stuck_902.4M_2400k.cu8")
	if err := os.WriteFile(stuck, make([]byte, 2*2400000), 0o644); err != nil { // cu8 zeros: −1−1j
		t.Fatal(err)
	}
	runIt := func(args ...string) (string, error) {
		var out bytes.Buffer
		e := &env{stdout: &out, stderr: io.Discard, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		err := run(context.Background(), e, append([]string{"selftest"}, args...))
		return out.String(), err
	}
	out, err := runIt("--source", "sim://quiet-night", "--seconds", "1", "--json")
	if err != nil {
		t.Fatalf("working simulated dongle: %v\n%s", err, out)
	}
	var rep struct {
		OK     bool `json:"ok"`
		Checks []struct{ Name, Status string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.OK || len(rep.Checks) != 4 {
		t.Errorf("report %s (%v)", out, err)
	}
	out, err = runIt("--source", stuck, "--seconds", "0.5")
	if !errors.Is(err, errSelftest) || !strings.Contains(out, "fail signal") {
		t.Errorf("stuck ADC: err %v, output\n%s", err, out)
	}
	if _, err := runIt(); !errors.Is(err, errUsage) {
		t.Errorf("no source: err %v, want a usage error", err)
	}
	if _, err := runIt("--source", "usb://0"); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "unknown scheme") {
		t.Errorf("bad URI: err %v", err)
	}
}
