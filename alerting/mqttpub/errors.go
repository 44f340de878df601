package mqttpub

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// Errors callers can test with errors.Is.
var (
	// ErrAuth: the broker refused the user name, the password or the
	// client's right to connect (CONNACK 4 or 5).
	ErrAuth = errors.New("broker refused the credentials")
	// ErrCertificate: a TLS certificate was refused, by the sensor (the
	// broker's) or by the broker (the sensor's).
	ErrCertificate = errors.New("TLS certificate refused")
	// ErrLocalFile: a file of the configuration (password, CA,
	// certificate, key) could not be read or used.
	ErrLocalFile = errors.New("credential file unusable")
	// ErrOffline is returned by PublishHealth and PublishBurst while the
	// publisher has no connection: the message is dropped.
	ErrOffline = errors.New("not connected to the broker")
	// ErrBufferFull is returned by PublishBurst when bursts arrive faster
	// than the connection takes them: the burst is dropped.
	ErrBufferFull = errors.New("burst buffer full")
)

// Kind classifies a connection failure, which decides how soon to retry.
type Kind int

// Kinds of failure.
const (
	KindNone    Kind = iota
	KindNetwork      // broker unreachable or connection lost: normal backoff
	KindRefused      // broker refused for another reason (unavailable, protocol, client id): normal backoff
	KindAuth         // credentials refused: slow backoff
	KindTLS          // certificate refused, or the broker does not speak TLS: slow backoff
	KindLocal        // a local file is unreadable or malformed: slow backoff
)

