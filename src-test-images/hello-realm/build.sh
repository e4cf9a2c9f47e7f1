#!/bin/sh
# Rebuilds hello-realm.elf from hello-realm.S with Debian's aarch64 binutils
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
"${prefix}as" -o "$out/hello-realm.o" "$here/hello-realm.S"
"${prefix}ld" -T "$here/hello-realm.ld" --build-id=none --no-warn-rwx-segments -n -o "$out/hello-realm.elf" "$out/hello-realm.o"
rm -f "$out/hello-realm.o"
echo "built $out/hello-realm.elf"
