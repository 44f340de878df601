// Package systemd holds no code: it is the home of what puts cellsentry on a
// machine, and of the tests that keep those files honest.
//
//   - cellsentry.service (sensor) and cellsentry-console.service (console):
//     the systemd units, hardened to an exposure of at most 2.0 in
//     `systemd-analyze security`;
//   - 60-cellsentry-rtlsdr.rules: the udev rule that gives RTL2832U dongles
//     to the plugdev group; cellsentry-blacklist-dvb.conf: the modprobe
//     blacklist of the DVB-T driver that would claim them;
//     60-cellsentry-gpio.rules: the GPIO chips (/dev/gpiochipN, the Pi 5's
//     RP1 whatever its number) for the daemon's group where the system's
//     own rules give them to nobody;
//   - nfpm.yaml, deb/ (maintainer scripts, copyright) and package.sh: the
//     .deb packages for amd64, arm64 and armhf, built by one command;
//   - install-test.sh: installs and purges the amd64 package on a throwaway
//     CI machine.
//
// The tests run systemd-analyze on the units (security and verify), check
// that the units, the package definition, the maintainer scripts and the
// example configs agree on paths and users, and, given a built package in
// CELLSENTRY_DEB, inspect it with dpkg-deb and debug/elf.
package systemd
