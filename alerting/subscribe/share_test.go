package subscribe

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
)

// TestOwner: every instance computes the same owner whatever the order of
// the members; the sites spread evenly; a member joining takes sites only
// for itself, one leaving gives only its own.
func TestOwner(t *testing.T) {
	sites := make([]string, 3000)
	for i := range sites {
		sites[i] = fmt.Sprintf("site-%04d", i)
	}
	three := []string{"console-1", "console-2", "console-3"}
	four := append(slices.Clone(three), "console-4")
	count := map[string]int{}
	moved, movedElsewhere := 0, 0
	for _, s := range sites {
		o := Owner(s, three)
		if r := Owner(s, []string{three[2], three[0], three[1]}); r != o {
			t.Fatalf("site %s: owner %s or %s depending on order", s, o, r)
		}
		count[o]++
		switch o4 := Owner(s, four); {
		case o4 == "console-4":
			moved++
		case o4 != o:
			movedElsewhere++
		}
		// console-2 leaves: only its sites move.
		if o2 := Owner(s, []string{"console-1", "console-3"}); o != "console-2" && o2 != o {
			t.Fatalf("site %s moved from %s to %s when console-2 left", s, o, o2)
		}
	}
	for _, m := range three {
		if n := count[m]; n < 900 || n > 1100 {
			t.Errorf("%s owns %d of %d sites, want about a third", m, n, len(sites))
		}
	}
	if movedElsewhere != 0 || moved < 650 || moved > 850 {
		t.Errorf("a fourth member took %d sites (want about 750) and %d moved between the others (want 0)", moved, movedElsewhere)
	}
	if Owner("x", nil) != "" {
		t.Error("an owner without members")
	}
	t.Logf("3,000 sites over 3 members: %v; a fourth took %d", count, moved)
}

// member is one console instance of a test group.
type member struct {
	s    *Subscriber
	rec  *recorder
	stop context.CancelFunc
}

func startMember(t *testing.T, b *mosquittotest.Broker, id string, sites []string) *member {
	rec := &recorder{}
	s, stop := start(t, b, Config{ClientID: id, Share: "consoles", Sites: sites, AnnounceEvery: time.Second}, rec)
	return &member{s: s, rec: rec, stop: stop}
}

