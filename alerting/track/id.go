package track

import (
	"fmt"
	"hash/fnv"
	"math"
)

// maxIDLen is the schema's limit on an alert id.
const maxIDLen = 128

// newID names a raised activity:
//
//	<site>.<sensor>-<class>-<first burst, UTC, ms>-<channel kHz>
//
// e.g. "hmp-lyon.a1-gsm-20260301T221001.502Z-902400": stable across
// restarts (it depends on what was heard, not on a counter), the same for
// the same input (replay goldens), unique because one sensor hears one
// activity start on a channel at a given millisecond. Should two open
// alerts still collide (two phones on one channel starting within the
// same millisecond), the later gets "-2", "-3", …. When long site and
// sensor names would pass the schema's 128 bytes, they are replaced by the
// FNV-64a hash of "site/sensor".
func (t *Tracker) newID(g *group) string {
	prefix := t.origin.Site + "." + t.origin.Sensor
	tm := timeOf(g.first)
	rest := fmt.Sprintf("-%s-%s.%03dZ-%d", g.class, tm.Format("20060102T150405"), tm.Nanosecond()/1e6, int64(math.Round(g.firstF/1e3)))
	if len(prefix)+len(rest)+4 > maxIDLen {
		h := fnv.New64a()
		h.Write([]byte(t.origin.Site + "/" + t.origin.Sensor))
		prefix = fmt.Sprintf("%016x", h.Sum64())
	}
	id := prefix + rest
	for n := 2; t.idTaken(id); n++ {
		id = fmt.Sprintf("%s%s-%d", prefix, rest, n)
	}
	return id
}

// idTaken reports whether an open alert has the id.
func (t *Tracker) idTaken(id string) bool {
	for i := range t.groups {
		if g := &t.groups[i]; g.used && g.raised && g.id == id {
			return true
		}
	}
	return false
}
