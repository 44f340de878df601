package mqttpub

import (
	"context"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// session is one established connection: the loop that feeds it from the
// queue and the side channels, and the goroutine that hands messages to
// paho.
//
// paho's Publish can block for the whole write timeout when the connection
// dies between its "connected?" check and the hand-over to its writer
// (nothing reads its outgoing channel any more). Publishing from a
// goroutine of its own keeps the loop free to see the loss at once and
// reconnect; the sender then finds the client disconnected and drains
// its backlog without blocking.
type session struct {
	p      *Publisher
	client mqtt.Client
	lost   <-chan error

	send      chan sendReq  // alerts and status to the sender, in publish order
	sideCh    chan sendReq  // health and bursts to the sender
	published chan inflight // alert tokens back from the sender, in order
	queued    int           // alerts given to the sender whose token has not come back
}

// sendReq is one message for the sender. Requests with a reply get their
// token back through it.
type sendReq struct {
	topic    string
	qos      byte
	retained bool
	data     []byte
	seq      uint64 // the queue record of an alert
	reply    chan<- inflight
}

// inflight is a publish whose completion (PUBACK for QoS 1) is awaited.
type inflight struct {
	seq  uint64
	tok  mqtt.Token
	sent time.Time
}

func (p *Publisher) newSession(client mqtt.Client, lost <-chan error) *session {
	s := &session{
		p: p, client: client, lost: lost,
		// At most Inflight alerts and one status wait at once, so
		// sending never blocks the loop. Health and bursts have their
		// own few slots and are dropped rather than wait.
		send:      make(chan sendReq, p.cfg.Inflight+2),
		sideCh:    make(chan sendReq, 4),
		published: make(chan inflight, p.cfg.Inflight),
	}
	p.flight = p.flight[:0]
	go s.sender()
	return s
}

// close ends the sender once it has handed over what it holds.
func (s *session) close() { close(s.send) }

func (s *session) sender() {
	for {
		var r sendReq
		select {
		case m, ok := <-s.send:
			if !ok {
				return
			}
			r = m
		case r = <-s.sideCh:
		}
		now := time.Now()
		tok := s.client.Publish(r.topic, r.qos, r.retained, r.data)
		if r.reply != nil {
			// Never blocks: replies are bounded by the channels'
			// capacities (published holds Inflight, a status reply 1).
			r.reply <- inflight{seq: r.seq, tok: tok, sent: now}
		}
	}
}

// publishWait publishes through the sender and waits for the
// acknowledgement until deadline or until the connection dies.
func (s *session) publishWait(topic string, retained bool, data []byte, deadline time.Time) error {
	reply := make(chan inflight, 1)
	select {
	case s.send <- sendReq{topic: topic, qos: 1, retained: retained, data: data, reply: reply}:
	default:
		return fmt.Errorf("publish %s: sender backlog full", topic)
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	var f inflight
	select {
	case f = <-reply:
	case err := <-s.lost:
		return err
	case <-t.C:
		return fmt.Errorf("publish %s: not sent within the deadline", topic)
	}
	select {
	case <-f.tok.Done():
		return f.tok.Error()
	case err := <-s.lost:
		return err
	case <-t.C:
		return fmt.Errorf("publish %s: no acknowledgement within the deadline", topic)
	}
}

// serve publishes the online status, then the queue, health and bursts,
// until the connection dies (an error) or ctx ends (a graceful stop; it
// returns ctx.Err()).
func (s *session) serve(ctx context.Context) error {
	p := s.p
	online, err := p.status("online", "")
	if err != nil {
		return err
	}
	if err := s.publishWait(p.topicStatus, true, online, time.Now().Add(p.cfg.ConnectTimeout)); err != nil {
		return fmt.Errorf("publish online status: %w", err)
	}
	p.log.Info("connected to the broker", "broker", p.cfg.Broker, "client_id", p.cfg.ClientID)

	// Start again from the oldest unacknowledged record: what was in
	// flight on the previous connection may not have arrived.
	var after uint64
	notify := p.q.Notify()
	for {
		if room := p.cfg.Inflight - len(p.flight) - s.queued; room > 0 {
			recs, err := p.q.Pending(p.recs[:0], after, room)
			if err != nil {
				return &ConnectError{Kind: KindNetwork, Broker: p.cfg.Broker, Msg: "cannot read the alert queue", Err: err}
			}
			for _, r := range recs {
				s.send <- sendReq{topic: p.topicAlert, qos: 1, data: r.Data, seq: r.Seq, reply: s.published}
				s.queued++
				after = r.Seq
				resent := r.Seq <= p.maxSent
				p.maxSent = max(p.maxSent, r.Seq)
				p.stats.add(func(st *Stats) {
					st.Published++
					if resent {
						st.Resent++
					}
				})
			}
			clear(recs) // the sender and paho hold the payloads now
			p.recs = recs[:0]
		}
		var head <-chan struct{}
		if len(p.flight) > 0 {
			head = p.flight[0].tok.Done()
		}
		select {
		case f := <-s.published:
			s.queued--
			p.flight = append(p.flight, f)
		case <-head:
			if err := s.settle(); err != nil {
				return lostCause(err, s.lost)
			}
		case <-notify:
		case b := <-p.health:
			s.side(sendReq{topic: p.topicHealth, qos: 1, retained: true, data: b}, func(st *Stats) { st.HealthSent++ }, func(st *Stats) { st.HealthDropped++ })
		case b := <-p.bursts:
			s.side(sendReq{topic: p.topicBurst, qos: 0, data: b}, func(st *Stats) { st.BurstsSent++ }, func(st *Stats) { st.BurstsDropped++ })
		case err := <-s.lost:
			return err
		case <-ctx.Done():
			s.goodbye(time.Now().Add(p.cfg.DrainTimeout))
			return ctx.Err()
		}
	}
}

// side hands a health or burst message to the sender, or drops it when the
// sender is backed up (the connection is struggling; alerts come first).
func (s *session) side(r sendReq, sent, dropped func(*Stats)) {
	select {
	case s.sideCh <- r:
		s.p.stats.add(sent)
	default:
		s.p.stats.add(dropped)
	}
}

// settle handles the completed publishes at the head of the window, in
// order: a PUBACK acknowledges the record in the queue; an error ends the
// connection (the record is sent again on the next).
func (s *session) settle() error {
	p := s.p
	n := 0
	defer func() {
		k := copy(p.flight, p.flight[n:])
		clear(p.flight[k:])
		p.flight = p.flight[:k]
	}()
	for ; n < len(p.flight); n++ {
		f := p.flight[n]
		select {
		case <-f.tok.Done():
		default:
			return nil
		}
		if err := f.tok.Error(); err != nil {
			return fmt.Errorf("alert seq %d not acknowledged: %w", f.seq, err)
		}
		p.stats.observe(time.Since(f.sent))
		if err := p.q.Ack(f.seq); err != nil {
			// The broker has it; the queue could not mark it. It will
			// be sent again after a restart: a duplicate, not a loss.
			p.log.Error("cannot mark an alert acknowledged in the queue", "seq", f.seq, "err", err)
			p.stats.add(func(st *Stats) { st.AckErrors++ })
		}
		p.stats.add(func(st *Stats) { st.Acked++ })
	}
	return nil
}

// lostCause prefers the reason paho gives for a lost connection (it fails
// the pending publishes just before it reports the loss) over the
// publish's own "connection lost before Publish completed".
func lostCause(err error, lost <-chan error) error {
	select {
	case cause := <-lost:
		return fmt.Errorf("%w (%v)", cause, err)
	case <-time.After(100 * time.Millisecond):
		return err
	}
}

// goodbye ends a connection on a graceful stop: it waits (until deadline)
// for the alerts in flight, publishes the offline status and disconnects,
// which tells the broker not to publish the will.
func (s *session) goodbye(deadline time.Time) {
	p := s.p
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
drain:
	for len(p.flight) > 0 || s.queued > 0 {
		var head <-chan struct{}
		if len(p.flight) > 0 {
			head = p.flight[0].tok.Done()
		}
		select {
		case f := <-s.published:
			s.queued--
			p.flight = append(p.flight, f)
		case <-head:
			if err := s.settle(); err != nil {
				break drain
			}
		case err := <-s.lost:
			p.log.Warn("connection lost while stopping; the broker publishes the last will", "err", err, "unacknowledged", len(p.flight)+s.queued)
			return
		case <-t.C:
			break drain
		}
	}
	if n := len(p.flight) + s.queued; n > 0 {
		p.log.Warn("stopping with alerts unacknowledged; they stay queued for the next start", "unacknowledged", n)
	}
	off, err := p.status("offline", "shutdown")
	if err == nil {
		// At least a moment for the offline status even when the drain
		// used the whole budget: a console should see "shutdown" rather
		// than nothing.
		err = s.publishWait(p.topicStatus, true, off, later(deadline, time.Now().Add(500*time.Millisecond)))
	}
	if err != nil {
		p.log.Warn("offline status not acknowledged", "err", err)
	}
	s.client.Disconnect(250)
	p.log.Info("disconnected from the broker", "broker", p.cfg.Broker)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
