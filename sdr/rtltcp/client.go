package rtltcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// DefaultSettle is how long blocks are marked Settling after a retune or a
// rate change. rtl_tcp says nothing about when a command took effect:
// samples the dongle took before the retune are still in librtlsdr's USB
// transfer buffers, in rtl_tcp's send queue and in both TCP socket buffers
// when the command arrives. The R820T's PLL locks in a few ms; the rest
// depends on how far behind the server is. 50 ms covers the PLL and the
// few ms of queue of a server that keeps up on a LAN; a server across a
// slow link, or one whose queue grows, needs a longer Options.Settle,
// which the sensor's self-test should measure (tune onto a known carrier
// and time its appearance).
const DefaultSettle = 50 * time.Millisecond

// Defaults for Options.
const (
	DefaultRate         = 2.4e6
	DefaultRingSamples  = 1 << 21 // 0.87 s at 2.4 MS/s
	DefaultBackoffMin   = 250 * time.Millisecond
	DefaultBackoffMax   = 30 * time.Second
	DefaultStallTimeout = 5 * time.Second
	DefaultDialTimeout  = 10 * time.Second
)

// Options configure a Client. Zero fields take the defaults.
type Options struct {
	// Center is the frequency to tune to on connect, Hz (0: leave the
	// server where it is; blocks then carry Center 0 until Tune).
	Center float64
	// SampleRate is sent on connect, samples/s (0: DefaultRate). The
	// protocol cannot ask the server its rate, so the client always sets it.
	SampleRate float64
	// Gain is the manual tuner gain, tenths of dB; 0 selects automatic gain
	// (as rtl_tcp's -g 0).
	Gain int
	PPM  int  // frequency correction sent on connect if non-zero
	AGC  bool // RTL2832 digital AGC, sent on connect if set
	// BiasTee powers an LNA through the antenna input, sent if set.
	BiasTee bool

	// Settle is how long blocks stay Settling after Tune or SetSampleRate
	// (0: DefaultSettle, negative: not at all). See DefaultSettle.
	Settle time.Duration
	// RingSamples is the capacity of the buffer between the socket and
	// ReadBlock (0: DefaultRingSamples). When the consumer falls further
	// behind than this, the oldest samples are dropped and counted.
	RingSamples int

	// Reconnect makes the client re-dial when the connection drops,
	// instead of ending the stream (see Client).
	Reconnect bool
	// BackoffMin and BackoffMax bound the delay between re-dials, which
	// doubles per failed attempt, with jitter.
	BackoffMin, BackoffMax time.Duration
	// StallTimeout is how long the stream may deliver nothing before the
	// connection is treated as lost (0: DefaultStallTimeout).
	StallTimeout time.Duration
	// DialTimeout bounds each dial and header read (0: DefaultDialTimeout).
	DialTimeout time.Duration

	// Logger receives connection events (nil: discard).
	Logger *slog.Logger
	// OnEvent, if set, is called (from the client's goroutine, so it must
	// not block) when the connection drops and when it is back.
	OnEvent func(Event)
}

// EventKind says what happened to the connection.
type EventKind int

// The connection events.
const (
	Disconnected EventKind = iota + 1
	Reconnected
)

func (k EventKind) String() string {
	switch k {
	case Disconnected:
		return "disconnected"
	case Reconnected:
		return "reconnected"
	}
	return "event(?)"
}

// Event is a change of the connection, for health reporting.
type Event struct {
	Kind     EventKind
	Err      error // why the connection dropped (Disconnected)
	Attempts int   // dials it took (Reconnected)
	// Gap is the estimated number of samples the server produced while
	// disconnected (Reconnected); the first block after it reports them
	// in Dropped.
	Gap int64
}

// Errors of the client.
var (
	// ErrDisconnected is wrapped by the error ReadBlock returns when the
	// connection dropped and Reconnect is off.
	ErrDisconnected = errors.New("rtl_tcp connection lost")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("rtltcp: client closed")
)