// waitSettled waits until the members own every site between them, each
// exactly the sites Owner gives it.
func waitSettled(t *testing.T, sites []string, ms ...*member) {
	t.Helper()
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.s.cfg.ClientID
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok := true
		for _, site := range sites {
			o := Owner(site, ids)
			for _, m := range ms {
				if m.s.Owns(site) != (m.s.cfg.ClientID == o) {
					ok = false
				}
			}
		}
		total := 0
		for _, m := range ms {
			st := m.s.Stats().Share
			total += st.Owned
			if st.Members != len(ms) {
				ok = false
			}
		}
		if ok && total == len(sites) {
			return
		}
		if time.Now().After(deadline) {
			for _, m := range ms {
				t.Logf("%s: %+v", m.s.cfg.ClientID, m.s.Stats().Share)
			}
			t.Fatalf("group of %d did not settle on %d sites", len(ms), len(sites))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// publishRound sends n alerts per site and returns their ids by site.
func publishRound(pub func(string, []byte), sites []string, round, n int) map[string][]string {
	ids := map[string][]string{}
	for i := range n {
		for _, site := range sites {
			id := fmt.Sprintf("%s-r%d-%d", site, round, i)
			pub("cellsentry/v1/"+site+"/s1/alert", alertMsg(site, "s1", id, 0))
			ids[site] = append(ids[site], id+"/0")
		}
	}
	return ids
}

// checkRound: every alert of the round reached exactly one member, and all
// of a site's alerts the same member.
func checkRound(t *testing.T, sent map[string][]string, before map[*member]int, ms ...*member) {
	t.Helper()
	total := 0
	for _, ids := range sent {
		total += len(ids)
	}
	waitCount(t, "alerts of the round", total, func() int {
		n := 0
		for _, m := range ms {
			n += len(m.rec.alerts()) - before[m]
		}
		return n
	})
	time.Sleep(200 * time.Millisecond) // anything more would be a duplicate
	at := map[string]*member{}
	for _, m := range ms {
		got := m.rec.alerts()[before[m]:]
		for _, id := range got {
			if prev, dup := at[id]; dup {
				t.Errorf("alert %s reached %s and %s", id, prev.s.cfg.ClientID, m.s.cfg.ClientID)
			}
			at[id] = m
		}
	}
	for site, ids := range sent {
		var where []string
		for _, id := range ids {
			m := at[id]
			if m == nil {
				t.Errorf("alert %s reached no member", id)
				continue
			}
			if !slices.Contains(where, m.s.cfg.ClientID) {
				where = append(where, m.s.cfg.ClientID)
			}
		}
		if len(where) != 1 {
			t.Errorf("site %s: its alerts went to %v, want one member", site, where)
		}
	}
}

func marks(ms ...*member) map[*member]int {
	b := map[*member]int{}
	for _, m := range ms {
		b[m] = len(m.rec.alerts())
	}
	return b
}

// TestShareSplitsSites: console instances in one group split the sites,
// not the messages — every alert of a site reaches the same instance — and
// hand sites over when one joins, leaves, or vanishes, without losing an
// alert.
func TestShareSplitsSites(t *testing.T) {
	sites := make([]string, 12)
	for i := range sites {
		sites[i] = fmt.Sprintf("fresnes-%02d", i)
	}
	// The product's console ACL (it must let members announce
	// themselves), and a publisher that writes for every site, as the
	// sites' bridges do on a central broker.
	b := mosquittotest.Start(t, mosquittotest.Options{
		Users: map[string]string{"console": "pw-console", "bridge": "pw-bridge"},
		ACL:   mosquittotest.ProductACL("cellsentry/v1", sites[0], "console") + "\nuser bridge\ntopic write cellsentry/v1/#\n",
	})
	c1 := startMember(t, b, "console-1", sites)
	c2 := startMember(t, b, "console-2", sites)
	c3 := startMember(t, b, "console-3", sites)
	waitSettled(t, sites, c1, c2, c3)
	for _, m := range []*member{c1, c2, c3} {
		if st := m.s.Stats().Share; st.Owned == 0 {
			t.Errorf("%s owns no site", m.s.cfg.ClientID)
		}
	}
	bc, err := mosquittotest.Connect(t, b.URL(), mosquittotest.ClientOptions{Username: "bridge", Password: "pw-bridge"})
	if err != nil {
		t.Fatal(err)
	}
	pub := func(topic string, payload []byte) {
		if tok := bc.Publish(topic, 1, false, payload); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	checkRound(t, publishRound(pub, sites, 1, 10), map[*member]int{}, c1, c2, c3)

	// console-3 stops: its sites go to the others before it unsubscribes.
	before := marks(c1, c2, c3)
	t0 := time.Now()
	c3.stop()
	stopped := time.Since(t0)
	waitSettled(t, sites, c1, c2)
	t.Logf("console-3 stopped in %v, its sites taken by the others in %v", stopped.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
	checkRound(t, publishRound(pub, sites, 2, 10), before, c1, c2)

	// Alerts published while a member joins: none lost, none twice (a
	// site may be split between its old and new owner at that moment).
	before = marks(c1, c2)
	var c4 *member
	joined := make(chan struct{})
	t0 = time.Now()
	go func() { c4 = startMember(t, b, "console-4", sites); close(joined) }()
	sent := publishRound(pub, sites, 3, 20)
	<-joined
	waitSettled(t, sites, c1, c2, c4)
	t.Logf("console-4 joined and the group settled in %v", time.Since(t0).Round(time.Millisecond))
	all := 0
	for _, ids := range sent {
		all += len(ids)
	}
	waitCount(t, "alerts sent while console-4 joined", all, func() int {
		return len(c1.rec.alerts()) - before[c1] + len(c2.rec.alerts()) - before[c2] + len(c4.rec.alerts())
	})
	before = marks(c1, c2, c4)
	checkRound(t, publishRound(pub, sites, 4, 10), before, c1, c2, c4)
	t.Logf("settled: console-1 %+v, console-2 %+v, console-4 %+v", c1.s.Stats().Share, c2.s.Stats().Share, c4.s.Stats().Share)
}

// TestShareMemberVanishes: a member whose connection drops without a word
// (a crash, a cut cable) is replaced through its last will; the alerts the
// broker kept for its persistent session reach it when it is back, so
// none is lost.
func TestShareMemberVanishes(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	sites := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	c1 := startMember(t, b, "console-1", sites)
	p := mosquittotest.NewProxy(t, b.Addr())
	rec := &recorder{}
	s2, err := New(Config{Broker: p.URL(), ClientID: "console-2", Share: "consoles", Sites: sites, AnnounceEvery: time.Second}, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s2.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c2 := &member{s: s2, rec: rec}
	waitSettled(t, sites, c1, c2)
	owned2 := s2.Stats().Share.Owned

	p.Refuse(true)
	p.Cut()
	// The broker publishes console-2's will at once (the socket closed):
	// console-1 takes every site.
	deadline := time.Now().Add(10 * time.Second)
	for c1.s.Stats().Share.Owned != len(sites) || c1.s.Stats().Share.Members != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("console-1 did not take console-2's sites: %+v", c1.s.Stats().Share)
		}
		time.Sleep(20 * time.Millisecond)
	}
	pub := sensor(t, b)
	before := marks(c1, c2)
	sent := publishRound(pub, sites, 1, 10)
	time.Sleep(300 * time.Millisecond)
	atC1 := len(c1.rec.alerts()) - before[c1]
	p.Refuse(false) // console-2 reconnects by itself
	all := 0
	for _, ids := range sent {
		all += len(ids)
	}
	waitCount(t, "alerts at the two members after console-2 is back", all, func() int {
		return len(c1.rec.alerts()) - before[c1] + len(c2.rec.alerts()) - before[c2]
	})
	waitSettled(t, sites, c1, c2)
	got := map[string]int{}
	for _, m := range []*member{c1, c2} {
		for _, id := range m.rec.alerts()[before[m]:] {
			got[id]++
		}
	}
	for _, ids := range sent {
		for _, id := range ids {
			if got[id] != 1 {
				t.Errorf("alert %s arrived %d times", id, got[id])
			}
		}
	}
	t.Logf("console-2 owned %d of %d sites; while it was cut console-1 got %d of %d alerts at once, the rest waited in console-2's session",
		owned2, len(sites), atC1, all)
}

// TestShareBrokerRestart: a broker restarted without persistence forgets
// every session and retained announcement; the members subscribe to their
// sites' alerts again on reconnection, announce themselves again, and
// every alert published afterwards reaches its site's owner.
func TestShareBrokerRestart(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	sites := []string{"a", "b", "c", "d", "e", "f"}
	c1 := startMember(t, b, "console-1", sites)
	c2 := startMember(t, b, "console-2", sites)
	waitSettled(t, sites, c1, c2)
	b.Restart()
	deadline := time.Now().Add(30 * time.Second)
	for c1.s.Stats().Connects < 2 || c2.s.Stats().Connects < 2 {
		if time.Now().After(deadline) {
			t.Fatal("members did not reconnect after the broker restart")
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitSettled(t, sites, c1, c2)
	time.Sleep(500 * time.Millisecond) // the SUBSCRIBEs of the new connection
	pub := sensor(t, b)
	before := marks(c1, c2)
	checkRound(t, publishRound(pub, sites, 1, 10), before, c1, c2)
}

// TestRendezvousIsFNV: the hand-written hash is FNV-1a of member, a zero
// byte and site (then the finalizer), as every member must compute it.
func TestRendezvousIsFNV(t *testing.T) {
	for _, c := range [][2]string{{"console-1", "fresnes"}, {"", ""}, {"a", "b"}, {"console-2", "loadgen-0400"}} {
		h := fnv.New64a()
		h.Write([]byte(c[0] + "\x00" + c[1]))
		x := h.Sum64()
		x ^= x >> 33
		x *= 0xff51afd7ed558ccd
		x ^= x >> 33
		x *= 0xc4ceb9fe1a85ec53
		x ^= x >> 33
		if got := rendezvous(c[0], c[1]); got != x {
			t.Errorf("rendezvous(%q, %q) = %x, want %x", c[0], c[1], got, x)
		}
	}
}

// BenchmarkOwns: the question every handled message asks.
func BenchmarkOwns(b *testing.B) {
	s, err := New(Config{Broker: "tcp://127.0.0.1:1", ClientID: "console-1", Share: "g", Sites: []string{"a", "b", "c"}}, HandlerFunc(func(Message, time.Time) {}), nil)
	if err != nil {
		b.Fatal(err)
	}
	sh := s.share
	sh.mu.Lock()
	sh.synced = true
	sh.subbed["a"], sh.subbed["b"] = true, true
	sh.members["console-2"], sh.heard["console-2"] = Member{State: MemberOnline}, time.Now()
	sh.refresh()
	sh.mu.Unlock()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if s.Owns("a") {
			n++
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "owned/op")
}
