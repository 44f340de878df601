package systemd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// scriptWorld is what the maintainer scripts find on the machine: the
// users, groups and dpkg-statoverride entries that exist, whether systemd
// and udev run and whether the DVB-T driver is loaded.
type scriptWorld struct {
	users, groups, overrides []string
	systemd, udev, dvb       bool
	env                      []string
}

// stubs are the commands the maintainer scripts may run. Each records its
// arguments; getent and dpkg-statoverride --list answer from the world;
// grep and cat are the real ones (the scripts pipe through them). A
// command the scripts call that is not here is "not found", and the script
// fails: the list is also the inventory of what they run.
var stubs = map[string]string{
	"getent": `case "$1" in
passwd) for u in $FAKE_USERS; do [ "$u" = "$2" ] && exit 0; done; exit 2 ;;
group) for g in $FAKE_GROUPS; do [ "$g" = "$2" ] && exit 0; done; exit 2 ;;
esac
exit 2`,
	"dpkg-statoverride": `if [ "$1" = --list ]; then
for o in $FAKE_OVERRIDES; do [ "$o" = "$2" ] && { echo "root x 0600 $2"; exit 0; }; done
exit 1
fi`,
	"adduser":   `[ "$1" = --help ] && echo "adduser [--comment COMMENT] ..."; exit 0`,
	"install":   ``,
	"systemctl": ``,
	"udevadm":   ``,
	"rm":        ``,
	"rmdir":     ``,
	"deluser":   ``,
	"delgroup":  ``,
	"userdel":   ``,
	"groupdel":  ``,
	"grep":      `exec "$REAL_GREP" "$@"`,
	"cat":       `exec "$REAL_CAT" "$@"`,
}