// Client reads IQ from an rtl_tcp server. It implements sdr.Source.
//
// A goroutine reads the socket into a ring of Options.RingSamples so that
// the TCP stream never stalls the server while the consumer is busy; if the
// consumer falls behind by more than the ring, the oldest samples are
// dropped and reported in the next block's Dropped.
//
// Time stamps: rtl_tcp sends none, so Block.Time comes from a sample
// counter anchored at the wall-clock time the connection was made (the
// header arrived): the k-th sample received is stamped anchor + k/rate,
// counting dropped samples. It is exact relative to itself and off in
// absolute terms by what the server had queued at connect (typically a
// few ms). A rate change re-anchors at the first sample received after
// the command was sent.
//
// Retunes: samples received before Tune was called carry the old Center;
// those after carry the new one and are Settling for Options.Settle worth
// of samples (see DefaultSettle). Blocks are cut at both points so that a
// block never mixes two tunings or settling with settled samples.
//
// Faults: if the connection drops, ReadBlock first delivers what was
// already received, then returns an error wrapping ErrDisconnected. With
// Options.Reconnect it instead re-dials with jittered exponential backoff,
// re-sends every setting made so far, and goes on: the first block of the
// new connection has Dropped set to the samples missed while disconnected,
// estimated from the wall clock (time disconnected × rate). Options.OnEvent
// reports both transitions at once.
//
// ReadBlock must be called from one goroutine; the setters and Close may be
// called from any.
type Client struct {
	addr string
	opt  Options
	log  *slog.Logger
	hdr  Header

	ctx    context.Context // ended by Close; bounds re-dials
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// wmu serialises command writes and guards settings.
	wmu      sync.Mutex
	settings [numOps]Command
	set      [numOps]bool
	ifGains  map[int]Command

	mu     sync.Mutex
	cond   sync.Cond
	conn   net.Conn
	ring   []byte
	r, w   int64  // stream byte counters: next to read, next to write
	marks  []mark // marks[0] governs r; later ones lie ahead
	drop   int64  // samples dropped, not yet reported
	err    error  // connection error, set until the next connection
	closed bool
	seq    uint64
	center float64 // latest requested center
	rate   float64 // latest requested rate
}

// mark starts a stretch of the byte stream taken at one tuning.
type mark struct {
	pos       int64     // stream byte position of its first sample
	center    float64   // Hz
	rate      float64   // samples/s
	anchor    time.Time // time of the sample at pos
	settleEnd int64     // stream byte position where settling ends
	gap       int64     // samples missed just before pos
}

// timeAt is the time of the sample at stream byte position p ≥ m.pos.
func (m *mark) timeAt(p int64) time.Time {
	return m.anchor.Add(time.Duration(float64((p-m.pos)/2) / m.rate * 1e9))
}

// Dial connects to the rtl_tcp server at addr (host:port), reads its
// header and sends the settings of opt. ctx bounds the dial only.
func Dial(ctx context.Context, addr string, opt Options) (*Client, error) {
	if opt.SampleRate == 0 {
		opt.SampleRate = DefaultRate
	}
	if !(opt.SampleRate > 0 && opt.SampleRate < 1<<32) {
		return nil, fmt.Errorf("rtltcp: dial %s: sample rate %g out of range", addr, opt.SampleRate)
	}
	if opt.Center < 0 || opt.Center >= 1<<32 {
		return nil, fmt.Errorf("rtltcp: dial %s: center %g Hz out of range", addr, opt.Center)
	}
	if opt.Settle == 0 {
		opt.Settle = DefaultSettle
	}
	if opt.RingSamples <= 0 {
		opt.RingSamples = DefaultRingSamples
	}
	if opt.BackoffMin <= 0 {
		opt.BackoffMin = DefaultBackoffMin
	}
	if opt.BackoffMax <= 0 {
		opt.BackoffMax = DefaultBackoffMax
	}
	if opt.BackoffMax < opt.BackoffMin {
		opt.BackoffMax = opt.BackoffMin
	}
	if opt.StallTimeout <= 0 {
		opt.StallTimeout = DefaultStallTimeout
	}
	if opt.DialTimeout <= 0 {
		opt.DialTimeout = DefaultDialTimeout
	}
	c := &Client{
		addr:   addr,
		opt:    opt,
		log:    opt.Logger,
		ring:   make([]byte, 2*opt.RingSamples),
		marks:  make([]mark, 0, 16),
		center: opt.Center,
		rate:   opt.SampleRate,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("stage", "rtltcp", "addr", addr)
	c.cond.L = &c.mu
	c.remember(SampleRateCommand(opt.SampleRate))
	if opt.Center > 0 {
		c.remember(FreqCommand(opt.Center))
	}
	c.remember(GainModeCommand(opt.Gain != 0))
	if opt.Gain != 0 {
		c.remember(GainCommand(opt.Gain))
	}
	if opt.PPM != 0 {
		c.remember(PPMCommand(opt.PPM))
	}
	if opt.AGC {
		c.remember(AGCCommand(true))
	}
	if opt.BiasTee {
		c.remember(BiasTeeCommand(true))
	}
	conn, hdr, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.hdr = hdr
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.start(conn, 0)
	c.wg.Add(1)
	go c.run(conn)
	return c, nil
}

// connect dials, reads the header and sends the remembered settings.
func (c *Client) connect(ctx context.Context) (net.Conn, Header, error) {
	d := net.Dialer{Timeout: c.opt.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, Header{}, fmt.Errorf("rtltcp: dial %s: %w", c.addr, err)
	}
	var buf [HeaderSize]byte
	conn.SetReadDeadline(time.Now().Add(c.opt.DialTimeout))
	if _, err := io.ReadFull(conn, buf[:]); err != nil {
		conn.Close()
		return nil, Header{}, fmt.Errorf("rtltcp: %s: read header: %w", c.addr, err)
	}
	hdr, err := ParseHeader(buf[:])
	if err != nil {
		conn.Close()
		return nil, Header{}, fmt.Errorf("rtltcp: %s: %w", c.addr, err)
	}
	c.wmu.Lock()
	var out []byte // once per connection
	for op := range c.settings {
		if c.set[op] {
			out = c.settings[op].Append(out)
		}
		if Op(op) == OpSetIFGain {
			for _, cmd := range c.ifGains {
				out = cmd.Append(out)
			}
		}
	}
	c.wmu.Unlock()
	conn.SetWriteDeadline(time.Now().Add(c.opt.DialTimeout))
	if _, err := conn.Write(out); err != nil {
		conn.Close()
		return nil, Header{}, fmt.Errorf("rtltcp: %s: send settings: %w", c.addr, err)
	}
	return conn, hdr, nil
}

// start installs conn as the current connection: a new stretch of stream
// begins now, after gap missed samples.
// It reports false, closing conn, if the client was closed meanwhile.
func (c *Client) start(conn net.Conn, gap int64) bool {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		conn.Close()
		return false
	}
	if c.w%2 != 0 {
		c.w-- // half a sample left by the old connection; r is even, so r ≤ w
	}
	c.conn = conn
	c.err = nil
	settle := c.w
	if c.center > 0 {
		settle = c.settleEnd(c.w, c.rate)
	}
	c.addMark(mark{pos: c.w, center: c.center, rate: c.rate, anchor: now, settleEnd: settle, gap: gap})
	c.cond.Broadcast()
	return true
}

