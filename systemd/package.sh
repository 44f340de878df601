#!/usr/bin/env bash
# Builds the cellsentry .deb packages: the binaries for each architecture,
# then one package each with nfpm (systemd/nfpm.yaml).
#
#   systemd/package.sh [-o DIR] [ARCH...]     ARCH: amd64 arm64 armhf (default all)
#
# DIR (default $TMPDIR/cellsentry-packages, outside the work tree) receives
# cellsentry_VERSION_ARCH.deb and, under build/ARCH, the binaries.
#
#   amd64  cgo build with the RTL-SDR driver (-tags rtlsdr), native
#          compiler; needs librtlsdr-dev.
#   arm64  cgo build with the RTL-SDR driver, cross-compiled as in the
#          README; needs gcc-aarch64-linux-gnu and librtlsdr-dev:arm64
#          (dpkg --add-architecture arm64).
#   armhf  pure Go (GOARM=7: Pi 2 and later, Zero 2 W): no dongle driver,
#          reads rtl_tcp servers and recordings. No multiarch packages
#          needed.
# cellsentry-console is pure Go for every architecture.
#
# The version comes from `git describe` (tags v1.2.3): 1.2.3 on a tag,
# 1.2.3+git5.gabcdef0 five commits after it, 0.0.0~git123.gabcdef0 with no
# tag yet (123 commits in the history); a build from a tree with
# uncommitted changes ends in .dirty. The same string is the binaries'
# main.version (status and health messages) and the package version.
#
# nfpm runs as `go run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2`: it
# comes from the Go module proxy (or the module cache), go.mod stays
# untouched.
set -euo pipefail

NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2

out=${TMPDIR:-/tmp}/cellsentry-packages
while getopts "o:h" opt; do
	case "$opt" in
	o) out=$OPTARG ;;
	*)
		sed -n '2,12p' "$0"
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
arches=("$@")
if [ ${#arches[@]} -eq 0 ]; then
	arches=(amd64 arm64 armhf)
fi

cd "$(dirname "$0")/.."
root=$(pwd)
case "$out" in /*) ;; *) out="$root/$out" ;; esac

die() {
	echo "package.sh: $*" >&2
	exit 1
}

# version prints the Debian version of the checked-out tree.
version() {
	local desc dirty="" count hash
	git rev-parse --git-dir >/dev/null 2>&1 || die "not a git checkout: the version comes from git describe"
	if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		dirty=.dirty
	fi
	if desc=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
		# v1.2.3 or v1.2.3-5-gabcdef0
		desc=${desc#v}
		if [[ $desc =~ ^(.*)-([0-9]+)-g([0-9a-f]+)$ ]]; then
			echo "${BASH_REMATCH[1]}+git${BASH_REMATCH[2]}.g${BASH_REMATCH[3]}${dirty}"
		else
			if [ -n "$dirty" ]; then
				echo "${desc}+dirty"
			else
				echo "$desc"
			fi
		fi
		return
	fi
	count=$(git rev-list --count HEAD)
	hash=$(git rev-parse --short=7 HEAD)
	echo "0.0.0~git${count}.g${hash}${dirty}"
}

# cgo_env ARCH: the compiler and pkg-config settings of a cgo build for
# the Debian architecture ARCH, native or cross; fails with what to install.
cgo_env() {
	local arch=$1 triplet host
	host=$(dpkg --print-architecture 2>/dev/null || echo unknown)
	case "$arch" in
	amd64) triplet=x86_64-linux-gnu ;;
	arm64) triplet=aarch64-linux-gnu ;;
	*) die "no cgo build for $arch" ;;
	esac
	if [ "$arch" = "$host" ]; then
		CC=gcc
		PKGCFG=(env)
		need="librtlsdr-dev"
	else
		CC=$triplet-gcc
		PKGCFG=(env "PKG_CONFIG_LIBDIR=/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig" PKG_CONFIG_PATH=)
		need="gcc-$triplet librtlsdr-dev:$arch (after: dpkg --add-architecture $arch && apt-get update)"
	fi
	command -v "$CC" >/dev/null 2>&1 ||
		die "$arch: the C compiler $CC is missing; install $need"
	command -v pkg-config >/dev/null 2>&1 ||
		die "$arch: pkg-config is missing; install pkg-config $need"
	"${PKGCFG[@]}" pkg-config --exists librtlsdr ||
		die "$arch: librtlsdr for $arch is missing (pkg-config librtlsdr); install $need"
}

# glibc_needed BINARY: the newest GLIBC_x.y symbol version BINARY imports.
# (readelf reads the ELF of any architecture.)
glibc_needed() {
	local v
	v=$(readelf -V --wide "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n 1)
	[ -n "$v" ] || die "$1: imports no GLIBC_ symbol version: not a cgo build?"
	echo "$v"
}

VERSION=$(version)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
ldflags="-s -w -X main.version=$VERSION"
mkdir -p "$out"
echo "== cellsentry $VERSION: ${arches[*]} → $out"

for arch in "${arches[@]}"; do
	bin="$out/build/$arch"
	mkdir -p "$bin"
	start=$(date +%s)
	case "$arch" in
	amd64 | arm64)
		cgo_env "$arch"
		goarch=$arch
		"${PKGCFG[@]}" CC="$CC" CGO_ENABLED=1 GOOS=linux GOARCH="$goarch" \
			go build -trimpath -tags rtlsdr -ldflags "$ldflags" -o "$bin/cellsentry" ./cmd/cellsentry
		libc="libc6 (>= $(glibc_needed "$bin/cellsentry"))"
		rtlsdr="librtlsdr0"
		;;
	armhf)
		goarch=arm
		CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 \
			go build -trimpath -ldflags "$ldflags" -o "$bin/cellsentry" ./cmd/cellsentry
		libc=""
		rtlsdr=""
		;;
	*) die "unknown architecture $arch (amd64, arm64 or armhf)" ;;
	esac
	CGO_ENABLED=0 GOOS=linux GOARCH="$goarch" GOARM=7 \
		go build -trimpath -ldflags "$ldflags" -o "$bin/cellsentry-console" ./cmd/cellsentry-console

	deb="$out/cellsentry_${VERSION}_${arch}.deb"
	rm -f "$deb"
	CELLSENTRY_ARCH=$arch CELLSENTRY_VERSION=$VERSION CELLSENTRY_BIN=$bin \
		CELLSENTRY_LIBC_DEP=$libc CELLSENTRY_RTLSDR_DEP=$rtlsdr \
		go run "$NFPM" package --config systemd/nfpm.yaml --packager deb --target "$deb"
	echo "== $deb ($(($(date +%s) - start)) s)"
done

(cd "$out" && sha256sum cellsentry_"${VERSION}"_*.deb)
