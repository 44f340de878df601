package sigmf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// Errors a caller can branch on with errors.Is. The errors returned by this
// package wrap them and add the file, the field and the value at fault.
var (
	// ErrBadMeta marks metadata that is malformed (JSON syntax, wrong types,
	// missing required fields) or inconsistent with itself or its data.
	ErrBadMeta = errors.New("bad SigMF metadata")
	// ErrUnsupported marks a valid recording that cellsentry cannot read:
	// real-valued or big-endian datatypes, several channels, SigMF 0.x/2.x,
	// SigMF archives.
	ErrUnsupported = errors.New("unsupported recording")
	// ErrTruncated marks a data file that ends in a partial sample.
	ErrTruncated = errors.New("truncated data file")
	// ErrNoRate marks a raw file whose sample rate is neither in its name nor
	// given in RawOptions.
	ErrNoRate = errors.New("sample rate unknown")
)

// Namespace is cellsentry's SigMF extension namespace, and ExtensionVersion
// the version declared for it in core:extensions.
const (
	Namespace        = "cellsentry"
	ExtensionVersion = "1.0.0"
	// SpecVersion is the core:version written when Meta.Version is empty.
	SpecVersion = "1.0.0"
)

// Field names of the global object, captures and our namespace.
const (
	keyDatatype    = "core:datatype"
	keySampleRate  = "core:sample_rate"
	keyVersion     = "core:version"
	keyNumChannels = "core:num_channels"
	keyOffset      = "core:offset"
	keyDescription = "core:description"
	keyAuthor      = "core:author"
	keyHW          = "core:hw"
	keyRecorder    = "core:recorder"
	keyDataset     = "core:dataset"
	keyTrailing    = "core:trailing_bytes"
	keyExtensions  = "core:extensions"
	keyGain        = Namespace + ":gain_db"
	keyPPM         = Namespace + ":ppm"

	keySampleStart = "core:sample_start"
	keyFrequency   = "core:frequency"
	keyDatetime    = "core:datetime"
	keyHeaderBytes = "core:header_bytes"
	keyGlobalIndex = "core:global_index"
)

// Meta is the part of a recording's metadata cellsentry uses, plus whatever
// else the file held so that it can be written back unchanged.
type Meta struct {
	Datatype    sdr.Format
	SampleRate  float64 // Hz, > 0
	Description string
	Author      string
	Hardware    string // core:hw
	Recorder    string // core:recorder
	// Gain is the tuner gain in dB (cellsentry:gain_db); 0 or NaN means
	// unknown or automatic and is not written.
	Gain float64
	// PPM is the frequency correction applied, parts per million
	// (cellsentry:ppm); 0 or NaN means none or unknown and is not written.
	PPM float64
	// Version is core:version as read (any 1.x; SpecVersion when absent);
	// empty writes SpecVersion.
	Version string
	// Offset is core:offset, the index of the first sample of the data file
	// in the original stream (0 if absent).
	Offset int64
	// Dataset is core:dataset, the data file's name for a Non-Conforming
	// Dataset ("" for the usual PREFIX.sigmf-data).
	Dataset string
	// TrailingBytes is core:trailing_bytes, bytes to ignore at the end of a
	// Non-Conforming Dataset.
	TrailingBytes int64
	// Extensions are the declared extension namespaces other than
	// cellsentry's, which the package declares itself when it writes
	// cellsentry:* fields.
	Extensions []Extension
	// Extra holds the other global fields, kept on read and written back.
	// Numbers read from a file are json.Number.
	Extra map[string]any
	// Captures are ordered by SampleStart.
	Captures []Capture
	// Annotations are the annotation objects, kept as they are.
	Annotations []map[string]any
	// Path is the data file path (set by Open and Create).
	Path string
	// TruncatedBytes is the size of a partial sample at the end of the data
	// file (set by Open; 0 for a whole file). See Reader.Truncated.
	TruncatedBytes int64
}

// Extension is one entry of core:extensions.
type Extension struct {
	Name     string
	Version  string
	Optional bool
}

