package alerting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// The fast validator: schema v1 written out in Go (the rules below mirror
// schema/*.json keyword by keyword) and checked on the message's bytes
// without building a document tree. The JSON Schema library, which decodes
// every message into maps of json.Number before walking the schema, cost
// 117–483 allocations per message (BenchmarkValidate, reference); this
// allocates nothing for a valid message and is 6–15 times faster. It accepts
// and refuses exactly what the library does with the schema files
// (TestValidateAgrees, FuzzValidateAgrees), down to the library's
// semantics: the last of duplicate keys counts, as in a decoded map;
// minimum and maximum compare exactly (as big.Rat), "integer" is any
// number without a fractional part (1.0, 1e2); string lengths count code
// points of the decoded string; "date-time" is the library's RFC 3339
// check.

// jsonType is a set of JSON types, as in a schema's "type".
type jsonType uint8

const (
	tNull jsonType = 1 << iota
	tBool
	tInteger // a number with no fractional part
	tNumber  // any number (includes integers)
	tString
	tArray
	tObject
)

// strCheck is a constraint on a string's decoded value.
type strCheck uint8

const (
	checkNone strCheck = iota
	checkName          // pattern ^[A-Za-z0-9._-]{1,64}$
	checkTime          // format date-time
	checkEnum          // enum (or const, with one value)
)

// rule is the schema of one value. types 0 means any type (a schema with
// only "enum" or "const"). Bounds apply to numbers only, lengths to
// strings only, maxItems to arrays only, as in JSON Schema.
type rule struct {
	types          jsonType
	check          strCheck
	enum           []string
	isConst        bool    // enum holds the "const" value (for the message)
	minLen, maxLen int     // code points; -1: none
	hasMin, hasMax bool    // minimum, maximum
	min, max       float64 // integers below 2^53 in schema v1: exact as float64
	items          *rule   // array items
	maxItems       int     // -1: none
	obj            *object // object members
}

// object is an object schema: its properties, which are required, and
// what other keys may carry (nil: none allowed, additionalProperties false).
type object struct {
	props      []prop
	additional *rule
}

type prop struct {
	name     string
	rule     *rule
	required bool
}

// maxProps bounds the properties of an object rule, so that the members
// found are tracked in an array on the stack.
const maxProps = 32

func anyOf(t jsonType) *rule { return &rule{types: t, minLen: -1, maxLen: -1, maxItems: -1} }

func oneOf(values ...string) *rule {
	r := anyOf(0)
	r.check, r.enum = checkEnum, values
	return r
}

func constant(v string) *rule {
	r := oneOf(v)
	r.isConst = true
	return r
}

func (r *rule) between(lo, hi float64) *rule {
	r.hasMin, r.min, r.hasMax, r.max = true, lo, true, hi
	return r
}

func (r *rule) atLeast(lo float64) *rule {
	r.hasMin, r.min = true, lo
	return r
}

func (r *rule) with(c strCheck) *rule {
	r.check = c
	return r
}

// req and opt declare a required and an optional property.
func req(name string, r *rule) prop { return prop{name: name, rule: r, required: true} }
func opt(name string, r *rule) prop { return prop{name: name, rule: r} }

func objectOf(types jsonType, props ...prop) *rule {
	if len(props) > maxProps {
		panic("alerting: object rule with more than maxProps properties")
	}
	r := anyOf(types)
	r.obj = &object{props: props}
	return r
}

func arrayOf(types jsonType, items *rule, maxItems int) *rule {
	r := anyOf(types)
	r.items, r.maxItems = items, maxItems
	return r
}

