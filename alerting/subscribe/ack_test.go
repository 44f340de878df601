package subscribe

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
)

// holder keeps the messages it is handed and acknowledges them only when
// told, like a console between receipt and commit.
type holder struct {
	recorder
	ackNow bool
}

func (h *holder) Handle(m Message, at time.Time) {
	h.recorder.Handle(m, at)
	if h.ackNow {
		m.Ack()
	}
}

// ackAll acknowledges every message held so far.
func (h *holder) ackAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.msgs {
		m.Ack()
	}
}

// With ManualAck a message is the broker's until the handler acknowledges
// it: a console stopped between receipt and acknowledgement gets the
// messages again on its persistent session, once; dropped messages
// (malformed, redelivered alerts) are acknowledged by the subscriber; and
// without ManualAck a message is acknowledged when Handle returns. The
// broker's debug log shows each PUBLISH, its DUP flag and each PUBACK.
func TestSubscriberAck(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{
		Users: map[string]string{"s1": "pw-s1", "console": "pw-console"},
		ACL:   mosquittotest.ProductACL(alerting.DefaultPrefix, "fresnes", "console"),
		Debug: true,
	})
	const cid = "console-ack"
	topic := "cellsentry/v1/fresnes/s1/alert"
	pub := sensor(t, b)
	ids := func(r *recorder) string { return strings.Join(r.alerts(), ",") }

	t.Run("held messages come back", func(t *testing.T) {
		h := &holder{}
		s, stop := start(t, b, Config{ClientID: cid, ManualAck: true}, h)
		for i := range 3 {
			pub(topic, alertMsg("fresnes", "s1", fmt.Sprint("held-", i), 0))
		}
		pub(topic, []byte("not json"))
		pub(topic, alertMsg("fresnes", "s1", "held-0", 0)) // a redelivery the subscriber drops
		waitCount(t, "messages received", 5, func() int { return int(s.Stats().Received) })
		// The subscriber acknowledged the two it dropped, nothing else.
		if n := b.WaitLog("Received PUBACK from "+cid, 2, 5*time.Second); n != 2 {
			t.Fatalf("%d PUBACKs from the console, want 2 (the dropped messages)", n)
		}
		stop() // the "crash": nothing was acknowledged by the handler

		h2 := &holder{}
		s2, stop2 := start(t, b, Config{ClientID: cid, ManualAck: true}, h2)
		waitCount(t, "alerts redelivered", 3, func() int { return len(h2.alerts()) })
		if got := ids(&h2.recorder); got != "held-0/0,held-1/0,held-2/0" {
			t.Fatalf("redelivered %s", got)
		}
		if st := s2.Stats(); st.Malformed != 0 || st.Duplicates != 0 {
			t.Fatalf("dropped messages were redelivered: %+v", st)
		}
		if n := b.CountLog("Sending PUBLISH to " + cid + " (d1"); n != 3 {
			t.Fatalf("%d PUBLISHes with DUP set, want 3", n)
		}
		h2.ackAll()
		if n := b.WaitLog("Received PUBACK from "+cid, 5, 5*time.Second); n != 5 {
			t.Fatalf("%d PUBACKs from the console, want 5", n)
		}
		stop2()
	})

	t.Run("acknowledged messages do not come back", func(t *testing.T) {
		h := &holder{}
		s, stop := start(t, b, Config{ClientID: cid, ManualAck: true}, h)
		// Published after the restart: a redelivery of held-* would come
		// before it, in order.
		pub(topic, alertMsg("fresnes", "s1", "marker", 0))
		waitCount(t, "messages received", 1, func() int { return int(s.Stats().Received) })
		if got := ids(&h.recorder); got != "marker/0" {
			t.Fatalf("received %s, want only the marker", got)
		}
		h.ackAll()
		if n := b.WaitLog("Received PUBACK from "+cid, 6, 5*time.Second); n != 6 {
			t.Fatalf("%d PUBACKs from the console, want 6", n)
		}
		stop()
	})

	t.Run("acknowledged when Handle returns without ManualAck", func(t *testing.T) {
		h := &holder{}
		s, stop := start(t, b, Config{ClientID: cid}, h)
		pub(topic, alertMsg("fresnes", "s1", "auto", 0))
		waitCount(t, "messages received", 1, func() int { return int(s.Stats().Received) })
		if n := b.WaitLog("Received PUBACK from "+cid, 7, 5*time.Second); n != 7 {
			t.Fatalf("%d PUBACKs from the console, want 7", n)
		}
		stop()
		h2 := &holder{}
		s2, _ := start(t, b, Config{ClientID: cid, ManualAck: true}, h2)
		pub(topic, alertMsg("fresnes", "s1", "marker-2", 0))
		waitCount(t, "messages received", 1, func() int { return int(s2.Stats().Received) })
		if got := ids(&h2.recorder); got != "marker-2/0" {
			t.Fatalf("received %s, want only the marker", got)
		}
		h2.ackAll()
	})
	// Each message was sent once, plus the three held ones once more.
	if sent, acked := b.CountLog("Sending PUBLISH to "+cid), b.WaitLog("Received PUBACK from "+cid, 8, 5*time.Second); sent != 11 || acked != 8 {
		t.Fatalf("%d PUBLISHes, %d PUBACKs; want 11 and 8", sent, acked)
	}
}
