package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks the YAML node tree into the Config by reflection, instead
// of yaml.v3's Decode, for three reasons: every error must carry a line,
// a column and the field's path; decoding must go on after an error so
// that all of them are reported at once; and an unknown key must come
// with the nearest known one.
type decoder struct {
	file string
	errs []*Error
	// vals and keys hold the value and key node of every field path the
	// file gave (the last one when merged twice); checks use them for
	// positions and to tell given fields from defaults.
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node
	// failed holds the paths whose value could not be decoded: checks
	// involving them are skipped rather than reporting a consequence.
	failed map[string]bool
	// only restricts decoding to some top-level sections (nil: all).
	only  map[string]bool
	nodes int
	// what names the kind of file in messages ("a sensor config"), and
	// hints answers the unknown keys a technician is likely to try in it.
	what  string
	hints map[string]string
}

// maxNodes bounds the nodes visited, aliases included, so that a file of
// nested aliases ("billion laughs") fails instead of eating the Pi's RAM.
const maxNodes = 100000

func newDecoder(file string, only []string) *decoder {
	d := &decoder{file: file, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}, failed: map[string]bool{},
		what: "a sensor config", hints: sensorHints}
	if only != nil {
		d.only = map[string]bool{}
		for _, s := range only {
			d.only[s] = true
		}
	}
	return d
}

// errAt records a problem at node n.
func (d *decoder) errAt(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: d.file, Field: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// fail records that the value at path could not be decoded.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.failed[path] = true
	d.errAt(n, path, format, args...)
}

// nodeDecoder is implemented by types whose YAML form the generic walk
// cannot express (a band is a preset name or a mapping).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// defaulter is implemented by element types that have defaults of their
// own (a dongle's gain): new list elements start from them.
type defaulter interface {
	setDefaults()
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// deref follows aliases, counting nodes against maxNodes.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// decode stores the YAML value n into v, the field at path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = d.deref(n)
	if n == nil {
		return
	}
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.fail(n, path, "the file has more than %d values (aliases included): it cannot be %s", maxNodes, d.what)
		}
		return
	}
	d.vals[path] = n
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		switch v.Kind() {
		case reflect.Struct, reflect.Map, reflect.Slice:
			// A section whose fields are all commented out: defaults.
			if _, custom := v.Addr().Interface().(nodeDecoder); !custom && !reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
				return
			}
		case reflect.Pointer:
			return
		}
		d.fail(n, path, "%s has no value: write one, or delete the line to keep the default (%s)", path, showDefault(v))
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
			if df, ok := v.Interface().(defaulter); ok {
				df.setDefaults()
			}
		}
		d.decode(n, v.Elem(), path)
		return
	}
	if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
		nd.decodeNode(d, n, path)
		return
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		if err := u.UnmarshalYAML(n); err != nil {
			d.fail(n, path, "%s: %v", path, err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Slice:
		d.list(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "%s: want a text value, not %s", path, kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, ok := parseBool(n)
		if !ok {
			d.fail(n, path, "%s: want true or false, not %s", path, describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || err != nil || v.OverflowInt(i) {
			d.fail(n, path, "%s: want a whole number, not %s", path, describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || n.Decode(&f) != nil {
			d.fail(n, path, "%s: want a number, not %s", path, describe(n))
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("configs: no decoding for %s at %s", v.Type(), path))
	}
}

// showDefault prints a default value for a message.
func showDefault(v reflect.Value) string {
	if s, ok := v.Interface().(fmt.Stringer); ok {
		if str := s.String(); str != "" {
			return str
		}
		return `""`
	}
	if v.Kind() == reflect.String && v.String() == "" {
		return `""`
	}
	return fmt.Sprint(v.Interface())
}

// parseBool accepts YAML 1.2's true/false and the YAML 1.1 words yaml.v3
// also reads as booleans (yes/no, on/off).
func parseBool(n *yaml.Node) (value, ok bool) {
	if n.Kind != yaml.ScalarNode || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		return false, false
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "a value"
}

// describe names a value in a message: its text, or its kind.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	return kindName(n)
}

// field is one decodable field of a struct.
type field struct {
	name  string
	index int
}

// fieldsOf lists the fields of t by their yaml names, in declaration order.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, field{name, i})
	}
	return out
}

// child joins a field name to its parent's path.
func child(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// mapChild is the path of a map entry: scan.weights.b8, or
// calibration.offset_db["40.2"] when the key is not a plain name.
func mapChild(path, key string) string {
	if key == "" || strings.ContainsFunc(key, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	return child(path, key)
}

// structure decodes a mapping into the struct v.
func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		what := "the file"
		if path != "" {
			what = path
		}
		d.fail(n, path, "%s: want a mapping of fields (name: value), not %s", what, describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]*yaml.Node{}
	// Merge keys (<<: *anchor) first, so that the mapping's own keys win.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := d.deref(n.Content[i]); k != nil && k.ShortTag() == "!!merge" {
			d.merge(n.Content[i+1], v, path)
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := d.deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.ShortTag() == "!!merge" {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errAt(k, path, "%s: a key must be a plain name, not %s", orFile(path), kindName(k))
			continue
		}
		name := k.Value
		if first, dup := seen[name]; dup {
			d.errAt(k, child(path, name), "%s is given twice (first on line %d): delete one", child(path, name), first.Line)
			continue
		}
		seen[name] = k
		if path == "" && d.only != nil && !d.only[name] {
			continue // a section this reader does not use
		}
		idx := -1
		for _, f := range fields {
			if f.name == name {
				idx = f.index
			}
		}
		if idx < 0 {
			d.unknown(k, path, name, fields)
			continue
		}
		p := child(path, name)
		d.keys[p] = k
		d.decode(val, v.Field(idx), p)
	}
}

// merge decodes the mappings of a merge key into v.
func (d *decoder) merge(n *yaml.Node, v reflect.Value, path string) {
	n = d.deref(n)
	if n == nil {
		return
	}
	d.nodes++ // merges nest too: count them against the bound
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.fail(n, path, "the file has more than %d values (aliases included): it cannot be %s", maxNodes, d.what)
		}
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		d.structure(n, v, path)
	case yaml.SequenceNode:
		for _, m := range n.Content {
			d.merge(m, v, path)
		}
	default:
		d.errAt(n, path, "%s: a merge key (<<) takes a mapping or a list of them", orFile(path))
	}
}

