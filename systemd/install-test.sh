#!/usr/bin/env bash
# Installs a cellsentry .deb for this machine's architecture, checks what it
# did, and removes and purges it, as root:
#
#   systemd/install-test.sh [--in-place] PACKAGE.deb
#
# By default everything happens in a throwaway root: an overlay of / (its
# changes in a tmpfs) in a private mount namespace, entered with chroot, so
# the machine itself is left as it was; the sandbox has no systemd and no
# udev, so the maintainer scripts skip systemctl and udevadm as they do in
# any container. --in-place runs on the machine itself (a disposable CI
# machine only: it creates and deletes the users).
#
# What is checked, in order: dpkg -i; the users, groups, directories,
# owners and modes the postinst made; that nothing was enabled; the
# installed units pass systemd-analyze verify and score ≤ 2.0 in
# systemd-analyze security; the install guide's password and CA files make
# `cellsentry check-config /etc/cellsentry/sensor.yaml` pass as the
# cellsentry user, who cannot read the console's config; an edited config
# survives a reinstall; dpkg -r keeps configs, users and state; dpkg --purge
# deletes the shipped configs and keeps the data and the users; a purge
# with CELLSENTRY_PURGE_DATA=yes leaves nothing named cellsentry behind.
set -euo pipefail

in_place=0
if [ "${1:-}" = --in-place ]; then
	in_place=1
	shift
fi
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
	sed -n '2,12p' "$0"
	exit 2
fi
deb=$(readlink -f "$1")
if [ "$(id -u)" != 0 ]; then
	echo "install-test.sh: must run as root (dpkg -i)" >&2
	exit 2
fi

if [ "$in_place" = 0 ] && [ "${CELLSENTRY_SANDBOX:-}" != 1 ]; then
	# Enter the throwaway root and run this script again inside it, with
	# the script and the package copied in (the overlay shows only the
	# root file system, not the mounts under it, such as a tmpfs /tmp).
	box=$(mktemp -d /tmp/cellsentry-install-test.XXXXXX)
	trap 'rmdir "$box" 2>/dev/null || true' EXIT
	script=$(readlink -f "$0")
	status=0
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare --mount --propagation private env CELLSENTRY_SANDBOX=1 bash -euc '
		box=$1 script=$2 deb=$3
		mount -t tmpfs -o size=1g cellsentry-test "$box"
		mkdir "$box/upper" "$box/work" "$box/root"
		mount -t overlay overlay -o "lowerdir=/,upperdir=$box/upper,workdir=$box/work" "$box/root"
		mount --rbind /dev "$box/root/dev"
		mount -t proc proc "$box/root/proc"
		mount --rbind /sys "$box/root/sys"
		mount -t tmpfs tmpfs "$box/root/run"
		mount -t tmpfs tmpfs "$box/root/tmp"
		mkdir "$box/root/tmp/t"
		cp "$script" "$box/root/tmp/t/install-test.sh"
		cp "$deb" "$box/root/tmp/t/"
		exec chroot "$box/root" bash /tmp/t/install-test.sh --in-place "/tmp/t/$(basename "$deb")"
	' sandbox "$box" "$script" "$deb" || status=$?
	exit "$status"
fi

pass=0
fail=0
ok() {
	pass=$((pass + 1))
	echo "ok   $*"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $*"
}
# check NAME COMMAND...: COMMAND must succeed.
check() {
	local name=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then ok "$name"; else
		bad "$name: $* →"
		sed 's/^/       /' /tmp/check.out
	fi
}
# refuse NAME COMMAND...: COMMAND must fail.
refuse() {
	local name=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then bad "$name: $* succeeded"; else ok "$name"; fi
}
# mode NAME PATH OWNER:GROUP MODE
mode() {
	local got
	got=$(stat -c '%U:%G %a' "$2" 2>&1) || true
	if [ "$got" = "$3 $4" ]; then ok "$1 ($2 $got)"; else bad "$1: $2 is '$got', want '$3 $4'"; fi
}
as() { runuser -u "$1" -- "${@:2}"; }
leftovers() {
	find /etc /var/lib /lib/systemd /lib/udev /usr/bin /usr/share/doc \
		\( -name '*cellsentry*' -a ! -path '/var/lib/dpkg/*' \) -print 2>/dev/null
	getent passwd cellsentry cellsentry-console || true
	getent group cellsentry cellsentry-console || true
	dpkg-statoverride --list | grep cellsentry || true
}

echo "== install $(basename "$deb")"
if [ -n "$(leftovers)" ]; then
	echo "install-test.sh: cellsentry is already on this machine:"
	leftovers
	exit 1
fi
check "dpkg -i" dpkg -i "$deb"
check "package installed" dpkg -s cellsentry

echo "== what the postinst made"
check "user cellsentry" getent passwd cellsentry
check "user cellsentry-console" getent passwd cellsentry-console
# shellcheck disable=SC2016 # expanded by sh
check "cellsentry is a system user without a shell" sh -c '[ "$(getent passwd cellsentry | cut -d: -f3)" -lt 1000 ] && getent passwd cellsentry | grep -q ":/usr/sbin/nologin$"'
check "cellsentry in plugdev" sh -c 'id -nG cellsentry | tr " " "\n" | grep -qx plugdev'
if getent group gpio >/dev/null; then
	check "cellsentry in gpio" sh -c 'id -nG cellsentry | tr " " "\n" | grep -qx gpio'
