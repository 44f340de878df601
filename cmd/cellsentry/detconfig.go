package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/cellsentry/cellsentry/dsp/channelize"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
)

// detectionConfig is the part of the sensor config that replay uses: how
// the pipeline detects and how dBFS becomes dBm. Other sections of a sensor
// config are accepted and ignored here.
type detectionConfig struct {
	Detection   detectionSection   `yaml:"detection"`
	Calibration calibrationSection `yaml:"calibration"`
	// Other keeps the sections other loaders read, so that decoding with
	// KnownFields rejects unknown keys inside the two sections only.
	Other map[string]yaml.Node `yaml:",inline"`
}

type detectionSection struct {
	FalsePerHour float64   `yaml:"false_per_hour"`
	ThresholdDB  float64   `yaml:"threshold_db"`
	FFTSize      int       `yaml:"fft_size"`
	Hop          int       `yaml:"hop"`
	Window       string    `yaml:"window"`
	SpursHz      []float64 `yaml:"spurs_hz"`
	Rhythm       *bool     `yaml:"rhythm"`
}

type calibrationSection struct {
	// OffsetDB maps a tuner gain (dB, as a string key such as "40.2")
	// to dBm − dBFS at that gain; "default" applies to any other gain.
	OffsetDB map[string]float64 `yaml:"offset_db"`
}

func loadDetectionConfig(path string) (*detectionConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var c detectionConfig
	// Decode the two sections strictly, straight from the file so that
	// errors give the file's line numbers; other sections go to Other.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // EOF: an empty file
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if !(c.Detection.FalsePerHour >= 0) || math.IsInf(c.Detection.FalsePerHour, 0) {
		return nil, fmt.Errorf("config %s: detection.false_per_hour %g: must be positive", path, c.Detection.FalsePerHour)
	}
	if c.Detection.Window != "" {
		if _, err := channelize.Window(c.Detection.Window, 16); err != nil {
			return nil, fmt.Errorf("config %s: detection.window: %w", path, err)
		}
	}
	return &c, nil
}

// apply copies the config into a pipeline config; the calibration offset
// is chosen for the recording's gain.
func (c *detectionConfig) apply(p *pipeline.Config, m sigmf.Meta) {
	p.FalsePerHour = c.Detection.FalsePerHour
	p.ThresholdDB = c.Detection.ThresholdDB
	p.Channelizer.Size = c.Detection.FFTSize
	p.Channelizer.Hop = c.Detection.Hop
	p.Channelizer.Window = c.Detection.Window
	p.SpurHz = c.Detection.SpursHz
	if c.Detection.Rhythm != nil {
		p.DisableRhythm = !*c.Detection.Rhythm
	}
	if v, ok := c.Calibration.OffsetDB[strconv.FormatFloat(m.Gain, 'f', -1, 64)]; ok {
		p.CalOffsetDB = v
	} else if v, ok := c.Calibration.OffsetDB["default"]; ok {
		p.CalOffsetDB = v
	}
}
