#!/bin/sh
# Fetches and builds kvm-unit-tests (arm64) at the commit of the QEMU baseline in docs/compatibility.md, for
# running its .flat tests under cca (scripts/kut-run.sh). The sources are fetched, never copied into the project.
#
# Usage: scripts/kut-build.sh [DIR]     (default DIR: build-cache/kvm-unit-tests)
#   KUT_REPO   where to clone from (default https://gitlab.com/kvm-unit-tests/kvm-unit-tests.git)
# Needs: git, make, aarch64-linux-gnu-gcc (Debian package gcc-aarch64-linux-gnu).
set -eu
commit=1da1819e49fc4938985edca67df669099b4c87a7
dir=${1:-build-cache/kvm-unit-tests}
repo=${KUT_REPO:-https://gitlab.com/kvm-unit-tests/kvm-unit-tests.git}
for tool in git make aarch64-linux-gnu-gcc; do
    command -v $tool >/dev/null || { echo "$0: $tool not found (apt-get install gcc-aarch64-linux-gnu make git)" >&2; exit 1; }
done
if [ ! -d "$dir/.git" ]; then
    echo "$0: cloning $repo into $dir" >&2
    git clone -q "$repo" "$dir"
fi
cd "$dir"
git -c advice.detachedHead=false checkout -q $commit
# The baseline's configuration: QEMU's virt memory map (cca's platform has the same, docs/platform.md),
# PL011 at 0x09000000, Cortex-A57 code generation, 4 KiB pages.
./configure --arch=arm64 --cross-prefix=aarch64-linux-gnu- --processor=cortex-a57 --target=qemu >/dev/null
make -j"$(nproc)" >/dev/null
printf 'TARGET=qemu\nERRATA_FORCE=y\n' > environ
echo "$0: built $(ls arm/*.flat | wc -l) tests in $(pwd)/arm (environ file: $(pwd)/environ)" >&2
