#!/bin/sh
# Rebuilds the realm interrupt test guests (realm-debug.elf, realm-psci.elf, realm-sgi.elf, realm-timer.elf, realm-pmu.elf) from their sources with Debian's
# aarch64 binutils (apt-get install binutils-aarch64-linux-gnu). Usage: build.sh [output-dir]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
prefix=${CROSS_COMPILE:-aarch64-linux-gnu-}
command -v "${prefix}as" >/dev/null 2>&1 || {
    echo "build.sh: ${prefix}as not found; install binutils-aarch64-linux-gnu" >&2
    exit 2
}
mkdir -p "$out"
for g in realm-debug realm-psci realm-sgi realm-timer realm-pmu; do
    "${prefix}as" -I "$here" -o "$out/$g.o" "$here/$g.S"
    "${prefix}ld" -T "$here/realm.ld" --build-id=none --no-warn-rwx-segments -n -o "$out/$g.elf" "$out/$g.o"
    rm -f "$out/$g.o"
    echo "built $out/$g.elf"
done