// fastRules are schema v1: common.json's definitions, then one rule per
// message kind.
var fastRules = func() map[string]*rule {
	// common.json
	name := anyOf(tString).with(checkName)
	timeOf := anyOf(tString).with(checkTime)
	level := anyOf(tNumber|tNull).between(-250, 100)
	frequency := anyOf(tNumber).between(0, 7e9)
	class := oneOf("gsm", "lte", "umts", "unknown", "interference", "overload")
	position := objectOf(tObject, req("x_m", anyOf(tNumber)), req("y_m", anyOf(tNumber)), req("floor", anyOf(tInteger)))
	mode := oneOf("actual", "test", "exercise")
	str := anyOf(tString)
	origin := func(schema string) []prop {
		return []prop{req("schema", constant(schema)), req("site", name), req("sensor", name),
			opt("building", str), opt("wing", str), opt("position", position)}
	}
	count := func() *rule { return anyOf(tInteger).atLeast(0) }
	nonNeg := func() *rule { return anyOf(tNumber).atLeast(0) }

	status := objectOf(tObject, append(origin(SchemaStatus),
		req("state", oneOf("online", "offline")), req("time", timeOf),
		opt("version", str), opt("reason", str))...)

	id := anyOf(tString)
	id.minLen, id.maxLen = 1, 128
	alert := objectOf(tObject, append(origin(SchemaAlert),
		req("id", id), req("rev", count()),
		req("state", oneOf("raised", "updated", "cleared")), req("mode", mode),
		req("time", timeOf), req("class", class), opt("kind", str),
		req("freq_hz", frequency), opt("freqs_hz", arrayOf(tArray, frequency, 128)),
		req("bandwidth_hz", nonNeg()), req("first_seen", timeOf), req("last_seen", timeOf),
		req("bursts", count()), req("power_dbm", level), req("recent_dbm", level),
		req("power_dbfs", level), req("snr_db", level), opt("clipped", anyOf(tBool)),
		req("confidence", anyOf(tNumber).between(0, 1)), opt("evidence", str))...)

	source := objectOf(tObject, req("name", str),
		req("state", oneOf("streaming", "settling", "reopening", "lost", "stopped")),
		req("samples", count()), req("dropped", count()), opt("error", str))
	band := objectOf(tObject, req("band", str), req("center_hz", frequency), req("floor_dbfs", level))
	queue := objectOf(tObject, req("depth", count()), req("bytes", count()), req("dropped", count()))
	bursts := objectOf(tObject | tNull)
	bursts.obj.additional = count()
	health := objectOf(tObject, append(origin(SchemaHealth),
		req("time", timeOf), req("version", str), req("uptime_s", nonNeg()),
		req("config_hash", str), req("mode", mode), req("state", oneOf("ok", "degraded", "blind")),
		req("sources", arrayOf(tArray|tNull, source, -1)), req("bands", arrayOf(tArray|tNull, band, -1)),
		req("queue", queue), opt("bursts", bursts), opt("temperature_c", anyOf(tNumber)),
		opt("throttled", arrayOf(tArray, str, 16)), opt("disk_free_bytes", count()),
		opt("degraded", arrayOf(tArray, str, 32)), opt("tampered", anyOf(tBool)),
		opt("events", arrayOf(tArray, str, 32)))...)

	burst := objectOf(tObject, append(origin(SchemaBurst),
		req("time", timeOf), req("duration_s", nonNeg()), req("freq_hz", frequency),
		req("bandwidth_hz", nonNeg()), req("power_dbfs", level), req("power_dbm", level),
		req("snr_db", level), req("class", class), opt("kind", str), opt("clipped", anyOf(tBool)))...)

	return map[string]*rule{KindStatus: status, KindHealth: health, KindAlert: alert, KindBurst: burst}
}()

// validateFast checks msg against the rule of kind; the error is as
// Validate's.
func validateFast(kind string, msg []byte) error {
	r, ok := fastRules[kind]
	if !ok {
		return fmt.Errorf("alerting: no schema for message kind %q", kind)
	}
	if !json.Valid(msg) {
		// The decoder's message says where.
		var v any
		err := json.Unmarshal(msg, &v)
		if err == nil {
			err = fmt.Errorf("invalid character after top-level value")
		}
		return fmt.Errorf("%w %s: not JSON: %v", ErrInvalid, kind, err)
	}
	v := msg[skipSpace(msg, 0):]
	v = v[:valueEnd(v, 0)]
	var at path
	if err := checkValue(v, r, &at); err != nil {
		return fmt.Errorf("%w %s: %w", ErrInvalid, kind, err)
	}
	return nil
}

// path is where a value is in the message: the keys and indexes from the
// top. It lives in validateFast's frame (a chain of pointers between the
// recursive calls' frames would move every link to the heap) and becomes
// text only for an error.
type path struct {
	seg [maxDepth]loc
	n   int
}

// maxDepth bounds the depth of the rules (schema v1 goes three deep:
// /sources/0/state).
const maxDepth = 8

