package subscribe

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellsentry/cellsentry/alerting"
)

// Console instances in one shared group (Config.Share) split the sites
// between them, not the messages: the fusion must see every alert of a
// site to fuse one phone heard by several sensors into one incident, and a
// broker that hands each message to any member (Mosquitto alternates)
// would split one phone's alerts between instances.
//
// So each instance announces itself on a retained member topic, every
// instance reads every member's announcement, and all agree on one owner
// per site by rendezvous hashing over the live members: a member that
// joins takes about 1/n of the sites from the others, one that leaves
// gives its sites to the others, and no other site moves. The owner
// subscribes to the site's alerts through the group,
// $share/<group>/<prefix>/<site>/+/alert, and to its status, health and
// bursts (retained status and health give it every sensor's state at
// once): every kind of work splits between the members. A member that
// loses a site unsubscribes only once the new owner's announcement says
// it has subscribed. In between both are members of the site's group and
// the broker hands each alert to one of them: a handover may split that
// moment's alerts, never lose or duplicate one.

// MemberSchema names the member announcement's format.
const MemberSchema = "cellsentry/console-member/1"

// Member states.
const (
	MemberOnline  = "online"
	MemberLeaving = "leaving" // stopping: others take its sites, then it unsubscribes
	MemberOffline = "offline" // stopped (or its last will)
)

// Member is the retained announcement of one console instance, on
// MemberTopic.
type Member struct {
	Schema string    `json:"schema"`
	ID     string    `json:"id"` // the MQTT client id
	State  string    `json:"state"`
	Owns   []string  `json:"owns"` // sites whose alerts it is subscribed to, sorted
	Time   time.Time `json:"time"`
}

// MemberTopic is where instance id of group announces itself:
// <prefix>/_consoles/<group>/<id>/member. Four levels below the prefix, so
// that no sensor filter (<prefix>/+/+/+) matches it.
func MemberTopic(prefix, group, id string) string {
	return prefix + "/_consoles/" + group + "/" + id + "/member"
}

// Owner is the member that serves site: the highest rendezvous hash of
// (member, site). Every instance computes the same owner from the same
// members, whatever their order. It returns "" without members.
func Owner(site string, members []string) string {
	best, bestH := "", uint64(0)
	for _, m := range members {
		if h := rendezvous(m, site); best == "" || h > bestH || h == bestH && m < best {
			best, bestH = m, h
		}
	}
	return best
}

