#!/bin/sh
# Runs every built test program under QEMU (the reference) and records its UART output in golden/<name>.out.
# Needs qemu-system-aarch64 (Debian package qemu-system-arm). Usage: regen-golden.sh [test-name...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v qemu-system-aarch64 >/dev/null 2>&1 || {
    echo "regen-golden.sh: qemu-system-aarch64 not found; install qemu-system-arm" >&2
    exit 2
}
mkdir -p "$here/golden"
if [ $# -eq 0 ]; then
    set -- $(cd "$here/build" && ls *.elf | sed 's/\.elf$//')
fi
for t in "$@"; do
    timeout 60 qemu-system-aarch64 -M virt,gic-version=3 -cpu max,sve=off,sme=off,pauth=off -m 128M \
        -nographic -monitor none -serial stdio -no-reboot -kernel "$here/build/$t.elf" \
        > "$here/golden/$t.out" 2> "$here/golden/$t.qemu-stderr" || true
    if [ -s "$here/golden/$t.qemu-stderr" ]; then
        echo "$t: qemu said:" >&2
        cat "$here/golden/$t.qemu-stderr" >&2
    fi
    rm -f "$here/golden/$t.qemu-stderr"
    if ! grep -q '^DONE$' "$here/golden/$t.out" && ! grep -q '^EXCEPTION' "$here/golden/$t.out"; then
        echo "$t: no DONE or EXCEPTION line in QEMU's output" >&2
        exit 1
    fi
    echo "golden/$t.out: $(wc -l < "$here/golden/$t.out") lines"
done
