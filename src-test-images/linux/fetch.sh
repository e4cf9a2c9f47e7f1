#!/bin/sh
# Downloads Debian's arm64 Linux kernel, its modules and busybox-static as .deb files with apt, using an arm64
# architecture and a private state folder (nothing on the system changes), unpacks the kernel Image and the
# module tree, and builds an initramfs whose /init loads configfs, tsm_report and arm-cca-guest (configfs-tsm
# attestation reports in a realm), prints a marker, runs uname -a, cat /proc/cpuinfo, mount and ls /, and powers
# off (or starts a shell first, with cca.shell on the kernel command line).
#
#   fetch.sh [DIR]        default DIR: $CCA_LINUX_CACHE or <repo>/build-cache/linux
#
# Results: DIR/vmlinuz (the kernel, an uncompressed arm64 Image), DIR/busybox (static, arm64),
# DIR/modules/VERSION (the kernel's lib/modules tree, with its config), DIR/initramfs.cpio, DIR/kernel-version. Override the choice with CCA_LINUX_SUITE (default trixie-backports) and
# CCA_LINUX_PACKAGE (default: the newest linux-image-*-FLAVOUR in that suite, FLAVOUR = $CCA_LINUX_FLAVOUR or
# cloud-arm64; `arm64` picks Debian's generic kernel, which has 9P as modules); CCA_FETCH_NO_INITRAMFS=1 skips
# building the initramfs (which uses ./cca).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${1:-${CCA_LINUX_CACHE:-$repo/build-cache/linux}}
suite=${CCA_LINUX_SUITE:-trixie-backports}
mirror=${CCA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

for tool in apt-get dpkg-deb; do
    command -v "$tool" >/dev/null 2>&1 || { echo "fetch.sh: $tool not found (a Debian-based system is needed)" >&2; exit 2; }
done
[ -r "$keyring" ] || { echo "fetch.sh: $keyring missing (install debian-archive-keyring)" >&2; exit 2; }

initramfs() {
    # CCA_FETCH_NO_INITRAMFS=1: the caller builds it (LinuxBootTest does, in-process, so that a Maven build does
    # not start a nested one through ./cca).
    [ "${CCA_FETCH_NO_INITRAMFS:-}" = 1 ] && return 0
    "$repo/cca" initramfs --busybox "$dir/busybox" --modules "$dir/modules/$(cat "$dir/kernel-version")" \
        -o "$dir/initramfs.cpio"
}
if [ -s "$dir/vmlinuz" ] && [ -s "$dir/busybox" ] && [ -s "$dir/kernel-version" ] \
        && [ -d "$dir/modules/$(cat "$dir/kernel-version")" ]; then
    echo "fetch.sh: already have $(cat "$dir/kernel-version" 2>/dev/null) in $dir"
    [ -s "$dir/initramfs.cpio" ] || initramfs
    exit 0
fi

state="$dir/apt"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/etc/preferences.d" \
         "$state/etc/apt.conf.d" "$state/etc/sources.list.d" "$dir/debs"
: > "$state/status"
base_suite=${suite%-backports}
cat > "$state/etc/sources.list" <<SOURCES
deb [arch=arm64 signed-by=$keyring] $mirror $base_suite main
deb [arch=arm64 signed-by=$keyring] $mirror $suite main
SOURCES
opts="-o Dir::State=$state -o Dir::State::status=$state/status -o Dir::Cache=$state/cache
      -o Dir::Etc=$state/etc -o Dir::Etc::sourcelist=$state/etc/sources.list
      -o Dir::Etc::sourceparts=$state/etc/sources.list.d -o Dir::Etc::preferencesparts=$state/etc/preferences.d
      -o Dir::Etc::parts=$state/etc/apt.conf.d -o APT::Architecture=arm64 -o APT::Architectures=arm64
      -o Debug::NoLocking=1 -o Acquire::Languages=none"

echo "fetch.sh: updating the package lists for $suite (arm64)..."
# shellcheck disable=SC2086
apt-get $opts -q update >"$dir/apt-update.log" 2>&1 || { cat "$dir/apt-update.log" >&2; exit 1; }

pkg=${CCA_LINUX_PACKAGE:-}
flavour=${CCA_LINUX_FLAVOUR:-cloud-arm64}
if [ -z "$pkg" ]; then
    # shellcheck disable=SC2086
    pkg=$(apt-cache $opts search --names-only "^linux-image-[0-9].*-$flavour\$" 2>/dev/null \
          | awk '{print $1}' | grep -v -- '-dbg' | grep -v unsigned | grep -v -- "-rt-$flavour" \
          | { [ "$flavour" = arm64 ] && grep -v -- -cloud-arm64 || cat; } | sort -V | tail -n 1)
fi
[ -n "$pkg" ] || { echo "fetch.sh: no linux-image-*-$flavour package in $suite" >&2; exit 1; }
ver=${pkg#linux-image-}
# Newer Debian kernels ship the Image in linux-binary-VERSION, the modules in
# linux-modules-VERSION, the config in linux-base-VERSION, all of which linux-image-VERSION depends on; older
# kernels have everything in linux-image.
extra=""
for p in "linux-binary-$ver" "linux-modules-$ver" "linux-base-$ver"; do
    # shellcheck disable=SC2086
    if apt-cache $opts show "$p" >/dev/null 2>&1; then
        extra="$extra $p"
    fi
done
rm -f "$dir"/debs/*.deb
echo "fetch.sh: downloading $pkg$extra busybox-static..."
# shellcheck disable=SC2086
(cd "$dir/debs" && apt-get $opts -q -t "$suite" download "$pkg" $extra busybox-static) >"$dir/apt-download.log" 2>&1 \
    || { cat "$dir/apt-download.log" >&2; exit 1; }

rm -rf "$dir/unpack"
mkdir -p "$dir/unpack"
for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$dir/unpack"
done
kernel=$(find "$dir/unpack/boot" "$dir/unpack/usr/lib/modules" -name 'vmlinuz*' -type f 2>/dev/null | head -n 1)
[ -n "$kernel" ] || { echo "fetch.sh: no vmlinuz in $pkg $binary" >&2; exit 1; }
case "$(od -An -c -j 56 -N 4 "$kernel" | tr -d ' ')" in
    ARMd) cp "$kernel" "$dir/vmlinuz" ;;
    *)  # a compressed Image (vmlinuz.gz-style): decompress it
        if gzip -t "$kernel" 2>/dev/null; then gzip -dc "$kernel" > "$dir/vmlinuz"; else cp "$kernel" "$dir/vmlinuz"; fi ;;
esac
modules=$(find "$dir/unpack/usr/lib/modules" "$dir/unpack/lib/modules" -mindepth 1 -maxdepth 1 -type d 2>/dev/null \
          | head -n 1)
[ -n "$modules" ] && [ -d "$modules/kernel" ] || { echo "fetch.sh: no module tree in $pkg$extra" >&2; exit 1; }
# The realm's attestation needs these (configfs-tsm reports through the arm-cca-guest driver).
for opt in CONFIG_ARM_CCA_GUEST CONFIG_TSM_REPORTS CONFIG_CONFIGFS_FS; do
    grep -Eq "^$opt=(y|m)" "$modules/config" 2>/dev/null \
        || echo "fetch.sh: warning: $pkg has no $opt (attestation from inside a realm will not work)" >&2
done
rm -rf "$dir/modules"
mkdir -p "$dir/modules"
rm -f "$modules/vmlinuz"
mv "$modules" "$dir/modules/$ver"
bb=$(find "$dir/unpack" -path '*/bin/busybox' -type f | head -n 1)
[ -n "$bb" ] || { echo "fetch.sh: no busybox binary in busybox-static" >&2; exit 1; }
cp "$bb" "$dir/busybox"
echo "$ver" > "$dir/kernel-version"
rm -rf "$dir/unpack"
echo "fetch.sh: kernel $(cat "$dir/kernel-version") -> $dir/vmlinuz ($(wc -c < "$dir/vmlinuz") bytes)"
echo "fetch.sh: busybox -> $dir/busybox"
echo "fetch.sh: modules -> $dir/modules/$ver"
initramfs
