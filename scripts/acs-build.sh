#!/bin/sh
# Builds Arm's CCA RMM conformance suite (ARM-software/cca-rmm-acs, tag v1.0_REL0_12.24) for the
# tgt_tfa_fvp target with Debian's aarch64-linux-gnu cross compiler, to run under
#   cca run --host-image BUILD/output/acs_non_secure.bin@0x88000000
# See docs/host-image.md.
#
# Usage: scripts/acs-build.sh ACS_SOURCE_DIR QCBOR_SOURCE_DIR [BUILD_DIR]
#   ACS_SOURCE_DIR    a checkout of cca-rmm-acs at v1.0_REL0_12.24, unmodified
#                     (git clone -b v1.0_REL0_12.24 https://github.com/ARM-software/cca-rmm-acs)
#   QCBOR_SOURCE_DIR  a checkout of QCBOR at the commit the suite pins in
#                     tools/cmake/common/CMakeExternal.cmake (751d36583a9ce1a640900c57e13c9b6b8f3a2ba2)
#                     (the suite's build would otherwise git-clone it itself)
#   BUILD_DIR         default: ACS_SOURCE_DIR/build
# Needs: cmake (3.19+), make, srec_cat (Debian package srecord), aarch64-linux-gnu-gcc.
set -eu
if [ $# -lt 2 ]; then
    echo "usage: $0 ACS_SOURCE_DIR QCBOR_SOURCE_DIR [BUILD_DIR]" >&2
    exit 2
fi
src=$(cd "$1" && pwd)
qcbor=$(cd "$2" && pwd)
build=${3:-$src/build}
for tool in cmake make srec_cat aarch64-linux-gnu-gcc; do
    command -v $tool >/dev/null || { echo "$0: $tool not found" >&2; exit 1; }
done
[ -f "$src/CMakeLists.txt" ] && [ -d "$src/val" ] || { echo "$0: $src is not a cca-rmm-acs checkout" >&2; exit 1; }
[ -f "$qcbor/inc/qcbor/qcbor.h" ] || { echo "$0: $qcbor is not a QCBOR checkout" >&2; exit 1; }

# The suite's CMake wants an aarch64-none-elf- style prefix (CROSS_COMPILE). Debian's Linux-targeted gcc works
# when a few of its defaults are turned off (outlined atomics need libgcc's helpers, unwind tables and the stack
# protector need a C library) and when the BSD-style __aligned attribute macro (newlib's sys/cdefs.h) is defined.
mkdir -p "$build/toolchain"
for t in gcc ar objcopy objdump ld nm; do
    if [ $t = gcc ]; then
        cat > "$build/toolchain/aarch64-none-elf-gcc" <<'WRAP'
#!/bin/sh
exec aarch64-linux-gnu-gcc -mno-outline-atomics -fno-asynchronous-unwind-tables -fno-stack-protector \
    '-D__aligned(x)=__attribute__((__aligned__(x)))' "$@"
WRAP
    else
        printf '#!/bin/sh\nexec aarch64-linux-gnu-%s "$@"\n' $t > "$build/toolchain/aarch64-none-elf-$t"
    fi
    chmod +x "$build/toolchain/aarch64-none-elf-$t"
done

cd "$build"
cmake "$src" -G"Unix Makefiles" \
    -DCROSS_COMPILE="$build/toolchain/aarch64-none-elf-" \
    -DTARGET=tgt_tfa_fvp -DRMM_SPEC_VER=RMM_V_1_0 -DSUITE=all -DTEST_COMBINE=ON \
    -DSREC_CAT="$(command -v srec_cat)" -DRMM_ACS_TARGET_QCBOR="$qcbor"
make -j"$(nproc)"
ls -l "$build/output/acs_non_secure.bin"
