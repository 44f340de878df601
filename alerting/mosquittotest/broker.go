package mosquittotest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options configure a broker. The zero value is an anonymous broker with one
// plain listener.
type Options struct {
	// Users maps user names to passwords. When it is not empty the broker
	// gets a password file and refuses anonymous clients.
	Users map[string]string
	// ACL is the content of the broker's acl_file ("" for none: everyone
	// may read and write everything). ProductACL writes the product's.
	ACL string
	// TLS adds a second listener speaking TLS, with a certificate for
	// localhost and 127.0.0.1 signed by a CA generated for this broker
	// (CAFile).
	TLS bool
	// RequireCertificate makes the TLS listener demand a client
	// certificate signed by the same CA (mutual TLS; see ClientCert).
	RequireCertificate bool
	// UseIdentityAsUsername takes the common name of the client
	// certificate as the user name on the TLS listener (the password file
	// is not consulted there). It needs RequireCertificate.
	UseIdentityAsUsername bool
	// Debug logs every packet (log_type all): the broker then also logs
	// the publishes the ACL denied. Off by default because a benchmark's
	// log would grow by a line per message.
	Debug bool
	// Config is appended to the generated mosquitto.conf as it is.
	Config string
	// Persist turns mosquitto's persistence on (in Dir): a Stop/Restart
	// then keeps sessions, queued QoS 1 messages and retained messages,
	// as a site broker must (it has acknowledged alerts it has not yet
	// forwarded over its bridge). Off by default: a restart loses
	// everything, like a broker that crashed with an empty disk.
	Persist bool
	// Bridge, when set, forwards topics to a central broker (see Bridge).
	Bridge *Bridge
	// MaxQueued is mosquitto's max_queued_messages: how many QoS 1
	// messages the broker keeps per persistent session (a console's or a
	// bridge's) while it is away or slow (default 0: mosquitto's 1000; beyond it
	// mosquitto drops messages).
	MaxQueued int
}

// Broker is a running Mosquitto started by Start.
type Broker struct {
	t       testing.TB
	opt     Options
	bin     string
	dir     string
	conf    string
	port    int
	tlsPort int

	ca     *authority
	caFile string

	log logBuffer

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	clients map[string][2]string
}

// mosquittoName is the broker's executable; a test replaces it to check the
// message given when it is missing.
var mosquittoName = "mosquitto"

// installHint is what a developer must do when the broker is missing; CI
// installs it the same way.
const installHint = "install mosquitto: apt-get install -y mosquitto"

// startTimeout bounds the wait for the broker's "running" log line (it
// takes ~20 ms here; the margin is for a loaded CI machine).
const startTimeout = 15 * time.Second

// Start runs a broker for the test and stops it when the test ends. It
// fails the test (never skips it) when Mosquitto is not installed. Call it,
// Stop and Restart from the test's goroutine: they report problems with
// t.Fatalf.
func Start(t testing.TB, opt Options) *Broker {
	t.Helper()
	if opt.UseIdentityAsUsername && !opt.RequireCertificate {
		t.Fatalf("mosquittotest: UseIdentityAsUsername needs RequireCertificate")
	}
	if opt.RequireCertificate && !opt.TLS {
		t.Fatalf("mosquittotest: RequireCertificate needs TLS")
	}
	bin, err := lookBinary(mosquittoName)
	if err != nil {
		t.Fatalf("mosquittotest: %v", err)
		return nil
	}
	b := &Broker{t: t, opt: opt, bin: bin, dir: t.TempDir(), clients: map[string][2]string{}}
	b.conf = filepath.Join(b.dir, "mosquitto.conf")
	t.Cleanup(func() {
		b.Stop()
		if t.Failed() {
			t.Logf("mosquitto log (%s):\n%s", b.conf, b.Log())
		}
	})
	if err := b.writeFiles(); err != nil {
		t.Fatalf("mosquittotest: %v", err)
	}
	if opt.Bridge != nil {
		if _, err := opt.Bridge.config(); err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
	}
	// A free port found by listening and closing may be taken by someone
	// else before mosquitto binds it; try again with new ports then.
	for attempt := 1; ; attempt++ {
		if err := b.pickPorts(); err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		err := b.start()
		if err == nil {
			return b
		}
		if attempt == 5 || !strings.Contains(err.Error(), "Address already in use") {
			t.Fatalf("mosquittotest: %v", err)
		}
	}
}

// lookBinary finds an executable in PATH or in the sbin directories, which
// are not in a normal user's PATH on Debian although mosquitto lives there.
func lookBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH nor in /usr/sbin: %s", name, installHint)
}