func orFile(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

// sensorHints answer the unknown keys a technician is likely to try in a
// sensor config.
var sensorHints = map[string]string{
	"mqtt.password": "a password is never written in the config: put it in a file only the cellsentry user can read and name that file with password_file",
	"mqtt.port":     "the port is part of the broker URL (broker: tcp://host:1883)",
	"radio.device":  "name the dongle with its source URI (source: rtlsdr://0 or rtlsdr://serial=00000001)",
	"radio.freq":    "frequencies come from the scan plan (scan.bands)",
	"radio.rate":    "the sample rate is radio.sample_rate",
}

// unknown reports a key that is not a field, with the nearest field name.
func (d *decoder) unknown(k *yaml.Node, path, name string, fields []field) {
	p := child(path, name)
	where := "in " + path
	if path == "" {
		where = "at the top level"
	}
	if h, ok := d.hints[listIndex.ReplaceAllString(p, "[]")]; ok {
		d.errAt(k, p, "unknown field %q %s: %s", name, where, h)
		return
	}
	var names []string
	for _, f := range fields {
		names = append(names, f.name)
	}
	if s := suggest(name, names); s != "" {
		d.errAt(k, p, "unknown field %q %s (did you mean %q?)", name, where, s)
		return
	}
	d.errAt(k, p, "unknown field %q %s (known: %s)", name, where, strings.Join(names, ", "))
}

// listIndex matches the indices of a field path, so that a hint given for
// users[].password answers users[3].password.
var listIndex = regexp.MustCompile(`\[\d+\]`)

// suggest returns the candidate nearest to s by edit distance when it is
// near enough to be a typo (at most 2 edits, or a third of the name), or
// the one s is a prefix or case variant of.
func suggest(s string, candidates []string) string {
	best, bestD := "", math.MaxInt
	low := strings.ToLower(s)
	for _, c := range candidates {
		if strings.EqualFold(c, s) {
			return c
		}
		dist := editDistance(low, c)
		if dist < bestD {
			best, bestD = c, dist
		}
	}
	if bestD <= 2 || bestD <= len(s)/3 {
		return best
	}
	// A shortened or differently ended name: "evid" for "evidence",
	// "alerts" for "alerting".
	best, bestP := "", 0
	for _, c := range candidates {
		p := commonPrefix(low, c)
		if p > bestP && (p == len(low) && p >= 3 || p >= 4 && 3*p >= 2*len(low)) {
			best, bestP = c, p
		}
	}
	return best
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// editDistance is the Levenshtein distance (insertions, deletions and
// substitutions of bytes, each costing 1), with one row of memory.
func editDistance(a, b string) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diag := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			next := min(row[j]+1, row[j-1]+1, diag+cost)
			diag, row[j] = row[j], next
		}
	}
	return row[len(b)]
}

