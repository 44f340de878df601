package hardware

import "time"

// debouncer turns a sampled switch into clean changes: a new level counts
// once every sample for hold has shown it. Bounce (the contacts chatter
// for a few ms) and knocks shorter than hold are ignored; a sample of the
// old level starts the wait again.
type debouncer struct {
	hold    time.Duration
	stable  bool      // the debounced level; false (shut) at start
	pending bool      // samples differ from stable since since
	since   time.Time // first sample of the new level
}

// sample feeds one reading taken at now. It reports the change, with the
// time of its first sample, once the new level has lasted hold.
func (d *debouncer) sample(v bool, now time.Time) (at time.Time, changed bool) {
	if v == d.stable {
		d.pending = false
		return time.Time{}, false
	}
	if !d.pending {
		d.pending, d.since = true, now
	}
	if now.Sub(d.since) < d.hold {
		return time.Time{}, false
	}
	d.stable, d.pending = v, false
	return d.since, true
}
