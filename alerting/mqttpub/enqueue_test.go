package mqttpub

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/queue"
)

// fakeQueue is an in-memory Queue for the tests that do not connect.
type fakeQueue struct {
	mu        sync.Mutex
	recs      []queue.Record
	droppable []bool
	notify    chan struct{}
	fail      error
}

func newFakeQueue() *fakeQueue { return &fakeQueue{notify: make(chan struct{}, 1)} }

func (f *fakeQueue) Append(data []byte, droppable bool) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, f.fail
	}
	seq := uint64(len(f.recs) + 1)
	f.recs = append(f.recs, queue.Record{Seq: seq, Data: append([]byte(nil), data...)})
	f.droppable = append(f.droppable, droppable)
	return seq, nil
}

func (f *fakeQueue) Pending(dst []queue.Record, after uint64, max int) ([]queue.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.recs {
		if r.Seq > after && max > 0 {
			dst = append(dst, r)
			max--
		}
	}
	return dst, nil
}

func (f *fakeQueue) Ack(uint64) error        { return nil }
func (f *fakeQueue) Notify() <-chan struct{} { return f.notify }

func testAlert(id string, rev int, state string) *alerting.Alert {
	t0 := time.Date(2026, 3, 1, 2, 3, 4, 0, time.UTC)
	return &alerting.Alert{
		ID: id, Rev: rev, State: state, Mode: alerting.ModeTest, Time: t0,
		Class: "gsm", FreqHz: 897.4e6, BandwidthHz: 200e3,
		FirstSeen: t0.Add(-time.Minute), LastSeen: t0, Bursts: 40,
		PowerDBm: -41.5, RecentDBm: -43, PowerDBFS: -12.25, SNR: 21, Confidence: 0.9,
	}
}

func newTestPublisher(t testing.TB, q Queue) *Publisher {
	t.Helper()
	p, err := New(baseConfig(), q, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnqueue(t *testing.T) {
	q := newFakeQueue()
	p := newTestPublisher(t, q)
	cases := []struct {
		name      string
		alert     *alerting.Alert
		edit      func(a *alerting.Alert)
		droppable bool
	}{
		{"raised is kept", testAlert("a1", 0, alerting.StateRaised), nil, false},
		{"updated may be dropped by the cap", testAlert("a1", 1, alerting.StateUpdated), nil, true},
		{"cleared is kept", testAlert("a1", 2, alerting.StateCleared), nil, false},
		{"own origin given", testAlert("a2", 0, alerting.StateRaised), func(a *alerting.Alert) {
			a.Origin = alerting.Origin{Site: "site1", Sensor: "sensor-a", Wing: "B"}
		}, false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.edit != nil {
				tc.edit(tc.alert)
			}
			before := *tc.alert
			if err := p.Enqueue(tc.alert); err != nil {
				t.Fatal(err)
			}
			if tc.alert.Schema != before.Schema || tc.alert.Origin != before.Origin {
				t.Error("Enqueue changed the caller's alert")
			}
			data, droppable := q.recs[i].Data, q.droppable[i]
			if droppable != tc.droppable {
				t.Errorf("droppable %t, want %t", droppable, tc.droppable)
			}
			if err := alerting.Validate(alerting.KindAlert, data); err != nil {
				t.Errorf("queued alert does not validate: %v\n%s", err, data)
			}
			var got alerting.Alert
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if got.ID != tc.alert.ID || got.Rev != tc.alert.Rev || got.Schema != alerting.SchemaAlert ||
				got.Site != "site1" || got.Sensor != "sensor-a" || got.Wing != tc.alert.Wing {
				t.Errorf("queued %+v", got)
			}
		})
	}
	if s := p.Stats(); s.Enqueued != uint64(len(cases)) {
		t.Errorf("Stats.Enqueued = %d, want %d", s.Enqueued, len(cases))
	}
}

func TestEnqueueRefuses(t *testing.T) {
	q := newFakeQueue()
	p := newTestPublisher(t, q)
	cases := []struct {
		name string
		edit func(a *alerting.Alert)
		want string
	}{
		{"no id", func(a *alerting.Alert) { a.ID = "" }, "mqttpub: alert without id: consumers could not deduplicate it"},
		{"bad state", func(a *alerting.Alert) { a.State = "open" }, `mqttpub: alert x: state "open", want raised, updated or cleared`},
		{"other schema", func(a *alerting.Alert) { a.Schema = alerting.SchemaBurst }, `mqttpub: alert x: schema "cellsentry/v1/burst", want "cellsentry/v1/alert"`},
		{"other sensor", func(a *alerting.Alert) { a.Origin = alerting.Origin{Site: "site1", Sensor: "sensor-b"} },
			"mqttpub: alert x: origin site1/sensor-b is not this publisher's site1/sensor-a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := testAlert("x", 0, alerting.StateRaised)
			tc.edit(a)
			if err := p.Enqueue(a); err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("queue fails", func(t *testing.T) {
		disk := errors.New("disk full")
		q.fail = disk
		err := p.Enqueue(testAlert("x", 3, alerting.StateRaised))
		if !errors.Is(err, disk) || err.Error() != "mqttpub: store alert x rev 3: disk full" {
			t.Errorf("error %v, want the queue's, wrapped", err)
		}
	})
	if len(q.recs) != 0 || p.Stats().Enqueued != 0 {
		t.Errorf("%d records queued, %d counted, want none", len(q.recs), p.Stats().Enqueued)
	}
}

func TestSideChannelsOffline(t *testing.T) {
	p := newTestPublisher(t, newFakeQueue())
	h := &alerting.Health{Time: time.Now(), Version: "v", State: "ok"}
	b := &alerting.Burst{Time: time.Now(), Class: "gsm"}
	if err := p.PublishHealth(h); !errors.Is(err, ErrOffline) {
		t.Errorf("PublishHealth offline: %v, want ErrOffline", err)
	}
	if err := p.PublishBurst(b); !errors.Is(err, ErrOffline) {
		t.Errorf("PublishBurst offline: %v, want ErrOffline", err)
	}
	s := p.Stats()
	if s.HealthDropped != 1 || s.BurstsDropped != 1 {
		t.Errorf("dropped health %d bursts %d, want 1 and 1", s.HealthDropped, s.BurstsDropped)
	}
}

// With the connection up but the loop not taking messages, the health slot
// keeps only the newest and the burst buffer refuses beyond its size.
func TestSideChannelsFull(t *testing.T) {
	c := baseConfig()
	c.BurstBuffer = 2
	p, err := New(c, newFakeQueue(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.connected.Store(true)
	for _, v := range []string{"first", "second", "third"} {
		if err := p.PublishHealth(&alerting.Health{Version: v}); err != nil {
			t.Fatal(err)
		}
	}
	var got alerting.Health
	if err := json.Unmarshal(<-p.health, &got); err != nil || got.Version != "third" {
		t.Errorf("health slot holds %q (%v), want the newest", got.Version, err)
	}
	var errs []error
	for range 4 {
		errs = append(errs, p.PublishBurst(&alerting.Burst{Class: "lte"}))
	}
	want := []error{nil, nil, ErrBufferFull, ErrBufferFull}
	for i := range want {
		if !errors.Is(errs[i], want[i]) || (want[i] == nil && errs[i] != nil) {
			t.Errorf("burst %d: %v, want %v", i, errs[i], want[i])
		}
	}
	if s := p.Stats(); s.HealthDropped != 2 || s.BurstsDropped != 2 {
		t.Errorf("dropped health %d bursts %d, want 2 and 2", s.HealthDropped, s.BurstsDropped)
	}
}