// rendezvous is the weight of member for site: FNV-1a of both (with a
// zero byte between), through a 64-bit finalizer so that close names
// spread. Written out rather than through hash/fnv, whose hash.Hash would
// be allocated at every call: Owns asks on every message.
func rendezvous(member, site string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	x := uint64(offset)
	for i := 0; i < len(member); i++ {
		x = (x ^ uint64(member[i])) * prime
	}
	x *= prime // the zero byte: x ^ 0 = x
	for i := 0; i < len(site); i++ {
		x = (x ^ uint64(site[i])) * prime
	}
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// ShareStats say how the group looks from this instance.
type ShareStats struct {
	Members   int    // live members, this one included
	Owned     int    // sites whose alerts this instance is subscribed to
	Handovers uint64 // sites taken or given since start
	Unowned   uint64 // alert events handled for a site another member owns (during a handover)
}

// share is the group membership of one Subscriber.
type share struct {
	s     *Subscriber
	topic string // this instance's member topic
	kick  chan struct{}

	mu      sync.Mutex
	members map[string]Member    // by id, as last announced
	heard   map[string]time.Time // when each member's announcement arrived
	synced  bool                 // own announcement read back since the last connection
	leaving bool
	subbed  map[string]bool // sites whose alert filter is subscribed
	// lingering are sites whose alert filter an earlier run may have
	// left in the persistent session: unsubscribed once another member
	// owns them.
	lingering map[string]bool
	// mine are the sites this instance serves now (what owns answers),
	// recomputed by refresh whenever what it depends on changes: the
	// question comes with every message, the answer changes rarely.
	mine   map[string]bool
	stats  ShareStats
	logged [2]int // members and sites owned at the last "group" log line
}

func newShare(s *Subscriber) *share {
	sh := &share{s: s, topic: MemberTopic(s.cfg.Prefix, s.cfg.Share, s.cfg.ClientID), kick: make(chan struct{}, 1),
		members: map[string]Member{}, heard: map[string]time.Time{}, subbed: map[string]bool{}, lingering: map[string]bool{}, mine: map[string]bool{}}
	if !s.cfg.NoSession {
		for _, site := range s.cfg.Sites {
			sh.lingering[site] = true
		}
	}
	return sh
}

func (sh *share) alertFilter(site string) string {
	return "$share/" + sh.s.cfg.Share + "/" + sh.s.cfg.Prefix + "/" + site + "/+/alert"
}

// siteFilters are what the owner of site subscribes to: the alerts
// through the group, and the status, health and bursts of the site's
// sensors directly. Status and health are retained, so a new owner learns
// every sensor's last state the moment it subscribes; during a handover
// both members receive them (and only the owner raises sensor incidents).
func (sh *share) siteFilters(site string) []string {
	base := sh.s.cfg.Prefix + "/" + site + "/+/"
	return []string{sh.alertFilter(site), base + alerting.KindStatus, base + alerting.KindHealth, base + alerting.KindBurst}
}

// subscribe subscribes to the filters of sites at QoS 1.
func (sh *share) subscribe(c mqtt.Client, sites []string) error {
	m := map[string]byte{}
	for _, site := range sites {
		for _, f := range sh.siteFilters(site) {
			m[f] = 1
		}
	}
	tok := c.SubscribeMultiple(m, nil)
	if !tok.WaitTimeout(10 * time.Second) {
		return errors.New("no SUBACK in 10 s")
	}
	return tok.Error()
}

func (sh *share) memberFilter() string {
	return sh.s.cfg.Prefix + "/_consoles/" + sh.s.cfg.Share + "/+/member"
}

func (sh *share) poke() {
	select {
	case sh.kick <- struct{}{}:
	default:
	}
}

// onMember is paho's callback for member announcements: it records them
// and wakes the balancer (it must not block: paho delivers in order).
func (sh *share) onMember(_ mqtt.Client, m mqtt.Message) {
	defer m.Ack()
	var mb Member
	if err := json.Unmarshal(m.Payload(), &mb); err != nil || mb.Schema != MemberSchema || mb.ID == "" ||
		MemberTopic(sh.s.cfg.Prefix, sh.s.cfg.Share, mb.ID) != m.Topic() {
		sh.s.mu.Lock()
		sh.s.stats.Malformed++
		sh.s.mu.Unlock()
		return
	}
	sh.mu.Lock()
	sh.members[mb.ID] = mb
	sh.heard[mb.ID] = time.Now()
	if mb.ID == sh.s.cfg.ClientID {
		sh.synced = true
	}
	sh.refresh()
	sh.mu.Unlock()
	sh.poke()
}

// live are the members that may own sites (sh.mu held). Members
// announce themselves every Config.AnnounceEvery; one not heard for three
// periods is gone even if its last word was "online" (a retained
// announcement can outlive its member when the broker lost the member's
// session and with it the last will).
func (sh *share) live() []string {
	var ids []string
	stale := time.Now().Add(-3 * sh.s.cfg.AnnounceEvery)
	for id, m := range sh.members {
		if m.State == MemberOnline && id != sh.s.cfg.ClientID && sh.heard[id].After(stale) {
			ids = append(ids, id)
		}
	}
	if !sh.leaving {
		ids = append(ids, sh.s.cfg.ClientID)
	}
	return ids
}

// owns reports whether this instance serves site now: it is subscribed to
// the site, in sync with the group, not leaving, and the site's owner.
func (sh *share) owns(site string) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.mine[site]
}

// refresh recomputes mine (sh.mu held).
func (sh *share) refresh() {
	clear(sh.mine)
	if !sh.synced || sh.leaving {
		return
	}
	live := sh.live()
	for site := range sh.subbed {
		if Owner(site, live) == sh.s.cfg.ClientID {
			sh.mine[site] = true
		}
	}
}

func (sh *share) announce(c mqtt.Client, state string) {
	sh.mu.Lock()
	mb := Member{Schema: MemberSchema, ID: sh.s.cfg.ClientID, State: state, Time: time.Now().UTC()}
	for site := range sh.subbed {
		mb.Owns = append(mb.Owns, site)
	}
	sh.mu.Unlock()
	slices.Sort(mb.Owns)
	b, _ := json.Marshal(mb)
	tok := c.Publish(sh.topic, 1, true, b)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		sh.s.log.Warn("member announcement not sent", "err", tok.Error())
	}
}

// will is the retained announcement the broker publishes if this
// instance vanishes without leaving.
func (sh *share) will() []byte {
	b, _ := json.Marshal(Member{Schema: MemberSchema, ID: sh.s.cfg.ClientID, State: MemberOffline, Owns: []string{}})
	return b
}