// loc is one step: a property's name, a raw key (between the quotes) or
// an index.
type loc struct {
	name  string
	key   []byte
	index int
}

func (p *path) push(l loc) {
	if p.n < maxDepth {
		p.seg[p.n] = l
	}
	p.n++
}

func (p *path) pop() { p.n-- }

func (p *path) String() string {
	if p.n == 0 {
		return "/"
	}
	var b strings.Builder
	for _, l := range p.seg[:min(p.n, maxDepth)] {
		b.WriteByte('/')
		switch {
		case l.name != "":
			b.WriteString(l.name)
		case l.key != nil:
			b.WriteString(keyText(l.key))
		default:
			b.WriteString(strconv.Itoa(l.index))
		}
	}
	return b.String()
}

// pathError is a failed check at a location.
type pathError struct {
	at  string
	msg string
}

func (e *pathError) Error() string { return "at " + e.at + ": " + e.msg }

func failAt(at *path, format string, args ...any) error {
	return &pathError{at: at.String(), msg: fmt.Sprintf(format, args...)}
}

// typeOf is the JSON type of the value v (its first byte decides), as a
// schema names it; numbers are "number" here and refined where needed.
func typeOf(v []byte) jsonType {
	switch v[0] {
	case '"':
		return tString
	case '{':
		return tObject
	case '[':
		return tArray
	case 't', 'f':
		return tBool
	case 'n':
		return tNull
	}
	return tNumber
}

func typeName(t jsonType) string {
	switch t {
	case tNull:
		return "null"
	case tBool:
		return "boolean"
	case tInteger:
		return "integer"
	case tNumber:
		return "number"
	case tString:
		return "string"
	case tArray:
		return "array"
	case tObject:
		return "object"
	}
	return "?"
}

func typesText(ts jsonType) string {
	var names []string
	for t := tNull; t <= tObject; t <<= 1 {
		if ts&t != 0 {
			names = append(names, typeName(t))
		}
	}
	return strings.Join(names, " or ")
}

// checkValue checks the value v (exactly one JSON value, valid) against r.
func checkValue(v []byte, r *rule, at *path) error {
	t := typeOf(v)
	if r.types != 0 {
		ok := r.types&t != 0
		if t == tNumber && !ok && r.types&tInteger != 0 {
			ok = isInteger(v)
		}
		if !ok {
			got := t
			if t == tNumber && isInteger(v) {
				got = tInteger
			}
			return failAt(at, "got %s, want %s", typeName(got), typesText(r.types))
		}
	}
	switch t {
	case tString:
		return checkString(v, r, at)
	case tNumber:
		return checkNumber(v, r, at)
	case tObject:
		if r.obj != nil {
			if err := checkObject(v, r.obj, at); err != nil {
				return err
			}
		}
	case tArray:
		if err := checkArray(v, r, at); err != nil {
			return err
		}
	}
	if r.check == checkEnum {
		return enumError(r, at)
	}
	return nil
}

func enumError(r *rule, at *path) error {
	if r.isConst {
		return failAt(at, "value must be %s", quote(r.enum[0]))
	}
	q := make([]string, len(r.enum))
	for i, e := range r.enum {
		q[i] = quote(e)
	}
	return failAt(at, "value must be one of %s", strings.Join(q, ", "))
}

