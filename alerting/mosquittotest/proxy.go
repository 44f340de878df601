package mosquittotest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy relays TCP connections from a loopback port to a target address
// (usually a Broker's Addr or TLSAddr) and can cut them: the broker then
// sees a client vanish without DISCONNECT (and publishes its last will),
// and the client sees its connection die, as when a cable is pulled or a
// NAT forgets the flow.
type Proxy struct {
	t      testing.TB
	target string
	ln     net.Listener

	mu       sync.Mutex
	conns    map[net.Conn]bool // true for the client side
	refuse   bool
	accepted int
	closed   bool
	wg       sync.WaitGroup
}

// NewProxy listens on a free loopback port and relays to target
// ("127.0.0.1:1883") until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mosquittotest: proxy listen: %v", err)
	}
	p := &Proxy{t: t, target: target, ln: ln, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is "tcp://" + Addr. For a TLS target use "ssl://" + Addr: the broker's
// certificate names 127.0.0.1.
func (p *Proxy) URL() string { return "tcp://" + p.Addr() }

// Refuse makes the proxy close new connections at once (on) or relay them
// again (off); connections already relayed are not touched. With it a test
// keeps a client away from a restarted broker until the test is ready.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
}

// Accepted counts the connections the proxy accepted so far, refused ones
// included: the client's connection attempts.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Cut resets every relayed connection (both sides, RST rather than FIN)
// and returns how many client connections it cut.
func (p *Proxy) Cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c, isClient := range p.conns {
		if isClient {
			n++
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
		delete(p.conns, c)
	}
	return n
}

// Close stops listening and cuts every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	_ = p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		refuse := p.refuse || p.closed
		p.mu.Unlock()
		if refuse {
			_ = c.Close()
			continue
		}
		p.wg.Add(1)
		go p.relay(c)
	}
}

func (p *Proxy) relay(client net.Conn) {
	defer p.wg.Done()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		// The target is down: the client sees its connection close, as
		// it would see a refused connection through a NAT.
		_ = client.Close()
		return
	}
	if !p.track(client, server) {
		_ = client.Close()
		_ = server.Close()
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, err := io.Copy(dst, src)
		if err == nil || errors.Is(err, net.ErrClosed) {
			// Half-close towards dst so that a FIN travels through.
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
		}
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	// One side ended: end the other so that both parties notice.
	p.untrack(client, server)
	_ = client.Close()
	_ = server.Close()
	<-done
}

// track registers a relayed pair; it refuses once the proxy is closed.
func (p *Proxy) track(client, server net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[client] = true
	p.conns[server] = false
	return true
}

func (p *Proxy) untrack(client, server net.Conn) {
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}