func (c *Client) settleEnd(pos int64, rate float64) int64 {
	if c.opt.Settle < 0 {
		return pos
	}
	return pos + 2*int64(math.Ceil(c.opt.Settle.Seconds()*rate))
}

// addMark appends m, merging it with a last mark at the same position.
// Called with mu held.
func (c *Client) addMark(m mark) {
	if n := len(c.marks); n > 0 && c.marks[n-1].pos == m.pos {
		m.gap += c.marks[n-1].gap
		c.marks[n-1] = m
		return
	}
	c.marks = append(c.marks, m) // grows only with retunes, not per block
}

// prune drops the marks the read position has passed, accounting their
// gaps. Called with mu held.
func (c *Client) prune() {
	k := 0
	for k+1 < len(c.marks) && c.marks[k+1].pos <= c.r {
		k++
		c.drop += c.marks[k].gap
		c.marks[k].gap = 0
	}
	if k > 0 {
		n := copy(c.marks, c.marks[k:])
		c.marks = c.marks[:n]
	}
}

// run reads connections until Close, re-dialing if asked to.
func (c *Client) run(conn net.Conn) {
	defer c.wg.Done()
	for {
		err := c.readLoop(conn)
		conn.Close()
		c.mu.Lock()
		closed := c.closed
		c.conn = nil
		if !closed {
			c.err = fmt.Errorf("rtltcp: %s: %w: %w", c.addr, ErrDisconnected, err)
		}
		lastPos := c.w
		var expected time.Time
		if n := len(c.marks); n > 0 {
			expected = c.marks[n-1].timeAt(lastPos)
		}
		c.cond.Broadcast()
		c.mu.Unlock()
		if closed {
			return
		}
		c.log.Warn("connection lost", "err", err)
		c.event(Event{Kind: Disconnected, Err: err})
		if !c.opt.Reconnect {
			return
		}
		var attempts int
		conn, attempts = c.redial()
		if conn == nil {
			return // closed while re-dialing
		}
		gap := int64(0)
		if d := time.Since(expected); !expected.IsZero() && d > 0 {
			c.mu.Lock()
			gap = int64(math.Round(d.Seconds() * c.rate))
			c.mu.Unlock()
		}
		if !c.start(conn, gap) {
			return
		}
		c.log.Info("reconnected", "attempts", attempts, "gap_samples", gap)
		c.event(Event{Kind: Reconnected, Attempts: attempts, Gap: gap})
	}
}