// Capture is one capture segment: a run of samples taken with one tuning.
type Capture struct {
	SampleStart int64     // core:sample_start, in samples
	Frequency   float64   // core:frequency, Hz (0 if absent)
	Datetime    time.Time // core:datetime, UTC (zero if absent)
	// Length is derived: samples until the next capture or the end of data.
	// It is set by Open and by the Writer, and never written.
	Length int64
	// GlobalIndex is core:global_index, the index of the first sample in the
	// original stream; it exceeds SampleStart by the samples lost before
	// this capture. Parsing sets it to SampleStart when absent, and it is
	// written only when it differs.
	GlobalIndex int64
	// HeaderBytes is core:header_bytes: bytes of non-sample data in the
	// data file just before this capture's samples.
	HeaderBytes int64
	// Extra holds the capture's other fields, written back.
	Extra map[string]any
}

// ParseMeta parses the contents of a .sigmf-meta file and checks everything
// that does not need the data file: datatype, sample rate, version, channel
// count, field types and capture order. Errors wrap ErrBadMeta or
// ErrUnsupported and name the field; JSON syntax errors give the line and
// column. Capture lengths are left 0 (they need the data size; see Open).
func ParseMeta(data []byte) (Meta, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return Meta{}, syntaxError(data, err, dec.InputOffset())
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		line, col := lineCol(data, int64(len(data)-len(rest)+1))
		return Meta{}, fmt.Errorf("line %d, column %d: %w: invalid JSON: unexpected %q after the top-level object", line, col, ErrBadMeta, rest[:1])
	}
	obj, ok := top.(map[string]any)
	if !ok {
		return Meta{}, fmt.Errorf("%w: top level is %s, want an object with global, captures and annotations", ErrBadMeta, jsonType(top))
	}
	g, ok := obj["global"].(map[string]any)
	if !ok {
		if _, present := obj["global"]; present {
			return Meta{}, fmt.Errorf("%w: global is %s, want an object", ErrBadMeta, jsonType(obj["global"]))
		}
		return Meta{}, fmt.Errorf("%w: global object is missing", ErrBadMeta)
	}
	m, err := parseGlobal(g)
	if err != nil {
		return Meta{}, err
	}
	if m.Captures, err = parseCaptures(obj["captures"]); err != nil {
		return Meta{}, err
	}
	if m.Annotations, err = parseAnnotations(obj["annotations"]); err != nil {
		return Meta{}, err
	}
	return m, nil
}

// syntaxError turns a JSON decoding error into one that gives line and
// column (1-based, columns in bytes) of the offending input.
func syntaxError(data []byte, err error, fallback int64) error {
	off := fallback
	atEOF := false
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(bytes.TrimRight(data, " \t\r\n")))
		if off == 0 {
			return fmt.Errorf("%w: file is empty", ErrBadMeta)
		}
		err = errors.New("unexpected end of JSON input")
		atEOF = true
	}
	line, col := lineCol(data, off)
	if atEOF {
		col++ // point just past the last byte, where more was expected
	}
	return fmt.Errorf("line %d, column %d: %w: invalid JSON: %v", line, col, ErrBadMeta, err)
}

// lineCol converts a byte offset into a 1-based line and column. The JSON
// decoder reports the offset just past the byte it could not accept, so the
// column points at that byte.
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	prefix := data[:off]
	line = bytes.Count(prefix, []byte{'\n'}) + 1
	col = len(prefix) - (bytes.LastIndexByte(prefix, '\n') + 1)
	if col == 0 {
		col = 1
	}
	return line, col
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		if len(v) <= 40 {
			return fmt.Sprintf("a string (%q)", v)
		}
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// knownGlobal lists the global fields parsed into Meta's own fields.
var knownGlobal = map[string]bool{
	keyDatatype: true, keySampleRate: true, keyVersion: true, keyNumChannels: true,
	keyOffset: true, keyDescription: true, keyAuthor: true, keyHW: true, keyRecorder: true,
	keyDataset: true, keyTrailing: true, keyExtensions: true, keyGain: true, keyPPM: true,
}

var knownCapture = map[string]bool{
	keySampleStart: true, keyFrequency: true, keyDatetime: true, keyHeaderBytes: true, keyGlobalIndex: true,
}