// connected subscribes to the member topic and announces this instance;
// the balancer starts once the announcement comes back, after every
// retained announcement of the others.
func (sh *share) connected(c mqtt.Client) {
	sh.mu.Lock()
	sh.synced = false
	sh.refresh()
	sh.mu.Unlock()
	tok := c.Subscribe(sh.memberFilter(), 1, sh.onMember)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		sh.s.log.Error("subscribe failed", "filter", sh.memberFilter(), "err", tok.Error())
		return
	}
	sh.s.log.Info("subscribed", "filter", sh.memberFilter())
	// After a reconnection the alert filters are subscribed again: the
	// session may be new (a broker restarted without persistence, or
	// NoSession), and a site whose owner is not subscribed would have no
	// member in its group, its alerts kept by nobody. For a session the
	// broker kept, SUBSCRIBE replaces the subscription.
	sh.mu.Lock()
	var sites []string
	for site := range sh.subbed {
		sites = append(sites, site)
	}
	sh.mu.Unlock()
	if len(sites) > 0 {
		if err := sh.subscribe(c, sites); err != nil {
			sh.s.log.Error("subscribe failed", "sites", sites, "err", err)
		}
	}
	sh.announce(c, MemberOnline)
}

// balance subscribes to the sites this instance owns and unsubscribes from
// those another member owns and has taken; it reports whether it still
// holds a site another live member owns and has not taken yet.
func (sh *share) balance(c mqtt.Client) (holding bool) {
	sh.mu.Lock()
	sh.refresh() // a member may have gone silent since
	if !sh.synced {
		sh.mu.Unlock()
		return true
	}
	live := sh.live()
	var take, give []string
	held := 0 // sites held for another member that has not taken them yet
	for _, site := range sh.s.cfg.Sites {
		o := Owner(site, live)
		switch {
		case o == sh.s.cfg.ClientID:
			if !sh.subbed[site] {
				take = append(take, site)
			}
		case sh.subbed[site] || sh.lingering[site]:
			// Alone and leaving (o == ""): keep the subscription, so
			// that the persistent session queues the site's alerts.
			if o != "" {
				if slices.Contains(sh.members[o].Owns, site) {
					give = append(give, site)
				} else {
					held++
				}
			}
		}
	}
	sh.mu.Unlock()
	defer sh.logGroup()
	changed := false
	if len(take) > 0 {
		if err := sh.subscribe(c, take); err != nil {
			sh.s.log.Error("subscribe failed", "sites", take, "err", err)
		} else {
			sh.s.log.Info("sites taken", "sites", take)
			sh.mu.Lock()
			for _, site := range take {
				sh.subbed[site] = true
				delete(sh.lingering, site)
				sh.stats.Handovers++
			}
			sh.refresh()
			sh.mu.Unlock()
			changed = true
		}
	}
	if changed {
		// The announcement tells the previous owner it may let go.
		sh.announce(c, sh.state())
	}
	if len(give) > 0 {
		var filters []string
		for _, site := range give {
			filters = append(filters, sh.siteFilters(site)...)
		}
		tok := c.Unsubscribe(filters...)
		if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			sh.mu.Lock()
			for _, site := range give {
				if sh.subbed[site] {
					sh.stats.Handovers++
				}
				delete(sh.subbed, site)
				delete(sh.lingering, site)
			}
			sh.refresh()
			sh.mu.Unlock()
			sh.s.log.Info("sites handed over", "sites", give)
			sh.announce(c, sh.state())
		} else {
			sh.s.log.Error("unsubscribe failed", "sites", give, "err", tok.Error())
			held += len(give)
		}
	}
	return held > 0
}

// logGroup logs the group as this instance sees it when that changed.
func (sh *share) logGroup() {
	sh.mu.Lock()
	now := [2]int{len(sh.live()), len(sh.subbed)}
	same := now == sh.logged
	sh.logged = now
	sh.mu.Unlock()
	if !same {
		sh.s.log.Info("group", "group", sh.s.cfg.Share, "members", now[0], "sites_owned", now[1], "sites", len(sh.s.cfg.Sites))
	}
}

func (sh *share) state() string {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.leaving {
		return MemberLeaving
	}
	return MemberOnline
}

// leave hands this instance's sites to the other live members (waiting at
// most wait for them to take over) and announces it is offline. Alone, it
// keeps its subscriptions: the persistent session then queues the alerts
// until it is back.
func (sh *share) leave(c mqtt.Client, wait time.Duration) {
	sh.mu.Lock()
	sh.leaving = true
	sh.refresh()
	sh.mu.Unlock()
	sh.announce(c, MemberLeaving)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for sh.balance(c) {
		select {
		case <-sh.kick:
		case <-time.After(100 * time.Millisecond):
		case <-deadline.C:
			sh.mu.Lock()
			n := len(sh.subbed)
			sh.mu.Unlock()
			sh.s.log.Warn("stopping before the other instances took every site", "sites_held", n)
			sh.announce(c, MemberOffline)
			return
		}
	}
	sh.announce(c, MemberOffline)
}

func (sh *share) shareStats() ShareStats {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := sh.stats
	st.Members = len(sh.live())
	st.Owned = len(sh.subbed)
	return st
}
