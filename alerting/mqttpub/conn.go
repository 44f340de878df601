package mqttpub

import "crypto/tls"

// TLSConfig is the TLS configuration a client of the broker in cfg uses:
// cfg's CA file, client certificate and server name, as the publisher
// builds it at each connection. The console's subscriber connects with it
// too, so that both speak to the broker the same way.
func TLSConfig(cfg Config) (*tls.Config, error) { return cfg.tlsConfig() }

// ReadPassword reads a password file as the publisher does: the password
// alone on its first line, a trailing newline ignored.
func ReadPassword(file string) (string, error) {
	p, err := readPassword(file)
	return string(p), err
}
