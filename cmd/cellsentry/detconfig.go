package main

import (
	"bytes"
	"fmt"
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
	Detection struct {
		FalsePerHour float64   `yaml:"false_per_hour"`
		ThresholdDB  float64   `yaml:"threshold_db"`
		FFTSize      int       `yaml:"fft_size"`
		Hop          int       `yaml:"hop"`
		Window       string    `yaml:"window"`
		SpursHz      []float64 `yaml:"spurs_hz"`
		Rhythm       *bool     `yaml:"rhythm"`
	} `yaml:"detection"`
	Calibration struct {
		// OffsetDB maps a tuner gain (dB, as a string key such as "40.2")
		// to dBm − dBFS at that gain; "default" applies to any other gain.
		OffsetDB map[string]float64 `yaml:"offset_db"`
	} `yaml:"calibration"`
}

func loadDetectionConfig(path string) (*detectionConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var c detectionConfig
	// Decode the two sections strictly; leave other sections to their
	// own loaders.
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	for key, node := range top {
		var dst any
		switch key {
		case "detection":
			dst = &c.Detection
		case "calibration":
			dst = &c.Calibration
		default:
			continue
		}
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		if err := enc.Encode(&node); err != nil {
			return nil, fmt.Errorf("config %s: %s: %w", path, key, err)
		}
		dec := yaml.NewDecoder(&buf)
		dec.KnownFields(true)
		if err := dec.Decode(dst); err != nil {
			return nil, fmt.Errorf("config %s: line %d: %s: %w", path, node.Line, key, err)
		}
	}
	if c.Detection.FalsePerHour < 0 {
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