func (c *Client) event(e Event) {
	if c.opt.OnEvent != nil {
		c.opt.OnEvent(e)
	}
}

// redial dials until it succeeds or the client is closed, waiting
// BackoffMin·2^k between attempts (capped at BackoffMax), with "equal
// jitter": half the delay fixed, half uniformly random, so that sensors
// that lost the same server do not re-dial in step.
func (c *Client) redial() (net.Conn, int) {
	delay := c.opt.BackoffMin
	for attempt := 1; ; attempt++ {
		wait := delay/2 + rand.N(delay/2+1)
		t := time.NewTimer(wait)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil, attempt
		case <-t.C:
		}
		conn, hdr, err := c.connect(c.ctx)
		if err == nil {
			c.mu.Lock()
			c.hdr = hdr
			if c.closed {
				c.mu.Unlock()
				conn.Close()
				return nil, attempt
			}
			c.mu.Unlock()
			return conn, attempt
		}
		if attempt == 1 || attempt%10 == 0 {
			c.log.Warn("re-dial failed", "attempt", attempt, "err", err)
		}
		delay = min(2*delay, c.opt.BackoffMax)
	}
}

// readLoop copies the socket into the ring until it fails.
func (c *Client) readLoop(conn net.Conn) error {
	buf := make([]byte, 64<<10) // once per connection
	for {
		conn.SetReadDeadline(time.Now().Add(c.opt.StallTimeout))
		n, err := conn.Read(buf)
		if n > 0 {
			c.put(buf[:n])
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("stream stalled: no data for %v", c.opt.StallTimeout)
			}
			return err
		}
	}
}

// put appends p to the ring, dropping the oldest unread samples if it
// overflows.
func (c *Client) put(p []byte) {
	c.mu.Lock()
	size := int64(len(c.ring))
	if len(p) > len(c.ring) {
		c.w += int64(len(p) - len(c.ring))
		p = p[len(p)-len(c.ring):]
	}
	off := int(c.w % size)
	k := copy(c.ring[off:], p)
	copy(c.ring, p[k:])
	c.w += int64(len(p))
	if over := c.w - c.r - size; over > 0 {
		over += over & 1 // keep r on a sample boundary
		c.r += over
		c.drop += over / 2
		c.prune()
	}
	c.cond.Broadcast()
	c.mu.Unlock()
}

// Header is the header the server sent on the latest connection.
func (c *Client) Header() Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hdr
}

// ReadBlock fills b with the next samples (see sdr.Source and Client). It
// waits for a full block unless the block is cut short by a retune, the
// end of settling or the end of a connection.
func (c *Client) ReadBlock(b *sdr.Block) error {
	if cap(b.Samples) == 0 {
		return sdr.ErrNoBuffer
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	size := int64(len(c.ring))
	for {
		if c.closed {
			return ErrClosed
		}
		c.prune()
		m := &c.marks[0]
		limit := c.r + min(2*int64(cap(b.Samples)), size/2)
		if len(c.marks) > 1 {
			limit = min(limit, c.marks[1].pos)
		}
		if c.r < m.settleEnd {
			limit = min(limit, m.settleEnd)
		}
		avail := c.w - c.r
		avail -= avail & 1
		if c.r+avail >= limit {
			break
		}
		if c.err != nil && len(c.marks) == 1 {
			if avail > 0 && c.conn == nil {
				break // the rest of a dead connection
			}
			if !c.opt.Reconnect && avail == 0 {
				return c.err
			}
		}
		c.cond.Wait()
	}
	m := &c.marks[0]
	end := c.r + min(2*int64(cap(b.Samples)), size/2)
	if len(c.marks) > 1 {
		end = min(end, c.marks[1].pos)
	}
	if c.r < m.settleEnd {
		end = min(end, m.settleEnd)
	}
	end = min(end, c.w-(c.w&1))
	n := int(end-c.r) / 2
	off := int(c.r % size)
	b.Samples = b.Samples[:n]
	first := min(len(c.ring)-off, 2*n)
	k := sdr.CU8.Decode(b.Samples, c.ring[off:off+first])
	if k < n {
		sdr.CU8.Decode(b.Samples[k:], c.ring[:2*(n-k)])
	}
	b.Center = m.center
	b.Rate = m.rate
	b.Time = m.timeAt(c.r)
	b.Settling = c.r < m.settleEnd
	b.Seq = c.seq
	b.Dropped = c.drop
	c.seq++
	c.drop = 0
	c.r = end
	return nil
}

// Close ends the connection and the client's goroutine; ReadBlock then
// returns ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conn := c.conn
	c.cond.Broadcast()
	c.mu.Unlock()
	c.cancel()
	if conn != nil {
		conn.Close()
	}
	c.wg.Wait()
	return nil
}

