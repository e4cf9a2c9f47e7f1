#!/bin/sh
# Builds every differential test program in tests/ into build/<name>.elf with Debian's aarch64 binutils.
# Usage: build.sh [test-name...]     (default: all)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${CROSS_COMPILE:-aarch64-linux-gnu-}
command -v "${prefix}as" >/dev/null 2>&1 || {
    echo "build.sh: ${prefix}as not found; install binutils-aarch64-linux-gnu" >&2
    exit 2
}
out=${DIFFTEST_OUT:-$here/build}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
as() { "${prefix}as" -I "$here/common" "$@"; }
as -o "$tmp/start.o" "$here/common/start.S"
as -o "$tmp/dump.o" "$here/common/dump.S"
as -o "$tmp/dumpfp.o" "$here/common/dumpfp.S"
if [ $# -eq 0 ]; then
    set -- $(cd "$here/tests" && ls *.S | sed 's/\.S$//')
fi
for t in "$@"; do
    as -o "$tmp/$t.o" "$here/tests/$t.S"
    # The SIMD&FP dump goes last, and only into programs that use it, so that no other program moves.
    extra=
    if grep -q DUMPFP "$here/tests/$t.S"; then
        extra="$tmp/dumpfp.o"
    fi
    "${prefix}ld" -T "$here/link.ld" --build-id=none --no-warn-rwx-segments -n \
        -o "$out/$t.elf" "$tmp/start.o" "$tmp/dump.o" "$tmp/$t.o" $extra
    echo "built $out/$t.elf"
done
