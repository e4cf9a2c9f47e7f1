#!/bin/sh
# Rebuilds mips-loop.elf (the CPU-bound loop of cca bench) with Debian's aarch64 binutils
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
"${prefix}as" -o "$out/mips-loop.o" "$here/mips-loop.S"
"${prefix}ld" -T "$here/bench.ld" --build-id=none --no-warn-rwx-segments -n -o "$out/mips-loop.elf" "$out/mips-loop.o"
rm -f "$out/mips-loop.o"
echo "built $out/mips-loop.elf"
