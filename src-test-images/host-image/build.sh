#!/bin/sh
# Rebuilds host-image.elf from host-image.S with Debian's aarch64 binutils
# (apt-get install binutils-aarch64-linux-gnu). Usage: build.sh [output-dir]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
prefix=${CROSS_COMPILE:-aarch64-linux-gnu-}
command -v "${prefix}as" >/dev/null 2>&1 || {
    echo "build.sh: ${prefix}as not found; install binutils-aarch64-linux-gnu" >&2
    exit 2
}
mkdir -p "$out"
"${prefix}as" -o "$out/host-image.o" "$here/host-image.S"
"${prefix}ld" -T "$here/host-image.ld" --build-id=none --no-warn-rwx-segments -n -o "$out/host-image.elf" "$out/host-image.o"
rm -f "$out/host-image.o"
echo "built $out/host-image.elf"
