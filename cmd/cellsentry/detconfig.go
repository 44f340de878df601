package main

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
)

// detectionConfig is the part of the sensor config that replay uses: how
// the pipeline detects and how dBFS becomes dBm. Only the detection and
// calibration sections are read (strictly, by configs); other sections
// are skipped, so a partial file or one from a newer sensor serves.
type detectionConfig struct {
	*configs.Config
}

func loadDetectionConfig(path string) (*detectionConfig, error) {
	c, err := configs.LoadSections(path, "detection", "calibration")
	var errs configs.Errors
	switch {
	case errors.As(err, &errs):
		// replay has always said "config FILE: line N: …"; keep that form
		// (check-config gives the file:line:col one).
		parts := make([]string, len(errs))
		for i, e := range errs {
			switch {
			case e.Line > 0 && e.Column > 0:
				parts[i] = fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
			case e.Line > 0:
				parts[i] = fmt.Sprintf("line %d: %s", e.Line, e.Msg)
			default:
				parts[i] = e.Msg
			}
		}
		return nil, fmt.Errorf("config %s: %s", path, strings.Join(parts, "; "))
	case err != nil:
		return nil, err
	}
	return &detectionConfig{c}, nil
}

// apply copies the config into a pipeline config; the calibration offset
// is chosen for the recording's gain, and left as it was when the config
// has none for it.
func (c *detectionConfig) apply(p *pipeline.Config, m sigmf.Meta) {
	q := c.Pipeline("", configs.Gain{DB: m.Gain})
	p.FalsePerHour = q.FalsePerHour
	p.ThresholdDB = q.ThresholdDB
	p.Channelizer = q.Channelizer
	p.SpurHz = q.SpurHz
	p.DisableRhythm = q.DisableRhythm
	if !math.IsNaN(q.CalOffsetDB) {
		p.CalOffsetDB = q.CalOffsetDB
	}
}
