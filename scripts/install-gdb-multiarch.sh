#!/bin/sh
# Installs Debian's gdb-multiarch, which the gdb stub's integration test (GdbMultiarchTest) drives.
# Needs root and apt-get; prints the path of gdb-multiarch on success. Exit status 2: cannot install here.
set -eu
if command -v gdb-multiarch >/dev/null 2>&1; then
    command -v gdb-multiarch
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-gdb-multiarch: not root; run: sudo apt-get install gdb-multiarch" >&2
    exit 2
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-gdb-multiarch: apt-get not found (not a Debian-like system)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends gdb-multiarch >/dev/null 2>&1; then
    # The package lists may be missing or stale on a fresh machine.
    apt-get update >/dev/null 2>&1 || { echo "install-gdb-multiarch: apt-get update failed" >&2; exit 2; }
    apt-get install -y --no-install-recommends gdb-multiarch >/dev/null 2>&1 \
        || { echo "install-gdb-multiarch: apt-get install gdb-multiarch failed" >&2; exit 2; }
fi
command -v gdb-multiarch
