package main

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// demoBroker is the demo's embedded MQTT broker (mochi-mqtt) on loopback.
// A site runs Mosquitto; the demo embeds one so that nothing needs
// installing, and speaks to it over TCP exactly as sensors and console
// speak to a real one.
type demoBroker struct {
	srv   *mqtt.Server
	tcp   *listeners.TCP
	close sync.Once
}

// startDemoBroker listens on addr (127.0.0.1:0 picks a free port) and
// admits only the accounts in auth.
func startDemoBroker(addr string, auth *demoAuth, log *slog.Logger) (*demoBroker, error) {
	srv := mqtt.New(&mqtt.Options{Logger: log, InlineClient: false})
	if err := srv.AddHook(auth, nil); err != nil {
		return nil, fmt.Errorf("broker: auth hook: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "demo", Address: addr})
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	return &demoBroker{srv: srv, tcp: tcp}, nil
}

// URL is the broker's address for clients, tcp://127.0.0.1:port.
func (b *demoBroker) URL() string { return "tcp://" + b.tcp.Address() }

// Close disconnects every client and closes the listener; again, nothing.
func (b *demoBroker) Close() error {
	var err error
	b.close.Do(func() { err = b.srv.Close() })
	return err
}

// demoAuth admits the demo's own clients and nobody else: each sensor
// with its own random password, writing only under its own topics (and
// reading nothing), and the console, reading the site's topics and
// writing only its incident topic. The same rule as the ACL a site's
// Mosquitto gets (mosquittotest.ProductACL).
type demoAuth struct {
	mqtt.HookBase
	prefix, site string
	console      string            // the console's user name
	passwords    map[string]string // user → password
}

// ID implements mqtt.Hook.
func (a *demoAuth) ID() string { return "cellsentry-demo-auth" }

// Provides implements mqtt.Hook: authentication and ACL checks.
func (a *demoAuth) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck}, []byte{b})
}

// OnConnectAuthenticate admits a known user with its password (compared
// in constant time).
func (a *demoAuth) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	want, ok := a.passwords[string(cl.Properties.Username)]
	return ok && subtle.ConstantTimeCompare([]byte(want), pk.Connect.Password) == 1
}

// OnACLCheck says whether the client may publish to topic (write) or
// subscribe to the filter topic.
func (a *demoAuth) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	user := string(cl.Properties.Username)
	siteTopics := a.prefix + "/" + a.site + "/"
	switch {
	case user == a.console && write:
		return topic == siteTopics+"incident"
	case user == a.console:
		return strings.HasPrefix(topic, siteTopics)
	case write:
		return strings.HasPrefix(topic, siteTopics+user+"/")
	}
	return false
}