// writeFiles writes the password file, the ACL and the TLS material; the
// configuration itself is written by pickPorts, which knows the ports.
func (b *Broker) writeFiles() error {
	if len(b.opt.Users) > 0 {
		if err := writePasswords(filepath.Join(b.dir, "passwd"), b.opt.Users); err != nil {
			return err
		}
	}
	if b.opt.ACL != "" {
		if err := os.WriteFile(filepath.Join(b.dir, "acl"), []byte(b.opt.ACL), 0o600); err != nil {
			return fmt.Errorf("write acl: %w", err)
		}
	}
	if b.opt.TLS {
		ca, err := newAuthority("cellsentry test CA")
		if err != nil {
			return err
		}
		b.ca = ca
		b.caFile = filepath.Join(b.dir, "ca.crt")
		if err := os.WriteFile(b.caFile, ca.pem(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", b.caFile, err)
		}
		certPEM, keyPEM, err := ca.issue("localhost", true)
		if err != nil {
			return err
		}
		if _, _, err := writePair(b.dir, "server", certPEM, keyPEM); err != nil {
			return err
		}
	}
	return nil
}

// writePasswords writes "user:password" lines and lets mosquitto_passwd
// hash them in place (-U), so the file has exactly the format the
// installed broker reads.
func writePasswords(file string, users map[string]string) error {
	var buf bytes.Buffer
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	slices.Sort(names)
	for _, u := range names {
		// mosquitto_passwd -U cuts a line at its second ':' too.
		if strings.ContainsAny(u, ":\n") || strings.ContainsAny(users[u], ":\n") {
			return fmt.Errorf("user %q: neither the name nor the password may contain ':' or a newline", u)
		}
		fmt.Fprintf(&buf, "%s:%s\n", u, users[u])
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	bin, err := lookBinary("mosquitto_passwd")
	if err != nil {
		return err
	}
	if out, err := exec.Command(bin, "-U", file).CombinedOutput(); err != nil {
		return fmt.Errorf("%s -U %s: %w: %s", bin, file, err, bytes.TrimSpace(out))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (b *Broker) pickPorts() error {
	var err error
	if b.port, err = freePort(); err != nil {
		return err
	}
	if b.opt.TLS {
		if b.tlsPort, err = freePort(); err != nil {
			return err
		}
	}
	return os.WriteFile(b.conf, []byte(b.config()), 0o600)
}

// config is the mosquitto.conf text.
func (b *Broker) config() string {
	var c strings.Builder
	fmt.Fprintf(&c, "# written by mosquittotest for %s\n", b.t.Name())
	// Persistence off unless asked: a Restart must lose sessions and
	// retained messages like a broker that crashed with an empty disk, so
	// that an outage test relies on the sensor's queue and nothing else.
	if b.opt.Persist {
		fmt.Fprintf(&c, "persistence true\npersistence_location %s/\n", b.dir)
	} else {
		c.WriteString("persistence false\n")
	}
	// stderr is unbuffered (stdout is buffered and loses the last lines).
	c.WriteString("log_dest stderr\n")
	if b.opt.Debug {
		c.WriteString("log_type all\n")
	} else {
		c.WriteString("log_type error\nlog_type warning\nlog_type notice\nlog_type information\nlog_type subscribe\nlog_type unsubscribe\n")
	}
	c.WriteString("log_timestamp_format %H:%M:%S\n")
	if os.Geteuid() == 0 {
		// Started as root, mosquitto drops to user "mosquitto", which
		// cannot read files in the test's private temporary directory;
		// "user root" keeps it as root (with a warning in its log).
		c.WriteString("user root\n")
	}
	c.WriteString("per_listener_settings false\n")
	fmt.Fprintf(&c, "allow_anonymous %t\n", len(b.opt.Users) == 0 && !b.opt.UseIdentityAsUsername)
	if len(b.opt.Users) > 0 {
		fmt.Fprintf(&c, "password_file %s\n", filepath.Join(b.dir, "passwd"))
	}
	if b.opt.ACL != "" {
		fmt.Fprintf(&c, "acl_file %s\n", filepath.Join(b.dir, "acl"))
	}
	fmt.Fprintf(&c, "\nlistener %d 127.0.0.1\n", b.port)
	if b.opt.TLS {
		fmt.Fprintf(&c, "\nlistener %d 127.0.0.1\n", b.tlsPort)
		fmt.Fprintf(&c, "cafile %s\n", b.caFile)
		fmt.Fprintf(&c, "certfile %s\n", filepath.Join(b.dir, "server.crt"))
		fmt.Fprintf(&c, "keyfile %s\n", filepath.Join(b.dir, "server.key"))
		fmt.Fprintf(&c, "require_certificate %t\n", b.opt.RequireCertificate)
		fmt.Fprintf(&c, "use_identity_as_username %t\n", b.opt.UseIdentityAsUsername)
	}
	if b.opt.MaxQueued > 0 {
		fmt.Fprintf(&c, "max_queued_messages %d\n", b.opt.MaxQueued)
	}
	if b.opt.Config != "" {
		c.WriteString("\n" + b.opt.Config + "\n")
	}
	if b.opt.Bridge != nil {
		// Checked by Start.
		bc, _ := b.opt.Bridge.config()
		c.WriteString(bc)
	}
	return c.String()
}

// start runs mosquitto and waits for its "running" log line (dialing the
// port instead would add a connection to the log that tests count).
func (b *Broker) start() error {
	mark := b.log.Len()
	cmd := exec.Command(b.bin, "-c", b.conf)
	cmd.Stdout = &b.log
	cmd.Stderr = &b.log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s -c %s: %w", b.bin, b.conf, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	deadline := time.Now().Add(startTimeout)
	for {
		if strings.Contains(b.log.From(mark), " running") {
			break
		}
		select {
		case <-done:
			return fmt.Errorf("mosquitto -c %s exited at start: %s\nlog:\n%s", b.conf, cmd.ProcessState, b.log.From(mark))
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("mosquitto -c %s not running after %v\nlog:\n%s", b.conf, startTimeout, b.log.From(mark))
		}
	}
	b.mu.Lock()
	b.cmd, b.done = cmd, done
	b.mu.Unlock()
	return nil
}

// Stop terminates the broker (SIGTERM, as systemd does; SIGKILL if it has
// not exited after 5 s) and waits for it. Clients see their connections
// close. Stopping a stopped broker does nothing.
func (b *Broker) Stop() {
	b.mu.Lock()
	cmd, done := b.cmd, b.done
	b.cmd, b.done = nil, nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart stops the broker if it runs and starts it again on the same
// ports, with no sessions and no retained messages unless Options.Persist.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	fmt.Fprintf(&b.log, "----- mosquittotest: restart -----\n")
	var err error
	// The old process closed its sockets; SO_REUSEADDR (mosquitto sets
	// it) lets the new one bind despite TIME_WAIT, but allow a retry in
	// case the kernel is slow to release them.
	for range 20 {
		if err = b.start(); err == nil || !strings.Contains(err.Error(), "Address already in use") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatalf("mosquittotest: restart: %v", err)
	}
}

// Running reports whether the broker process is up.
func (b *Broker) Running() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done == nil {
		return false
	}
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// URL is the plain listener, "tcp://127.0.0.1:PORT".
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// Addr is the plain listener's host:port.
func (b *Broker) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)) }

// TLSURL is the TLS listener, "ssl://127.0.0.1:PORT" ("" without
// Options.TLS). Its certificate is valid for 127.0.0.1 and localhost.
func (b *Broker) TLSURL() string {
	if !b.opt.TLS {
		return ""
	}
	return "ssl://" + b.TLSAddr()
}

// TLSAddr is the TLS listener's host:port.
func (b *Broker) TLSAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.tlsPort)) }

