#!/bin/sh
# Makes Debian's device tree compiler available without installing it system-wide: downloads the
# device-tree-compiler package and the libraries it needs with apt-get download and unpacks them under
# DEST (default: vmm-cli/target/dtc). Prints the path of a dtc wrapper that sets LD_LIBRARY_PATH.
# Usage: get-dtc.sh [DEST]. Exits non-zero if the packages cannot be fetched.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$root/vmm-cli/target/dtc}
if command -v dtc >/dev/null 2>&1; then
    command -v dtc
    exit 0
fi
if [ -x "$dest/dtc" ]; then
    echo "$dest/dtc"
    exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "get-dtc.sh: apt-get not available" >&2; exit 2; }
mkdir -p "$dest/debs" "$dest/root"
cd "$dest/debs"
apt-get download device-tree-compiler libfdt1 libyaml-0-2 >/dev/null 2>&1 || {
    echo "get-dtc.sh: apt-get download failed (run apt-get update?)" >&2
    exit 3
}
for d in *.deb; do
    dpkg-deb -x "$d" "$dest/root"
done
libs=$(find "$dest/root" -name '*.so*' -exec dirname {} \; | sort -u | tr '\n' ':')
cat > "$dest/dtc" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$libs\${LD_LIBRARY_PATH:-}" exec "$dest/root/usr/bin/dtc" "\$@"
WRAP
chmod +x "$dest/dtc"
echo "$dest/dtc"