// remember records cmd as the setting to re-send on every connection.
func (c *Client) remember(cmd Command) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.rememberLocked(cmd)
}

func (c *Client) rememberLocked(cmd Command) {
	if cmd.Op == OpSetIFGain {
		if c.ifGains == nil {
			c.ifGains = map[int]Command{}
		}
		s, _ := cmd.IFGain()
		c.ifGains[s] = cmd
		return
	}
	if cmd.Op.Known() {
		c.settings[cmd.Op], c.set[cmd.Op] = cmd, true
	}
}

// Send sends cmd to the server and remembers it for reconnections. While
// disconnected, with Reconnect the command is only remembered and Send
// returns nil; without, it returns an error wrapping ErrDisconnected.
// Prefer the typed setters: Send does not update Center or Rate.
func (c *Client) Send(cmd Command) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.sendLocked(cmd)
}

func (c *Client) sendLocked(cmd Command) error {
	c.rememberLocked(cmd)
	c.mu.Lock()
	conn, closed := c.conn, c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if conn == nil {
		if c.opt.Reconnect {
			return nil
		}
		return fmt.Errorf("rtltcp: %s: send %v: %w", c.addr, cmd, ErrDisconnected)
	}
	var buf [CommandSize]byte
	conn.SetWriteDeadline(time.Now().Add(c.opt.DialTimeout))
	if _, err := conn.Write(cmd.Append(buf[:0])); err != nil {
		if c.opt.Reconnect {
			return nil // the reader sees the loss too; settings go out on reconnect
		}
		return fmt.Errorf("rtltcp: %s: send %v: %w: %w", c.addr, cmd, ErrDisconnected, err)
	}
	return nil
}

// Tune retunes to hz. Samples received from now on carry the new Center
// and are Settling for Options.Settle.
func (c *Client) Tune(hz float64) error {
	if !(hz > 0 && hz < 1<<32) {
		return fmt.Errorf("rtltcp: tune to %g Hz: out of range", hz)
	}
	return c.retune(FreqCommand(hz), hz, 0)
}

// SetSampleRate changes the sample rate, samples/s. Like Tune, it starts a
// new stretch of Settling samples, with the time base re-anchored.
func (c *Client) SetSampleRate(hz float64) error {
	if !(hz > 0 && hz < 1<<32) {
		return fmt.Errorf("rtltcp: sample rate %g: out of range", hz)
	}
	return c.retune(SampleRateCommand(hz), 0, hz)
}

func (c *Client) retune(cmd Command, center, rate float64) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if center > 0 {
		c.center = center
	}
	if rate > 0 {
		c.rate = rate
	}
	if c.conn != nil && len(c.marks) > 0 {
		last := c.marks[len(c.marks)-1]
		pos := c.w - c.w&1
		c.addMark(mark{pos: pos, center: c.center, rate: c.rate, anchor: last.timeAt(pos), settleEnd: c.settleEnd(pos, c.rate)})
	}
	c.mu.Unlock()
	return c.sendLocked(cmd)
}

// Center is the latest requested center frequency, Hz.
func (c *Client) Center() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.center
}

// Rate is the latest requested sample rate, samples/s.
func (c *Client) Rate() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate
}

// SetGainMode selects manual (true) or automatic tuner gain.
func (c *Client) SetGainMode(manual bool) error { return c.Send(GainModeCommand(manual)) }

// SetGain sets the manual tuner gain, tenths of dB; the server picks the
// nearest step of its tuner. Call SetGainMode(true) first.
func (c *Client) SetGain(tenthsDB int) error { return c.Send(GainCommand(tenthsDB)) }

// SetPPM sets the frequency correction, parts per million.
func (c *Client) SetPPM(ppm int) error { return c.Send(PPMCommand(ppm)) }

// SetAGC switches the RTL2832's digital AGC.
func (c *Client) SetAGC(on bool) error { return c.Send(AGCCommand(on)) }

// SetBiasTee switches the bias tee.
func (c *Client) SetBiasTee(on bool) error { return c.Send(BiasTeeCommand(on)) }