// quote writes s in single quotes, as the library's messages do.
func quote(s string) string {
	q := strconv.Quote(s)
	return "'" + strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`) + "'"
}

// stringValue is the decoded value of the JSON string v (with its quotes).
// Without escapes and with valid UTF-8 that is the bytes between the
// quotes (no copy); otherwise encoding/json decodes it (escapes, invalid
// bytes as U+FFFD), as the library's decoder does.
func stringValue(v []byte) []byte {
	in := v[1 : len(v)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return in
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return in // not reached: v is a valid JSON string
	}
	return []byte(s)
}

// keyText is a raw key as text for a message.
func keyText(raw []byte) string {
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	return string(stringValue(q))
}

func checkString(v []byte, r *rule, at *path) error {
	if r.check == checkNone && r.minLen < 0 && r.maxLen < 0 {
		return nil
	}
	s := stringValue(v)
	if r.minLen >= 0 || r.maxLen >= 0 {
		n := utf8.RuneCount(s)
		if r.minLen >= 0 && n < r.minLen {
			return failAt(at, "minLength: got %d, want %d", n, r.minLen)
		}
		if r.maxLen >= 0 && n > r.maxLen {
			return failAt(at, "maxLength: got %d, want %d", n, r.maxLen)
		}
	}
	switch r.check {
	case checkName:
		if !isName(s) {
			return failAt(at, "%s does not match pattern '^[A-Za-z0-9._-]{1,64}$'", quote(string(s)))
		}
	case checkTime:
		if why := dateTimeError(s); why != "" {
			return failAt(at, "%s is not valid date-time: %s", quote(string(s)), why)
		}
	case checkEnum:
		for _, e := range r.enum {
			if string(s) == e {
				return nil
			}
		}
		return enumError(r, at)
	}
	return nil
}

// isName reports whether s matches ^[A-Za-z0-9._-]{1,64}$ (all ASCII, so
// bytes are characters).
func isName(s []byte) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// dateTimeError says why s is not an RFC 3339 date-time, or "": a full
// date (checked by time.Parse, so 2026-02-30 is refused), 'T' or 't', a
// time hh:mm:ss with an optional fraction, and 'Z', 'z' or ±hh:mm. A
// second of 60 is accepted only where it is 23:59 UTC (a leap second).
// The checks are those of the JSON Schema library the console used, field
// by field, including its leniency: each two-character field is read as
// strconv.Atoi reads it (so "+1" is 1).
func dateTimeError(s []byte) string {
	if len(s) < 20 {
		return "less than 20 characters long"
	}
	if s[10] != 'T' && s[10] != 't' {
		return "11th character must be t or T"
	}
	if _, err := time.Parse("2006-01-02", view(s[:10])); err != nil {
		return "invalid date element: " + err.Error()
	}
	tm := s[11:]
	if len(tm) < 9 {
		return "invalid time element: less than 9 characters long"
	}
	if tm[2] != ':' || tm[5] != ':' {
		return "invalid time element: missing colon in correct place"
	}
	h, ok1 := field2(tm[0:2])
	m, ok2 := field2(tm[3:5])
	sec, ok3 := field2(tm[6:8])
	switch {
	case !ok1 || !ok2 || !ok3:
		return "invalid time element: invalid hour/min/sec"
	case h < 0 || m < 0 || sec < 0:
		return "invalid time element: non-positive hour/min/sec"
	case h > 23 || m > 59 || sec > 60:
		return "invalid time element: hour/min/sec out of range"
	}
	rest := tm[8:]
	if len(rest) > 0 && rest[0] == '.' {
		n := 0
		for n+1 < len(rest) && rest[n+1] >= '0' && rest[n+1] <= '9' {
			n++
		}
		if n == 0 {
			return "invalid time element: no digits in second fraction"
		}
		rest = rest[1+n:]
	}
	if len(rest) != 1 || (rest[0] != 'Z' && rest[0] != 'z') {
		if len(rest) != 6 {
			return "invalid time element: offset must be 6 characters long"
		}
		var sign int
		switch rest[0] {
		case '+':
			sign = -1
		case '-':
			sign = 1
		default:
			return "invalid time element: offset must begin with plus/minus"
		}
		if rest[3] != ':' {
			return "invalid time element: missing colon in offset in correct place"
		}
		zh, ok1 := field2(rest[1:3])
		zm, ok2 := field2(rest[4:6])
		switch {
		case !ok1 || !ok2:
			return "invalid time element: invalid hour/min in offset"
		case zh < 0 || zm < 0:
			return "invalid time element: non-positive hour/min in offset"
		case zh > 23 || zm > 59:
			return "invalid time element: hour/min in offset out of range"
		}
		hm := h*60 + m + sign*(zh*60+zm)
		if hm < 0 {
			hm += 24 * 60
		}
		h, m = hm/60, hm%60
	}
	if sec >= 60 && (h != 23 || m != 59) {
		return "invalid time element: invalid leap second"
	}
	return ""
}

// field2 reads a two-byte field as strconv.Atoi does: an optional sign
// and digits.
func field2(b []byte) (int, bool) {
	n, err := strconv.Atoi(view(b))
	return n, err == nil
}

func checkNumber(v []byte, r *rule, at *path) error {
	if r.hasMin && compareNumber(v, r.min) < 0 {
		return failAt(at, "minimum: got %s, want %s", numberText(v), strconv.FormatFloat(r.min, 'f', -1, 64))
	}
	if r.hasMax && compareNumber(v, r.max) > 0 {
		return failAt(at, "maximum: got %s, want %s", numberText(v), strconv.FormatFloat(r.max, 'f', -1, 64))
	}
	if r.check == checkEnum {
		return enumError(r, at)
	}
	return nil
}

// numberText is the number as the library's messages print it (an exact
// rational in lowest terms).
func numberText(v []byte) string {
	x, ok := new(big.Rat).SetString(string(v))
	if !ok {
		return string(v)
	}
	return x.RatString()
}

// compareNumber compares the JSON number v with bound exactly: -1, 0, +1.
// The float64 nearest v decides unless it equals bound (rounding is
// monotonic and bound is a float64, so v < bound ⇔ nearest(v) < bound
// whenever they differ); then big.Rat decides, on the text.
func compareNumber(v []byte, bound float64) int {
	f, _ := strconv.ParseFloat(view(v), 64) // ±Inf beyond range: still ordered
	switch {
	case f < bound:
		return -1
	case f > bound:
		return 1
	}
	if len(v) <= 16 && plainInteger(v) {
		return 0 // at most 15 digits: exactly f
	}
	x, ok := new(big.Rat).SetString(string(v))
	if !ok {
		return 0
	}
	b := new(big.Rat)
	b.SetFloat64(bound)
	return x.Cmp(b)
}

// plainInteger reports whether v is written as digits with an optional
// minus sign (no fraction, no exponent).
func plainInteger(v []byte) bool {
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(v) > 0
}

// isInteger reports whether the JSON number v has no fractional part
// (1.0, 1e2, -0 are integers; 1.5, 1e-1 are not), from its digits: the
// digits after the decimal point, shifted by the exponent, must be zeros.
func isInteger(v []byte) bool {
	i := 0
	if i < len(v) && v[i] == '-' {
		i++
	}
	var digits [64]byte // mantissa digits; beyond 64, only whether nonzero matters
	nd, point := 0, 0   // digits kept, decimal point position in them
	nonzeroBeyond := -1 // index (in all digits) of the last nonzero digit
	all := 0
	seenPoint := false
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			if nd < len(digits) {
				digits[nd] = c
				nd++
			}
			if c != '0' {
				nonzeroBeyond = all
			}
			all++
			if !seenPoint {
				point++
			}
			continue
		case c == '.':
			seenPoint = true
			continue
		}
		break
	}
	exp := 0
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		neg := false
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			neg = v[i] == '-'
			i++
		}
		for ; i < len(v); i++ {
			if exp < 1e9 {
				exp = exp*10 + int(v[i]-'0')
			}
		}
		if neg {
			exp = -exp
		}
	}
	if nonzeroBeyond < 0 {
		return true // zero
	}
	// The value is an integer when its last nonzero digit lies before the
	// decimal point once the point has moved by exp.
	return nonzeroBeyond < point+exp
}

func checkArray(v []byte, r *rule, at *path) error {
	n := 0
	i := skipSpace(v, 1)
	for v[i] != ']' {
		end := valueEnd(v, i)
		if r.items != nil {
			at.push(loc{index: n})
			err := checkValue(v[i:end], r.items, at)
			at.pop()
			if err != nil {
				return err
			}
		}
		n++
		i = skipSpace(v, end)
		if v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	if r.maxItems >= 0 && n > r.maxItems {
		return failAt(at, "maxItems: got %d, want %d", n, r.maxItems)
	}
	return nil
}

// member is one key and value of an object, as offsets into it.
type member struct {
	key        []byte // between the quotes
	start, end int    // the value
}

// members calls f for each member of the object v in order; f returns
// false to stop.
func members(v []byte, f func(m member) bool) {
	i := skipSpace(v, 1)
	for v[i] != '}' {
		kend := valueEnd(v, i)
		key := v[i+1 : kend-1]
		i = skipSpace(v, kend)
		i = skipSpace(v, i+1) // ':'
		end := valueEnd(v, i)
		if !f(member{key: key, start: i, end: end}) {
			return
		}
		i = skipSpace(v, end)
		if v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
}

// sameKey compares two raw keys by their decoded text.
func sameKey(a, b []byte) bool {
	plain := func(k []byte) bool { return bytes.IndexByte(k, '\\') < 0 && utf8.Valid(k) }
	if plain(a) && plain(b) {
		return bytes.Equal(a, b)
	}
	return keyText(a) == keyText(b)
}

// propIndex is the index of the property named by the raw key, or -1.
func (o *object) propIndex(key []byte) int {
	if bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key) {
		k := keyText(key)
		for i := range o.props {
			if o.props[i].name == k {
				return i
			}
		}
		return -1
	}
	for i := range o.props {
		if o.props[i].name == string(key) {
			return i
		}
	}
	return -1
}

func checkObject(v []byte, o *object, at *path) error {
	if o.additional != nil {
		return checkMap(v, o.additional, at)
	}
	// The last of duplicate keys counts, as in the decoded map the schema
	// is about. Values are checked first (a message of another kind then
	// fails on /schema), then unknown keys, then missing ones.
	var found [maxProps]struct{ start, end int }
	var seen uint64
	unknown := false
	members(v, func(m member) bool {
		p := o.propIndex(m.key)
		if p < 0 {
			unknown = true
			return true
		}
		found[p].start, found[p].end = m.start, m.end
		seen |= 1 << p
		return true
	})
	for i := range o.props {
		if seen&(1<<i) == 0 {
			continue
		}
		p := &o.props[i]
		at.push(loc{name: p.name})
		err := checkValue(v[found[i].start:found[i].end], p.rule, at)
		at.pop()
		if err != nil {
			return err
		}
	}
	if unknown {
		var names []string
		members(v, func(m member) bool {
			if o.propIndex(m.key) < 0 {
				k := keyText(m.key)
				for _, n := range names {
					if n == k {
						return true
					}
				}
				names = append(names, k)
			}
			return true
		})
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = quote(n)
		}
		return failAt(at, "additional properties %s not allowed", strings.Join(q, ", "))
	}
	var missing []string
	for i := range o.props {
		if o.props[i].required && seen&(1<<i) == 0 {
			missing = append(missing, quote(o.props[i].name))
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return failAt(at, "missing property %s", missing[0])
	}
	return failAt(at, "missing properties %s", strings.Join(missing, ", "))
}

// checkMap checks every value of an object whose keys are free (an
// "additionalProperties" schema), the last of duplicate keys counting.
func checkMap(v []byte, r *rule, at *path) error {
	var err error
	i := skipSpace(v, 1)
	for v[i] != '}' && err == nil {
		kend := valueEnd(v, i)
		key := v[i+1 : kend-1]
		i = skipSpace(v, kend)
		i = skipSpace(v, i+1)
		end := valueEnd(v, i)
		if !keyLater(v, end, key) {
			at.push(loc{key: key})
			err = checkValue(v[i:end], r, at)
			at.pop()
		}
		i = skipSpace(v, end)
		if v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	return err
}

// keyLater reports whether key appears again among the members of the
// object v after offset from (which follows a value).
func keyLater(v []byte, from int, key []byte) bool {
	i := skipSpace(v, from)
	for v[i] == ',' {
		i = skipSpace(v, i+1)
		kend := valueEnd(v, i)
		if sameKey(v[i+1:kend-1], key) {
			return true
		}
		i = skipSpace(v, kend)
		i = skipSpace(v, i+1)
		i = skipSpace(v, valueEnd(v, i))
	}
	return false
}

// view is b as a string without a copy, for parsers (strconv, time)
// whose argument would otherwise escape through their error values: the
// message is not modified while Validate runs, and an error's text is
// made before Validate returns.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func skipSpace(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') {
		i++
	}
	return i
}

// valueEnd is the offset just past the JSON value starting at i in v,
// which is valid JSON.
func valueEnd(v []byte, i int) int {
	switch v[i] {
	case '"':
		for j := i + 1; j < len(v); j++ {
			switch v[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(v)
	case '{', '[':
		depth := 0
		for j := i; j < len(v); j++ {
			switch v[j] {
			case '"':
				j = valueEnd(v, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(v)
	case 't', 'n':
		return i + 4
	case 'f':
		return i + 5
	}
	j := i
	for j < len(v) && (v[j] >= '0' && v[j] <= '9' || v[j] == '-' || v[j] == '+' || v[j] == '.' || v[j] == 'e' || v[j] == 'E') {
		j++
	}
	return j
}
