package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
)

// runCmd runs "cellsentry CMD ARGS" as main would, capturing what the
// command writes; logs go to stderr with its other messages.
func runCmd(t *testing.T, cmd string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, log: slog.New(slog.NewTextHandler(&errb, nil))}
	err = run(context.Background(), e, append([]string{cmd}, args...))
	return out.String(), errb.String(), err
}
