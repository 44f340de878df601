// Package uri names IQ sources the same way everywhere — in the config file
// and on every command line:
//
//	rtlsdr://0                     dongle by index
//	rtlsdr://serial=00000001       dongle by serial
//	rtltcp://host:1234             an rtl_tcp server
//	file:///path/rec.sigmf-meta    a recording (a plain path works too)
//	sim://busy-wing?seed=7         a synthetic scene (built-in name or a YAML path)
//
// with query parameters for the radio: freq, rate, gain (dB or "auto"), ppm,
// and for scenes seed and sensor. Parse checks everything it can without
// touching hardware, and its errors say what is wrong and where.
package uri

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cellsentry/cellsentry/sdr/sigmf"
)

// Kind is what a URI names.
type Kind string

// The kinds of source.
const (
	RTLSDR Kind = "rtlsdr"
	RTLTCP Kind = "rtltcp"
	File   Kind = "file"
	Sim    Kind = "sim"
)

// Spec is a parsed source URI.
type Spec struct {
	Kind Kind
	// Index or Serial select a dongle (rtlsdr); Addr is host:port
	// (rtltcp); Path a recording (file) or a scene name or YAML path (sim).
	Index  int
	Serial string
	Addr   string
	Path   string

	// Radio settings; zero means "not given" (keep the default), except
	// where noted.
	Freq     float64 // Hz
	Rate     float64 // Hz
	Gain     float64 // dB; ignored when GainAuto
	GainAuto bool
	GainSet  bool // a gain (or "auto") was given
	PPM      float64
	Seed     uint64
	SeedSet  bool
	Sensor   string
}

// String formats the spec back as a URI.
func (s Spec) String() string {
	q := url.Values{}
	if s.Freq != 0 {
		q.Set("freq", strconv.FormatFloat(s.Freq, 'f', -1, 64))
	}
	if s.Rate != 0 {
		q.Set("rate", strconv.FormatFloat(s.Rate, 'f', -1, 64))
	}
	if s.GainSet {
		if s.GainAuto {
			q.Set("gain", "auto")
		} else {
			q.Set("gain", strconv.FormatFloat(s.Gain, 'f', -1, 64))
		}
	}
	if s.PPM != 0 {
		q.Set("ppm", strconv.FormatFloat(s.PPM, 'f', -1, 64))
	}
	if s.SeedSet {
		q.Set("seed", strconv.FormatUint(s.Seed, 10))
	}
	if s.Sensor != "" {
		q.Set("sensor", s.Sensor)
	}
	var host string
	switch s.Kind {
	case RTLSDR:
		host = strconv.Itoa(s.Index)
		if s.Serial != "" {
			host = "serial=" + s.Serial
		}
	case RTLTCP:
		host = s.Addr
	case File:
		if len(q) == 0 {
			return s.Path
		}
		p := s.Path
		if !filepath.IsAbs(p) {
			// A file URI holds an absolute path.
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
		}
		u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
		return u.String()
	case Sim:
		host = s.Path
	}
	out := string(s.Kind) + "://" + host
	if enc := q.Encode(); enc != "" {
		out += "?" + enc
	}
	return out
}

// Parse reads a source URI. A string without a scheme is a file path.
func Parse(raw string) (Spec, error) {
	fail := func(format string, a ...any) (Spec, error) {
		return Spec{}, fmt.Errorf("source %q: %s", raw, fmt.Sprintf(format, a...))
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return fail("empty")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		if strings.Contains(s, ":") && !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, ".") && !strings.Contains(s[:strings.Index(s, ":")], "/") {
			return fail("no \"//\" after the scheme (want e.g. rtltcp://host:1234)")
		}
		return Spec{Kind: File, Path: s}, nil
	}
	var spec Spec
	body, query, _ := strings.Cut(rest, "?")
	switch Kind(strings.ToLower(scheme)) {
	case RTLSDR:
		spec.Kind = RTLSDR
		switch {
		case body == "":
			spec.Index = 0
		case strings.HasPrefix(body, "serial="):
			spec.Serial = strings.TrimPrefix(body, "serial=")
			if spec.Serial == "" {
				return fail("empty serial")
			}
		default:
			n, err := strconv.Atoi(body)
			if err != nil || n < 0 {
				return fail("%q is neither a device index (0, 1, …) nor serial=…", body)
			}
			spec.Index = n
		}
	case RTLTCP:
		spec.Kind = RTLTCP
		host, port, err := net.SplitHostPort(body)
		if err != nil {
			return fail("%q: want host:port (%v)", body, err)
		}
		if host == "" {
			return fail("no host before :%s", port)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return fail("port %q is not 1–65535", port)
		}
		spec.Addr = body
	case File:
		spec.Kind = File
		u, err := url.Parse(s)
		if err != nil {
			return fail("%v", err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return fail("file URIs name local files: file:///path (three slashes), not host %q", u.Host)
		}
		if u.Path == "" {
			return fail("no path")
		}
		spec.Path = u.Path
		query = u.RawQuery
	case Sim:
		spec.Kind = Sim
		if body == "" {
			return fail("no scene (want e.g. sim://busy-wing)")
		}
		spec.Path = body
	default:
		return fail("unknown scheme %q (known: rtlsdr, rtltcp, file, sim)", scheme)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return fail("query: %v", err)
	}
	for key, vals := range q {
		v := vals[len(vals)-1]
		switch key {
		case "freq":
			if spec.Freq, err = sigmf.ParseHz(v); err != nil || spec.Freq <= 0 {
				return fail("freq=%s: not a frequency (e.g. 902.4M)", v)
			}
		case "rate":
			if spec.Rate, err = sigmf.ParseHz(v); err != nil || spec.Rate <= 0 {
				return fail("rate=%s: not a sample rate (e.g. 2.4M)", v)
			}
		case "gain":
			spec.GainSet = true
			if strings.EqualFold(v, "auto") {
				spec.GainAuto = true
				continue
			}
			g, err := strconv.ParseFloat(strings.TrimSuffix(strings.ToLower(v), "db"), 64)
			if err != nil || math.IsNaN(g) || g < 0 || g > 60 {
				return fail("gain=%s: want dB from 0 to 60, or auto", v)
			}
			spec.Gain = g
		case "ppm":
			p, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(p) || math.Abs(p) > 500 {
				return fail("ppm=%s: want a correction from −500 to 500", v)
			}
			spec.PPM = p
		case "seed":
			if spec.Kind != Sim {
				return fail("seed is for sim:// sources")
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fail("seed=%s: not a whole number", v)
			}
			spec.Seed, spec.SeedSet = n, true
		case "sensor":
			if spec.Kind != Sim {
				return fail("sensor is for sim:// sources")
			}
			spec.Sensor = v
		default:
			return fail("unknown parameter %q (known: freq, rate, gain, ppm, seed, sensor)", key)
		}
	}
	return spec, nil
}