// list decodes a sequence into the slice v.
func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "%s: want a list (- item per line, or [a, b]), not %s", path, describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, item := range n.Content {
		if it := d.deref(item); it != nil && it.Kind == yaml.ScalarNode && it.ShortTag() == "!!null" {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.vals[p] = it
			d.fail(it, p, "%s is an empty list item: write a value or delete the line", p)
		}
		e := reflect.New(v.Type().Elem())
		if df, ok := e.Interface().(defaulter); ok {
			df.setDefaults()
		}
		if p := fmt.Sprintf("%s[%d]", path, i); !d.failed[p] {
			d.decode(item, e.Elem(), p)
		}
		// A failed item stays in place (checks skip it) so that the
		// items after it keep their index and position.
		out = reflect.Append(out, e.Elem())
	}
	v.Set(out)
}

// mapping decodes a mapping with text keys into the map v.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "%s: want a mapping (key: value), not %s", path, describe(n))
		return
	}
	out := reflect.MakeMap(v.Type())
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := d.deref(n.Content[i]), n.Content[i+1]
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.errAt(k, path, "%s: a key must be a plain name", path)
			continue
		}
		p := mapChild(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.errAt(k, p, "%s is given twice (first on line %d): delete one", p, first.Line)
			continue
		}
		seen[k.Value] = k
		d.keys[p] = k
		if it := d.deref(val); it != nil && it.Kind == yaml.ScalarNode && it.ShortTag() == "!!null" {
			d.vals[p] = it
			d.fail(it, p, "%s has no value: write one or delete the line", p)
			continue
		}
		e := reflect.New(v.Type().Elem())
		d.decode(val, e.Elem(), p)
		out.SetMapIndex(reflect.ValueOf(k.Value), e.Elem())
	}
	v.Set(out)
}

// yamlLine finds the line number in a yaml.v3 syntax error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// splitYAMLError splits a yaml.v3 error into its line (0 if none) and
// message.
func splitYAMLError(err error) (int, string) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, m[2]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// parseAll parses every YAML document in data.
func parseAll(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// syntaxError turns a yaml.v3 parse error into an Error. yaml.v3 gives a
// line only, and often the line where the enclosing mapping started rather
// than the offending one; so the file is parsed again line by line, and
// the first line whose prefix of the file fails with the same message is
// the one reported (yaml.v3's line when none does). The column is the
// line's first tab when the problem is a tab, else its first non-blank
// character.
func syntaxError(file string, data []byte, err error) *Error {
	line, msg := splitYAMLError(err)
	lines := strings.Split(string(data), "\n")
	// The offending line is at or after yaml.v3's (the start of its
	// context), and close to it.
	for n := max(line, 1); n <= len(lines) && n <= line+50; n++ {
		perr := parseAll([]byte(strings.Join(lines[:n], "\n")))
		if perr == nil {
			continue
		}
		if _, m := splitYAMLError(perr); m == msg {
			line = n
			break
		}
	}
	if line == 0 {
		// No line anywhere: the parser met the end of the input still
		// expecting something; the last line with text is where.
		for n := len(lines); n >= 1; n-- {
			if strings.TrimSpace(lines[n-1]) != "" {
				line = n
				break
			}
		}
		line = max(line, 1)
	}
	e := &Error{File: file, Line: line}
	if line >= 1 && line <= len(lines) {
		l := lines[line-1]
		t := strings.IndexByte(l, '\t')
		if t >= 0 && (strings.Contains(msg, "tab") || strings.Contains(msg, "cannot start any token")) {
			e.Column = t + 1
			e.Msg = "a tab character: YAML indents with spaces only (replace the tab with spaces)"
			return e
		}
		e.Column = len(l) - len(strings.TrimLeft(l, " \t")) + 1
	}
	e.Msg = "YAML syntax: " + msg + " (check the indentation around this line: a key lines up with the keys beside it, under its parent and indented)"
	return e
}
