package mqttpub

import (
	"crypto/tls"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// dial opens the network connection for paho. Doing it here rather than in
// paho lets the error say where a TLS connection failed: paho reports a
// failed handshake and a connection the broker dropped before CONNACK
// alike, as a network error, but the second, after a handshake in which
// the broker asked for a client certificate, is the broker refusing that
// certificate. WebSocket URLs are left to paho.
func (p *Publisher) dial(tlsCfg *tls.Config) mqtt.OpenConnectionFunc {
	return func(uri *url.URL, _ mqtt.ClientOptions) (net.Conn, error) {
		d := net.Dialer{Timeout: p.cfg.ConnectTimeout}
		conn, err := d.Dial("tcp", uri.Host)
		if err != nil || tlsCfg == nil {
			return conn, err
		}
		cfg := tlsCfg.Clone()
		certs := cfg.Certificates
		cfg.Certificates = nil
		var asked atomic.Bool
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			asked.Store(true)
			if len(certs) > 0 {
				return &certs[0], nil
			}
			return &tls.Certificate{}, nil // none: the broker decides
		}
		tc := tls.Client(conn, cfg)
		_ = tc.SetDeadline(time.Now().Add(p.cfg.ConnectTimeout))
		if err := tc.Handshake(); err != nil {
			_ = conn.Close()
			return nil, &handshakeError{err}
		}
		_ = tc.SetDeadline(time.Time{})
		if asked.Load() && tc.ConnectionState().Version >= tls.VersionTLS13 {
			// In TLS 1.3 the client's handshake ends before the server
			// has checked the client's certificate: a refusal comes as
			// an alert, or just a reset, on the first read or write.
			return &watchConn{Conn: tc, sentCert: len(certs) > 0}, nil
		}
		return tc, nil
	}
}

// watchConn marks the I/O errors of a TLS 1.3 connection up to its first
// successful read (CONNACK) as a likely refusal of the client certificate.
type watchConn struct {
	net.Conn
	sentCert bool
	mu       sync.Mutex
	readOK   bool
}

func (c *watchConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	if n > 0 {
		c.readOK = true
	}
	if err != nil && !c.readOK {
		err = &certRefusedError{err: err, sentCert: c.sentCert}
	}
	return n, err
}

func (c *watchConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil && !c.readOK {
		err = &certRefusedError{err: err, sentCert: c.sentCert}
	}
	return n, err
}

// certRefusedError: the broker, which asked for a client certificate,
// ended the connection before answering CONNECT.
type certRefusedError struct {
	err      error
	sentCert bool
}

func (e *certRefusedError) Error() string {
	if e.sentCert {
		return "broker closed the connection after checking the client certificate: " + e.err.Error()
	}
	return "broker asked for a client certificate, got none, and closed the connection: " + e.err.Error()
}

func (e *certRefusedError) Unwrap() error { return e.err }