// runScript runs a maintainer script with the stubs as its only commands,
// against w. The script's checks of the running system (/run/systemd/system,
// the udev control socket, /sys/module/dvb_usb_rtl28xxu) are pointed at a
// fake root made to match w. It returns every stubbed command run, as
// "name arg…" lines, and the script's output.
func runScript(t *testing.T, script string, w scriptWorld, args ...string) (calls []string, out string) {
	t.Helper()
	dir := t.TempDir()
	bin, root := filepath.Join(dir, "bin"), filepath.Join(dir, "root")
	log := filepath.Join(dir, "calls")
	for _, d := range []string{bin, root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range stubs {
		sh := fmt.Sprintf("#!/bin/sh\necho \"%s $*\" >>\"$CALLS\"\n%s\n", name, body)
		if err := os.WriteFile(filepath.Join(bin, name), []byte(sh), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if w.systemd {
		if err := os.MkdirAll(filepath.Join(root, "run/systemd/system"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if w.udev {
		if err := os.MkdirAll(filepath.Join(root, "run/udev"), 0o755); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("unix", filepath.Join(root, "run/udev/control"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
	}
	if w.dvb {
		if err := os.MkdirAll(filepath.Join(root, "sys/module/dvb_usb_rtl28xxu"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join("..", script))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, p := range []string{"/run/systemd/system", "/run/udev/control", "/sys/module/dvb_usb_rtl28xxu"} {
		text = strings.ReplaceAll(text, " "+p, " "+root+p)
	}
	copyPath := filepath.Join(dir, filepath.Base(script))
	if err := os.WriteFile(copyPath, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	realGrep, err1 := exec.LookPath("grep")
	realCat, err2 := exec.LookPath("cat")
	if err1 != nil || err2 != nil {
		t.Skip("no grep or cat on this machine")
	}
	cmd := exec.Command("/bin/sh", append([]string{copyPath}, args...)...)
	cmd.Env = append([]string{
		"PATH=" + bin, "CALLS=" + log, "REAL_GREP=" + realGrep, "REAL_CAT=" + realCat,
		"FAKE_USERS=" + strings.Join(w.users, " "), "FAKE_GROUPS=" + strings.Join(w.groups, " "),
		"FAKE_OVERRIDES=" + strings.Join(w.overrides, " "),
	}, w.env...)
	o, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, strings.Join(args, " "), err, o)
	}
	raw, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if l != "" {
			calls = append(calls, strings.TrimSpace(l))
		}
	}
	return calls, string(o)
}

// The paths of the configuration: their contents are dpkg's (conffiles),
// their owners and modes the administrator's once recorded.
var configPaths = []string{
	"/etc/cellsentry", "/etc/cellsentry/sensor.yaml",
	"/etc/cellsentry-console", "/etc/cellsentry-console/console.yaml", "/etc/cellsentry-console/site.yaml",
}

// TestMaintainerScripts runs the postinst and postrm on a stubbed system:
// what they do on a first install, an upgrade, in a container, on remove
// and purge, and above all that no run writes, moves or deletes an edited
// config or changes a mode the administrator recorded.
func TestMaintainerScripts(t *testing.T) {
	both := []string{"cellsentry", "cellsentry-console"}
	everything := scriptWorld{systemd: true, udev: true}
	type want struct {
		has, hasNot []string // calls (prefixes) that must / must not appear
		out         string   // in the output
	}
	cases := []struct {
		name   string
		script string
		args   []string
		world  scriptWorld
		want   want
	}{
		{"first install", "systemd/deb/postinst", []string{"configure", ""},
			scriptWorld{groups: []string{"plugdev", "gpio"}, systemd: true, udev: true},
			want{has: []string{
				"adduser --quiet --system --group --home /var/lib/cellsentry --no-create-home --shell /usr/sbin/nologin --comment cellsentry sensor cellsentry",
				"adduser --quiet cellsentry plugdev",
				"adduser --quiet cellsentry gpio",
				"dpkg-statoverride --quiet --update --add root cellsentry 0750 /etc/cellsentry",
				"dpkg-statoverride --quiet --update --add root cellsentry 0640 /etc/cellsentry/sensor.yaml",
				"dpkg-statoverride --quiet --update --add root cellsentry-console 0640 /etc/cellsentry-console/console.yaml",
				"install -d -o cellsentry -g cellsentry -m 0750 /var/lib/cellsentry",
				"systemctl daemon-reload",
				"udevadm trigger --subsystem-match=usb",
				"udevadm trigger --subsystem-match=gpio",
			}, hasNot: []string{"systemctl --no-block try-restart", "adduser --quiet cellsentry-console plugdev"},
				out: "no service was enabled or started"}},
		{"upgrade keeps the administrator's owners and modes", "systemd/deb/postinst", []string{"configure", "0.9.0"},
			scriptWorld{users: both, groups: []string{"plugdev"}, overrides: configPaths, systemd: true, udev: true},
			want{has: []string{"systemctl --no-block try-restart cellsentry.service cellsentry-console.service"},
				hasNot: []string{"dpkg-statoverride --quiet --update --add", "adduser --quiet --system", "adduser --quiet cellsentry gpio"}}},
		{"in a container", "systemd/deb/postinst", []string{"configure", ""},
			scriptWorld{groups: []string{"plugdev"}, dvb: true},
			want{hasNot: []string{"systemctl", "udevadm"}, out: "dvb_usb_rtl28xxu is loaded"}},
		{"remove keeps everything", "systemd/deb/postrm", []string{"remove"},
			scriptWorld{users: both, overrides: configPaths, systemd: true, udev: true},
			want{has: []string{"systemctl daemon-reload", "udevadm control --reload-rules"},
				hasNot: []string{"rm", "rmdir", "dpkg-statoverride --quiet --remove", "deluser", "delgroup"}}},
		{"purge keeps data and users", "systemd/deb/postrm", []string{"purge"},
			scriptWorld{users: both, groups: both, overrides: configPaths, systemd: true, udev: true},
			want{has: []string{
				"dpkg-statoverride --quiet --remove /etc/cellsentry/sensor.yaml",
				"rm -f /etc/systemd/system/multi-user.target.wants/cellsentry.service /etc/systemd/system/multi-user.target.wants/cellsentry-console.service",
				"rmdir /etc/cellsentry /etc/cellsentry-console",
			}, hasNot: []string{"rm -rf", "deluser", "delgroup"}, out: "to delete them too, purge with CELLSENTRY_PURGE_DATA=yes"}},
		{"purge with CELLSENTRY_PURGE_DATA=yes", "systemd/deb/postrm", []string{"purge"},
			scriptWorld{users: both, groups: both, env: []string{"CELLSENTRY_PURGE_DATA=yes"}},
			want{has: []string{
				"rm -rf /var/lib/cellsentry /var/lib/cellsentry-console /etc/cellsentry /etc/cellsentry-console",
				"deluser --quiet --system cellsentry", "delgroup --quiet --system cellsentry-console",
			}}},
		{"prerm on upgrade leaves the services running", "systemd/deb/prerm", []string{"upgrade", "1.0.0"}, everything,
			want{hasNot: []string{"systemctl"}}},
		{"prerm on remove stops them", "systemd/deb/prerm", []string{"remove"}, everything,
			want{has: []string{"systemctl stop cellsentry.service cellsentry-console.service"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls, out := runScript(t, c.script, c.world, c.args...)
			has := func(prefix string) bool {
				return slices.ContainsFunc(calls, func(l string) bool { return l == prefix || strings.HasPrefix(l, prefix+" ") })
			}
			for _, w := range c.want.has {
				if !has(w) {
					t.Errorf("no %q among the commands run:\n%s", w, strings.Join(calls, "\n"))
				}
			}
			for _, w := range c.want.hasNot {
				if has(w) {
					t.Errorf("%q was run:\n%s", w, strings.Join(calls, "\n"))
				}
			}
			if !strings.Contains(out, c.want.out) {
				t.Errorf("output lacks %q:\n%s", c.want.out, out)
			}
			purgeData := slices.Contains(c.world.env, "CELLSENTRY_PURGE_DATA=yes")
			for _, l := range calls {
				f := strings.Fields(l)
				// Only dpkg-statoverride may name a config, to record an
				// owner where none was, or to forget its own on purge;
				// rmdir removes only empty directories; rm only on a
				// purge that asked for it.
				switch {
				case f[0] == "dpkg-statoverride", f[0] == "rmdir", f[0] == "rm" && purgeData:
					continue
				}
				for _, a := range f[1:] {
					for _, p := range configPaths {
						if a == p || strings.HasPrefix(a, p+"/") {
							t.Errorf("%q touches the configuration %s", l, p)
						}
					}
				}
				if f[0] == "systemctl" && len(f) > 1 && slices.ContainsFunc(f[1:], func(a string) bool {
					return a == "enable" || a == "start" || a == "restart" || a == "reenable"
				}) {
					t.Errorf("%q enables or starts a service", l)
				}
			}
			// An override the administrator recorded is never replaced.
			for _, p := range c.world.overrides {
				if has("dpkg-statoverride --quiet --update --add") && slices.ContainsFunc(calls, func(l string) bool {
					return strings.HasPrefix(l, "dpkg-statoverride --quiet --update --add") && strings.HasSuffix(l, " "+p)
				}) {
					t.Errorf("the recorded owner and mode of %s were replaced", p)
				}
			}
		})
	}
}

// The stubs see commands, not the shell's own redirections: none of the
// scripts may write into a configuration directory that way either.
func TestMaintainerScriptsDoNotRedirectIntoConfigs(t *testing.T) {
	redirect := regexp.MustCompile(`>>?\s*"?/etc/cellsentry`)
	for _, script := range []string{"deb/postinst", "deb/prerm", "deb/postrm"} {
		t.Run(script, func(t *testing.T) {
			b, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			if m := redirect.Find(b); m != nil {
				t.Errorf("%s redirects output into the configuration: %q", script, m)
			}
		})
	}
}
