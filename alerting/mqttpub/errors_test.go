package mqttpub

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// pahoNet wraps err as paho's Connect does for a failure below MQTT.
func pahoNet(err error) error { return fmt.Errorf("%w : %w", packets.ErrorNetworkError, err) }

func TestClassify(t *testing.T) {
	brokerCert := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		Issuer:      pkix.Name{CommonName: "rogue CA"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	withUser := func(c *Config) { c.Username, c.PasswordFile = "sensor-a", "/etc/cellsentry/mqtt.pass" }
	withCA := func(c *Config) { c.Broker, c.CAFile = "ssl://b:8883", "/etc/cellsentry/ca.pem" }
	withCert := func(c *Config) { withCA(c); c.CertFile, c.KeyFile = "/etc/cellsentry/s.crt", "/etc/cellsentry/s.key" }
	cases := []struct {
		name     string
		cfg      func(c *Config)
		err      error
		kind     Kind
		sentinel error
		want     string
	}{
		{"wrong password", withUser, packets.ErrorRefusedNotAuthorised, KindAuth, ErrAuth,
			`broker tcp://b:1883 refused user "sensor-a" (password from /etc/cellsentry/mqtt.pass): not Authorized; check the user name, the password in the file, and that the broker's password file has this user; retrying slowly`},
		{"bad user name or password", withUser, packets.ErrorRefusedBadUsernameOrPassword, KindAuth, ErrAuth,
			`broker tcp://b:1883 refused user "sensor-a" (password from /etc/cellsentry/mqtt.pass): bad user name or password; check the user name, the password in the file, and that the broker's password file has this user; retrying slowly`},
		{"anonymous refused", nil, packets.ErrorRefusedNotAuthorised, KindAuth, ErrAuth,
			`broker tcp://b:1883 refused anonymous access: not Authorized; set a username and password_file, or a client certificate; retrying slowly`},
		{"certificate refused as user", withCert, packets.ErrorRefusedNotAuthorised, KindAuth, ErrAuth,
			`broker ssl://b:8883 refused the client certificate /etc/cellsentry/s.crt: not Authorized; set a username and password_file, or a client certificate; retrying slowly`},
		{"connection refused", nil, pahoNet(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), KindNetwork, nil,
			`cannot reach broker tcp://b:1883: network Error : dial tcp: connection refused`},
		{"unknown CA", withCA, pahoNet(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{Cert: brokerCert}}), KindTLS, ErrCertificate,
			`TLS to ssl://b:8883: the broker's certificate (CN=localhost, issued by CN=rogue CA) is not signed by a CA in ca_file /etc/cellsentry/ca.pem: network Error : tls: failed to verify certificate: x509: certificate signed by unknown authority; give the site's CA certificate in ca_file; retrying slowly`},
		{"unknown CA, system roots", func(c *Config) { c.Broker = "ssl://b:8883" }, x509.UnknownAuthorityError{Cert: brokerCert}, KindTLS, ErrCertificate,
			`TLS to ssl://b:8883: the broker's certificate (CN=localhost, issued by CN=rogue CA) is not signed by a CA in the system's trusted roots: x509: certificate signed by unknown authority; give the site's CA certificate in ca_file; retrying slowly`},
		{"host name mismatch", withCA, pahoNet(x509.HostnameError{Certificate: brokerCert, Host: "broker.example"}), KindTLS, ErrCertificate,
			`TLS to ssl://b:8883: the broker's certificate is for localhost, 127.0.0.1, not for "broker.example": network Error : x509: certificate is valid for localhost, not broker.example; fix the host in the broker URL or set server_name; retrying slowly`},
		{"expired", withCA, x509.CertificateInvalidError{Cert: brokerCert, Reason: x509.Expired, Detail: "now is later"}, KindTLS, ErrCertificate,
			`TLS to ssl://b:8883: the broker's certificate (CN=localhost) is not valid: x509: certificate has expired or is not yet valid: now is later; expired, not yet valid (check the clocks) or not a server certificate; retrying slowly`},
		{"plain port", withCA, pahoNet(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), KindTLS, ErrCertificate,
			`TLS to ssl://b:8883: the broker does not speak TLS on this port: network Error : tls: first record does not look like a TLS handshake; is it the plain listener (use tcp://) or the wrong port? retrying slowly`},
		{"client certificate required", withCA, pahoNet(errors.New("remote error: tls: certificate required")), KindTLS, ErrCertificate,
			`TLS to ssl://b:8883: the broker refused the handshake: network Error : remote error: tls: certificate required; it probably requires a client certificate: set cert_file and key_file; retrying slowly`},
		{"client certificate refused", withCert, pahoNet(errors.New("remote error: tls: unknown certificate authority")), KindTLS, ErrCertificate,
			`TLS to ssl://b:8883: the broker refused the client certificate /etc/cellsentry/s.crt: network Error : remote error: tls: unknown certificate authority; is it signed by a CA the broker trusts, still valid, not revoked? retrying slowly`},
		{"client id rejected", nil, packets.ErrorRefusedIDRejected, KindRefused, nil,
			`broker tcp://b:1883 rejected client id "sensor-a": identifier rejected`},
		{"server unavailable", nil, packets.ErrorRefusedServerUnavailable, KindRefused, nil,
			`broker tcp://b:1883 refused the connection: server Unavailable`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{Broker: "tcp://b:1883", ClientID: "sensor-a"}
			if tc.cfg != nil {
				tc.cfg(&c)
			}
			ce := c.classify(tc.err)
			if ce.Kind != tc.kind {
				t.Errorf("kind %v, want %v", ce.Kind, tc.kind)
			}
			if ce.Error() != tc.want {
				t.Errorf("message\n%s\nwant\n%s", ce.Error(), tc.want)
			}
			if !errors.Is(ce, tc.err) {
				t.Errorf("the classified error does not wrap the original")
			}
			for _, s := range []error{ErrAuth, ErrCertificate, ErrLocalFile} {
				if got := errors.Is(ce, s); got != (s == tc.sentinel) {
					t.Errorf("errors.Is(err, %v) = %t", s, got)
				}
			}
			if slow := tc.kind == KindAuth || tc.kind == KindTLS; ce.Kind.Slow() != slow {
				t.Errorf("Slow() = %t, want %t", ce.Kind.Slow(), slow)
			}
		})
	}
	t.Run("local file", func(t *testing.T) {
		c := Config{Broker: "tcp://b:1883"}
		ce := c.classify(fmt.Errorf("wrapped: %w", c.localError(errors.New("password file: open /x: permission denied"))))
		want := "cannot prepare the connection to tcp://b:1883: password file: open /x: permission denied; retrying slowly"
		if ce.Kind != KindLocal || !ce.Kind.Slow() || !errors.Is(ce, ErrLocalFile) || ce.Error() != want {
			t.Errorf("got %v %q, want local, slow, %q", ce.Kind, ce.Error(), want)
		}
	})
}