fi
refuse "cellsentry-console not in plugdev" sh -c 'id -nG cellsentry-console | tr " " "\n" | grep -qx plugdev'
mode "sensor config dir" /etc/cellsentry root:cellsentry 750
mode "sensor config" /etc/cellsentry/sensor.yaml root:cellsentry 640
mode "console config dir" /etc/cellsentry-console root:cellsentry-console 750
mode "console config" /etc/cellsentry-console/console.yaml root:cellsentry-console 640
mode "site plan" /etc/cellsentry-console/site.yaml root:cellsentry-console 640
mode "sensor state" /var/lib/cellsentry cellsentry:cellsentry 750
mode "console state" /var/lib/cellsentry-console cellsentry-console:cellsentry-console 750
mode "udev rule" /lib/udev/rules.d/60-cellsentry-rtlsdr.rules root:root 644
mode "udev rule (GPIO)" /lib/udev/rules.d/60-cellsentry-gpio.rules root:root 644
mode "blacklist" /etc/modprobe.d/cellsentry-blacklist-dvb.conf root:root 644
mode "sensor binary" /usr/bin/cellsentry root:root 755
mode "console binary" /usr/bin/cellsentry-console root:root 755
refuse "no service enabled" sh -c 'ls /etc/systemd/system/*.wants/cellsentry*.service'
check "cellsentry runs" /usr/bin/cellsentry help
# shellcheck disable=SC2016 # a bcrypt hash starts with $2
check "cellsentry-console runs" sh -c 'echo long-enough-password | /usr/bin/cellsentry-console hash-password | grep -q "^\$2"'

echo "== the installed units"
if command -v systemd-analyze >/dev/null; then
	for u in cellsentry cellsentry-console; do
		check "systemd-analyze verify $u.service" sh -c "out=\$(systemd-analyze verify /lib/systemd/system/$u.service 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; false; }"
		check "systemd-analyze security $u.service ≤ 2.0" sh -c "systemd-analyze security --offline=true /lib/systemd/system/$u.service | awk '/Overall exposure level/ { print; if (\$(NF-2)+0 <= 2.0) ok=1 } END { exit !ok }'"
	done
else
	echo "skip: systemd-analyze is not installed"
fi

echo "== the install guide's broker files; check-config as the service user"
(
	set -e
	cd /tmp
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=install-test CA" -keyout /tmp/site-ca.key -out /tmp/site-ca.pem 2>/dev/null
	install -m 0644 /tmp/site-ca.pem /etc/cellsentry/site-ca.pem
	printf '%s' 'sensor-password' | install -m 0600 -o cellsentry -g cellsentry /dev/stdin /etc/cellsentry/mqtt-password
) || bad "writing the password and CA files"
check "check-config as cellsentry" as cellsentry /usr/bin/cellsentry check-config /etc/cellsentry/sensor.yaml
refuse "the sensor user cannot read the console's config" as cellsentry cat /etc/cellsentry-console/console.yaml
refuse "the console user cannot read the sensor's config" as cellsentry-console cat /etc/cellsentry/sensor.yaml
check "the console user reads its config" as cellsentry-console cat /etc/cellsentry-console/console.yaml
chmod 0644 /etc/cellsentry/mqtt-password
refuse "check-config refuses a world-readable password file" as cellsentry /usr/bin/cellsentry check-config /etc/cellsentry/sensor.yaml
chmod 0600 /etc/cellsentry/mqtt-password

echo "== an edited config survives a reinstall"
echo "# edited by install-test" >>/etc/cellsentry/sensor.yaml
check "dpkg -i again" dpkg -i "$deb"
check "edit kept" grep -q "edited by install-test" /etc/cellsentry/sensor.yaml
mode "sensor config after reinstall" /etc/cellsentry/sensor.yaml root:cellsentry 640

echo "== dpkg -r"
echo state >/var/lib/cellsentry-console/console.db
check "dpkg -r" dpkg -r cellsentry
refuse "binary removed" test -e /usr/bin/cellsentry
check "config kept" test -f /etc/cellsentry/sensor.yaml
check "users kept" getent passwd cellsentry cellsentry-console
check "state kept" test -f /var/lib/cellsentry-console/console.db

echo "== dpkg --purge"
check "dpkg --purge" dpkg --purge cellsentry
refuse "shipped sensor config gone" test -e /etc/cellsentry/sensor.yaml
refuse "shipped console config gone" test -e /etc/cellsentry-console/console.yaml
refuse "empty console config dir gone" test -e /etc/cellsentry-console
check "technician's password file kept" test -f /etc/cellsentry/mqtt-password
check "console database kept" test -f /var/lib/cellsentry-console/console.db
check "users kept" getent passwd cellsentry cellsentry-console
refuse "owner overrides forgotten" sh -c 'dpkg-statoverride --list | grep cellsentry'

echo "== dpkg --purge with CELLSENTRY_PURGE_DATA=yes"
check "dpkg -i (again)" dpkg -i "$deb"
mode "state dir of the kept user" /var/lib/cellsentry cellsentry:cellsentry 750
check "CELLSENTRY_PURGE_DATA=yes dpkg --purge" env CELLSENTRY_PURGE_DATA=yes dpkg --purge cellsentry
left=$(leftovers)
if [ -z "$left" ]; then ok "nothing named cellsentry left"; else
	bad "left behind:"
	while IFS= read -r l; do echo "       $l"; done <<<"$left"
fi

echo "install-test: $pass passed, $fail failed"
[ "$fail" = 0 ]