func (k Kind) String() string {
	switch k {
	case KindNone:
		return "none"
	case KindNetwork:
		return "network"
	case KindRefused:
		return "refused"
	case KindAuth:
		return "auth"
	case KindTLS:
		return "tls"
	case KindLocal:
		return "local"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Slow reports whether a failure of this kind needs a person to fix
// something, so that retrying soon only loads the broker.
func (k Kind) Slow() bool { return k == KindAuth || k == KindTLS || k == KindLocal }

// ConnectError is a failed connection with its classification and a
// sentence that tells the technician what to fix.
type ConnectError struct {
	Kind   Kind
	Broker string
	Msg    string // what went wrong, without secrets
	Hint   string // what to check ("" when there is nothing to add)
	Err    error  // the underlying error
}

func (e *ConnectError) Error() string {
	s := e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

func (e *ConnectError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrAuth) (ErrCertificate, ErrLocalFile) true for
// a failure of that kind.
func (e *ConnectError) Is(target error) bool {
	switch target {
	case ErrAuth:
		return e.Kind == KindAuth
	case ErrCertificate:
		return e.Kind == KindTLS
	case ErrLocalFile:
		return e.Kind == KindLocal
	}
	return false
}

// classify turns an error of a connection attempt (paho's Connect token,
// or one of ours before dialing) into a ConnectError.
func (c *Config) classify(err error) *ConnectError {
	if err == nil {
		return nil
	}
	var ce *ConnectError
	if errors.As(err, &ce) {
		return ce
	}
	e := &ConnectError{Broker: c.Broker, Err: err}
	who := "anonymous access"
	if c.Username != "" {
		who = fmt.Sprintf("user %q", c.Username)
		if c.PasswordFile != "" {
			who += fmt.Sprintf(" (password from %s)", c.PasswordFile)
		}
	} else if c.CertFile != "" {
		who = fmt.Sprintf("the client certificate %s", c.CertFile)
	}

	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		header    tls.RecordHeaderError
		verify    *tls.CertificateVerificationError
		handshake *handshakeError
		refused   *certRefusedError
	)
	switch {
	case errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword), errors.Is(err, packets.ErrorRefusedNotAuthorised):
		e.Kind = KindAuth
		e.Msg = fmt.Sprintf("broker %s refused %s", c.Broker, who)
		if c.Username != "" {
			e.Hint = "check the user name, the password in the file, and that the broker's password file has this user; retrying slowly"
		} else {
			e.Hint = "set a username and password_file, or a client certificate; retrying slowly"
		}
	case errors.As(err, &unknownCA):
		// The error names the certificate that failed to chain, which
		// may be the broker's CA when it sends it along; the leaf the
		// broker presented says more.
		cert := unknownCA.Cert
		if errors.As(err, &verify) && len(verify.UnverifiedCertificates) > 0 {
			cert = verify.UnverifiedCertificates[0]
		}
		e.Kind = KindTLS
		e.Msg = fmt.Sprintf("TLS to %s: the broker's certificate (%s, issued by %s) is not signed by a CA in %s",
			c.Broker, certName(cert), issuerName(cert), c.caName())
		e.Hint = "give the site's CA certificate in ca_file; retrying slowly"
	case errors.As(err, &hostname):
		e.Kind = KindTLS
		e.Msg = fmt.Sprintf("TLS to %s: the broker's certificate is for %s, not for %q",
			c.Broker, certNames(hostname.Certificate), hostname.Host)
		e.Hint = "fix the host in the broker URL or set server_name; retrying slowly"
	case errors.As(err, &invalid):
		e.Kind = KindTLS
		e.Msg = fmt.Sprintf("TLS to %s: the broker's certificate (%s) is not valid", c.Broker, certName(invalid.Cert))
		e.Hint = "expired, not yet valid (check the clocks) or not a server certificate; retrying slowly"
	case errors.As(err, &header):
		e.Kind = KindTLS
		e.Msg = fmt.Sprintf("TLS to %s: the broker does not speak TLS on this port", c.Broker)
		e.Hint = "is it the plain listener (use tcp://) or the wrong port? retrying slowly"
	case errors.As(err, &refused), strings.Contains(err.Error(), "remote error: tls:"):
		// The broker ended the handshake with an alert. With TLS 1.3 the
		// client's certificate is checked after the client's side of the
		// handshake is done, so this may surface while reading CONNACK.
		e.Kind = KindTLS
		if c.CertFile == "" {
			e.Msg = fmt.Sprintf("TLS to %s: the broker refused the handshake", c.Broker)
			e.Hint = "it probably requires a client certificate: set cert_file and key_file; retrying slowly"
		} else {
			e.Msg = fmt.Sprintf("TLS to %s: the broker refused the client certificate %s", c.Broker, c.CertFile)
			e.Hint = "is it signed by a CA the broker trusts, still valid, not revoked? retrying slowly"
		}
	case errors.Is(err, packets.ErrorRefusedIDRejected):
		e.Kind = KindRefused
		e.Msg = fmt.Sprintf("broker %s rejected client id %q", c.Broker, c.ClientID)
	case errors.Is(err, packets.ErrorRefusedServerUnavailable), errors.Is(err, packets.ErrorRefusedBadProtocolVersion):
		e.Kind = KindRefused
		e.Msg = fmt.Sprintf("broker %s refused the connection", c.Broker)
	case errors.As(err, &handshake):
		// Closed or reset during the handshake: what a plain listener
		// does with a TLS hello, but also what an overloaded broker or
		// a network blip does, so the normal backoff.
		e.Kind = KindNetwork
		e.Msg = fmt.Sprintf("TLS handshake with %s failed", c.Broker)
		e.Hint = "is this port the broker's TLS listener?"
	default:
		e.Kind = KindNetwork
		e.Msg = fmt.Sprintf("cannot reach broker %s", c.Broker)
	}
	return e
}

// handshakeError marks a failure during the TLS handshake (as opposed to
// the TCP connect or the MQTT exchange after it).
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return "TLS handshake: " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// localError marks a failure to prepare a connection from our own files.
func (c *Config) localError(err error) *ConnectError {
	return &ConnectError{Kind: KindLocal, Broker: c.Broker, Msg: "cannot prepare the connection to " + c.Broker, Err: err, Hint: "retrying slowly"}
}

func (c *Config) caName() string {
	if c.CAFile == "" {
		return "the system's trusted roots"
	}
	return "ca_file " + c.CAFile
}

func certName(cert *x509.Certificate) string {
	if cert == nil {
		return "unknown subject"
	}
	return "CN=" + cert.Subject.CommonName
}

func issuerName(cert *x509.Certificate) string {
	if cert == nil {
		return "an unknown issuer"
	}
	return "CN=" + cert.Issuer.CommonName
}

func certNames(cert *x509.Certificate) string {
	if cert == nil {
		return "other names"
	}
	var names []string
	names = append(names, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no host name"
	}
	return strings.Join(names, ", ")
}