// CAFile is the PEM file of the CA that signed the broker's certificate and
// the client certificates ("" without Options.TLS).
func (b *Broker) CAFile() string { return b.caFile }

// Dir is the directory holding the broker's configuration and files.
func (b *Broker) Dir() string { return b.dir }

// ClientCert returns the certificate and key files (PEM) of a client
// certificate for user name (its common name), signed by the broker's CA,
// making them on first use. It needs Options.TLS.
func (b *Broker) ClientCert(name string) (certFile, keyFile string) {
	b.t.Helper()
	if b.ca == nil {
		b.t.Fatalf("mosquittotest: ClientCert(%q) needs Options.TLS", name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.clients[name]; ok {
		return p[0], p[1]
	}
	certPEM, keyPEM, err := b.ca.issue(name, false)
	if err == nil {
		certFile, keyFile, err = writePair(b.dir, "client-"+strings.ReplaceAll(name, "/", "_"), certPEM, keyPEM)
	}
	if err != nil {
		b.t.Fatalf("mosquittotest: client certificate for %q: %v", name, err)
	}
	b.clients[name] = [2]string{certFile, keyFile}
	return certFile, keyFile
}

// Log is everything the broker wrote so far, across restarts.
func (b *Broker) Log() string { return b.log.From(0) }

// CountLog counts the log lines containing s (for example "New connection
// from" to count connection attempts).
func (b *Broker) CountLog(s string) int {
	n := 0
	for line := range strings.Lines(b.Log()) {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// WaitLog waits until at least n log lines contain s and returns their
// count, or the count so far after timeout. The broker writes its log after
// answering a client, so a test that counts right after its client got an
// answer must wait for the line.
func (b *Broker) WaitLog(s string, n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		c := b.CountLog(s)
		if c >= n || time.Now().After(deadline) {
			return c
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logBuffer collects the broker's output. Past maxLog bytes it keeps the
// beginning and drops the rest: a failing test needs the start of the
// story, and a benchmark must not fill the memory.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	dropped int64
}

const maxLog = 8 << 20

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len()+len(p) > maxLog {
		l.dropped += int64(len(p))
		return len(p), nil
	}
	return l.buf.Write(p)
}

func (l *logBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Len()
}

// From returns the log from byte offset off on.
func (l *logBuffer) From(off int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := string(l.buf.Bytes()[off:])
	if l.dropped > 0 {
		s += fmt.Sprintf("\n[mosquittotest: %d more bytes of log dropped]\n", l.dropped)
	}
	return s
}