func parseGlobal(g map[string]any) (Meta, error) {
	var m Meta
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: global: "+format, append([]any{ErrBadMeta}, args...)...)
	}

	// Datatype: required, complex, little-endian, one of sdr's formats.
	dt, present, err := getString(g, keyDatatype)
	switch {
	case err != nil:
		return m, bad("%v", err)
	case !present:
		return m, bad("%s is missing (cellsentry needs cu8, ci8, ci16_le or cf32_le)", keyDatatype)
	}
	if m.Datatype, err = parseDatatype(dt); err != nil {
		return m, fmt.Errorf("%w: global: %v", ErrUnsupported, err)
	}

	// Sample rate: optional in SigMF, required here: without it no time base.
	rate, present, err := getFloat(g, keySampleRate)
	switch {
	case err != nil:
		return m, bad("%v", err)
	case !present:
		return m, bad("%s is missing (cellsentry needs the sample rate in Hz)", keySampleRate)
	case !(rate > 0) || math.IsInf(rate, 0):
		return m, bad("%s %v must be a positive number of samples per second", keySampleRate, rate)
	}
	m.SampleRate = rate

	v, present, err := getString(g, keyVersion)
	if err != nil {
		return m, bad("%v", err)
	}
	m.Version = SpecVersion // required by SigMF, but its absence is no reason to refuse samples
	if present {
		if !isV1(v) {
			return m, fmt.Errorf("%w: global: %s %q: cellsentry reads SigMF 1.x", ErrUnsupported, keyVersion, v)
		}
		m.Version = v
	}

	nch, present, err := getUint(g, keyNumChannels)
	if err != nil {
		return m, bad("%v", err)
	}
	if present && nch != 1 {
		return m, fmt.Errorf("%w: global: %s %d: cellsentry reads single-channel recordings only", ErrUnsupported, keyNumChannels, nch)
	}
	if m.Offset, _, err = getUint(g, keyOffset); err != nil {
		return m, bad("%v", err)
	}
	if m.TrailingBytes, _, err = getUint(g, keyTrailing); err != nil {
		return m, bad("%v", err)
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{keyDescription, &m.Description}, {keyAuthor, &m.Author}, {keyHW, &m.Hardware}, {keyRecorder, &m.Recorder}, {keyDataset, &m.Dataset}} {
		if *f.dst, _, err = getString(g, f.key); err != nil {
			return m, bad("%v", err)
		}
	}
	if strings.ContainsAny(m.Dataset, `/\`) {
		return m, bad("%s %q must be a file name in the metadata's directory, not a path", keyDataset, m.Dataset)
	}
	if m.Gain, _, err = getFloat(g, keyGain); err != nil {
		return m, bad("%v", err)
	}
	if m.PPM, _, err = getFloat(g, keyPPM); err != nil {
		return m, bad("%v", err)
	}
	if m.Extensions, err = parseExtensions(g[keyExtensions]); err != nil {
		return m, bad("%v", err)
	}
	for k, val := range g {
		if knownGlobal[k] {
			continue
		}
		if m.Extra == nil {
			m.Extra = make(map[string]any)
		}
		m.Extra[k] = val
	}
	return m, nil
}

// parseDatatype maps a SigMF datatype to a Format, or says why cellsentry
// cannot read it.
func parseDatatype(s string) (sdr.Format, error) {
	f, err := sdr.ParseFormat(s)
	if err == nil {
		return f, nil
	}
	why := "not a type cellsentry reads"
	switch {
	case strings.HasPrefix(s, "r"):
		why = "real-valued samples; cellsentry needs complex IQ"
	case strings.HasSuffix(s, "_be"):
		why = "big-endian samples"
	}
	return sdr.FormatUnknown, fmt.Errorf("%s %q: %s (supported: cu8, ci8, ci16_le, cf32_le)", keyDatatype, s, why)
}

// isV1 accepts "1", "1.x", "1.x.y" and the "v1.0.0" spelling some writers use.
func isV1(v string) bool {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	return v == "1" || strings.HasPrefix(v, "1.")
}

func parseExtensions(v any) ([]Extension, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is %s, want an array of {name, version, optional}", keyExtensions, jsonType(v))
	}
	var out []Extension
	for i, e := range arr {
		o, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is %s, want an object", keyExtensions, i, jsonType(e))
		}
		var x Extension
		var err error
		var present bool
		if x.Name, present, err = getString(o, "name"); err != nil || !present {
			return nil, fmt.Errorf("%s[%d]: name must be a string", keyExtensions, i)
		}
		if x.Version, _, err = getString(o, "version"); err != nil {
			return nil, fmt.Errorf("%s[%d]: %v", keyExtensions, i, err)
		}
		if b, present := o["optional"]; present {
			if x.Optional, ok = b.(bool); !ok {
				return nil, fmt.Errorf("%s[%d]: optional is %s, want a boolean", keyExtensions, i, jsonType(b))
			}
		}
		if x.Name == Namespace {
			continue // ours: declared again on write when our fields are
		}
		out = append(out, x)
	}
	return out, nil
}

func parseCaptures(v any) ([]Capture, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: captures is %s, want an array", ErrBadMeta, jsonType(v))
	}
	if len(arr) == 0 {
		return nil, nil
	}
	caps := make([]Capture, 0, len(arr))
	for i, e := range arr {
		o, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: capture %d is %s, want an object", ErrBadMeta, i, jsonType(e))
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: capture %d: "+format, append([]any{ErrBadMeta, i}, args...)...)
		}
		var c Capture
		var present bool
		var err error
		if c.SampleStart, present, err = getUint(o, keySampleStart); err != nil {
			return nil, bad("%v", err)
		} else if !present {
			return nil, bad("%s is missing", keySampleStart)
		}
		if c.Frequency, _, err = getFloat(o, keyFrequency); err != nil {
			return nil, bad("%v", err)
		}
		if c.HeaderBytes, _, err = getUint(o, keyHeaderBytes); err != nil {
			return nil, bad("%v", err)
		}
		if c.GlobalIndex, present, err = getUint(o, keyGlobalIndex); err != nil {
			return nil, bad("%v", err)
		} else if !present {
			c.GlobalIndex = c.SampleStart
		}
		dt, present, err := getString(o, keyDatetime)
		if err != nil {
			return nil, bad("%v", err)
		}
		if present {
			t, err := time.Parse(time.RFC3339Nano, dt)
			if err != nil {
				return nil, bad("%s %q is not an RFC 3339 UTC time such as 2026-05-01T12:00:00.25Z", keyDatetime, dt)
			}
			c.Datetime = t.UTC()
		}
		if i > 0 && c.SampleStart < caps[i-1].SampleStart {
			return nil, bad("%s %d is before capture %d's %d (captures must be ordered by %s)",
				keySampleStart, c.SampleStart, i-1, caps[i-1].SampleStart, keySampleStart)
		}
		for k, val := range o {
			if knownCapture[k] {
				continue
			}
			if c.Extra == nil {
				c.Extra = make(map[string]any)
			}
			c.Extra[k] = val
		}
		caps = append(caps, c)
	}
	return caps, nil
}

func parseAnnotations(v any) ([]map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: annotations is %s, want an array", ErrBadMeta, jsonType(v))
	}
	if len(arr) == 0 {
		return nil, nil
	}
	out := make([]map[string]any, 0, len(arr))
	for i, e := range arr {
		o, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: annotation %d is %s, want an object", ErrBadMeta, i, jsonType(e))
		}
		out = append(out, o)
	}
	return out, nil
}

// getString returns o[key] if it is a string; present is false if the key
// is absent or null.
func getString(o map[string]any, key string) (s string, present bool, err error) {
	v, ok := o[key]
	if !ok || v == nil {
		return "", false, nil
	}
	s, ok = v.(string)
	if !ok {
		return "", true, fmt.Errorf("%s is %s, want a string", key, jsonType(v))
	}
	return s, true, nil
}

// getFloat returns o[key] if it is a finite number.
func getFloat(o map[string]any, key string) (f float64, present bool, err error) {
	v, ok := o[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, true, fmt.Errorf("%s is %s, want a number", key, jsonType(v))
	}
	f, err = strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, true, fmt.Errorf("%s %s is not a finite 64-bit number", key, n)
	}
	return f, true, nil
}

// getUint returns o[key] if it is a non-negative integer that fits int64.
// Integral floats ("1000.0", "1e3") are accepted: some writers emit them.
func getUint(o map[string]any, key string) (u int64, present bool, err error) {
	v, ok := o[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, true, fmt.Errorf("%s is %s, want a non-negative integer", key, jsonType(v))
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		if i < 0 {
			return 0, true, fmt.Errorf("%s %d must not be negative", key, i)
		}
		return i, true, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f >= 1<<63 {
		return 0, true, fmt.Errorf("%s %s is not a non-negative 64-bit integer", key, n)
	}
	return int64(f), true, nil
}

// EncodeMeta renders m as the JSON of a .sigmf-meta file: known fields from
// m's own fields, then Extra, captures (without the derived Length) and
// annotations ([] when none). It declares the cellsentry namespace in
// core:extensions when it writes one of its fields.
func EncodeMeta(m Meta) ([]byte, error) {
	if m.Datatype.BytesPerSample() == 0 {
		return nil, fmt.Errorf("%w: datatype %v", ErrUnsupported, m.Datatype)
	}
	if !(m.SampleRate > 0) || math.IsInf(m.SampleRate, 0) {
		return nil, fmt.Errorf("%w: sample rate %v must be a positive number", ErrBadMeta, m.SampleRate)
	}
	g := make(map[string]any, len(m.Extra)+12)
	for k, v := range m.Extra {
		if !knownGlobal[k] {
			g[k] = v
		}
	}
	g[keyDatatype] = m.Datatype.String()
	g[keySampleRate] = m.SampleRate
	g[keyVersion] = SpecVersion
	if m.Version != "" {
		g[keyVersion] = m.Version
	}
	g[keyNumChannels] = 1
	if m.Offset != 0 {
		g[keyOffset] = m.Offset
	}
	if m.TrailingBytes != 0 {
		g[keyTrailing] = m.TrailingBytes
	}
	for _, f := range []struct {
		key, val string
	}{{keyDescription, m.Description}, {keyAuthor, m.Author}, {keyHW, m.Hardware}, {keyRecorder, m.Recorder}, {keyDataset, m.Dataset}} {
		if f.val != "" {
			g[f.key] = f.val
		}
	}
	ours := false
	if known(m.Gain) {
		g[keyGain] = m.Gain
		ours = true
	}
	if known(m.PPM) {
		g[keyPPM] = m.PPM
		ours = true
	}
	for k := range g {
		if strings.HasPrefix(k, Namespace+":") {
			ours = true
		}
	}
	exts := make([]map[string]any, 0, len(m.Extensions)+1)
	for _, x := range m.Extensions {
		if x.Name == Namespace {
			continue
		}
		exts = append(exts, map[string]any{"name": x.Name, "version": x.Version, "optional": x.Optional})
	}
	if ours {
		// Optional: a reader that does not know cellsentry loses only gain
		// and ppm, never the samples.
		exts = append(exts, map[string]any{"name": Namespace, "version": ExtensionVersion, "optional": true})
	}
	if len(exts) > 0 {
		g[keyExtensions] = exts
	}

	caps := make([]map[string]any, 0, len(m.Captures))
	for i, c := range m.Captures {
		if i > 0 && c.SampleStart < m.Captures[i-1].SampleStart {
			return nil, fmt.Errorf("%w: capture %d: %s %d is before capture %d's %d", ErrBadMeta, i, keySampleStart, c.SampleStart, i-1, m.Captures[i-1].SampleStart)
		}
		o := make(map[string]any, len(c.Extra)+5)
		for k, v := range c.Extra {
			if !knownCapture[k] {
				o[k] = v
			}
		}
		o[keySampleStart] = c.SampleStart
		if c.Frequency != 0 {
			o[keyFrequency] = c.Frequency
		}
		if !c.Datetime.IsZero() {
			o[keyDatetime] = c.Datetime.UTC().Format(time.RFC3339Nano)
		}
		if c.HeaderBytes != 0 {
			o[keyHeaderBytes] = c.HeaderBytes
		}
		if c.GlobalIndex != c.SampleStart {
			o[keyGlobalIndex] = c.GlobalIndex
		}
		caps = append(caps, o)
	}
	ann := m.Annotations
	if ann == nil {
		ann = []map[string]any{}
	}
	doc := struct {
		Global      map[string]any   `json:"global"`
		Captures    []map[string]any `json:"captures"`
		Annotations []map[string]any `json:"annotations"`
	}{g, caps, ann}
	out, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		return nil, fmt.Errorf("encoding SigMF metadata: %w", err)
	}
	return append(out, '\n'), nil
}

// known reports whether an optional measurement (gain, ppm) is set.
func known(v float64) bool { return v != 0 && !math.IsNaN(v) && !math.IsInf(v, 0) }
