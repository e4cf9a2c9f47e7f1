#!/bin/bash
# Runs every entry of a built kvm-unit-tests suite's arm/unittests.cfg (scripts/kut-build.sh) under `cca run` as a
# normal VM, one at a time, and prints a table: test, verdict, the guest's last SUMMARY line.
#
# Usage: scripts/kut-run.sh [KUT_DIR] [TEST...]     (default KUT_DIR: build-cache/kvm-unit-tests; no TEST: all)
#   MAX_SMP   vCPUs for entries whose smp depends on it (default 2, as in the QEMU baseline)
#   TIMEOUT   per test (default 120s, the baseline's run_tests.sh TIMEOUT)
#   LOGDIR    where each test's console and cca's summary go (default: a new temporary directory)
#   CCA       the cca launcher (default: ./cca of this worktree)
#   ENVIRON   the environ file passed as the initrd (default: KUT_DIR/environ, written by kut-build.sh)
#
# What each entry gets, as run_tests.sh and arm/run would give it under QEMU:
#   file -> `cca run -k arm/FILE -i ENVIRON`; smp (evaluated with MAX_SMP) -> --cpus; test_args -> -p;
#   qemu_params "-m 256" -> -m 256M (else QEMU's default 128M); pci-test gets --pci-testdev (QEMU's pci-testdev).
# Skipped, with the reason: accel = kvm entries (run_tests.sh skips them too: nodefault, "manual run only"), and
# entries that need -machine gic-version=2 (the platform's GIC is a GICv3).
# Migration entries: cca has no live migration. The tests print "Now migrate the VM, then press a key to
# continue..." and wait for a character on the UART; kvm-unit-tests' migration harness (scripts/arch-run.bash)
# sends a newline to the guest's standard input after migrating. Here the newline is sent on standard input
# without migrating, so they run as their non-migrating selves. Other tests get no input (/dev/null).
# Verdict, from the guest's "EXIT: STATUS=N" line (arm/run's exit code, as run_tests.sh reads it for kvmtool):
# 1 PASS, 77 SKIP, anything else FAIL; no EXIT line: TIMEOUT if cca ended the run on --timeout, else FAIL.
set -u
kut=${1:-build-cache/kvm-unit-tests}
[ $# -gt 0 ] && shift
want=("$@")
MAX_SMP=${MAX_SMP:-2}
TIMEOUT=${TIMEOUT:-120s}
CCA=${CCA:-$(cd "$(dirname "$0")/.." && pwd)/cca}
LOGDIR=${LOGDIR:-$(mktemp -d -t kut-run.XXXXXX)}
cfg=$kut/arm/unittests.cfg
environ=${ENVIRON:-$kut/environ}
[ -f "$cfg" ] || { echo "$0: $cfg not found (build the suite with scripts/kut-build.sh)" >&2; exit 1; }
[ -f "$environ" ] || { echo "$0: $environ not found (scripts/kut-build.sh writes it)" >&2; exit 1; }
mkdir -p "$LOGDIR"

# The entries, one line each: name|file|smp|test_args|qemu_params|groups|accel
entries() {
    awk '
        function flush() { if (name != "") print name "|" file "|" smp "|" args "|" qp "|" groups "|" accel }
        /^\[/ { flush(); name = substr($0, 2, length($0) - 2); file = ""; smp = "1"; args = ""; qp = ""; groups = ""; accel = ""; next }
        /^[a-z_]+ *=/ {
            key = $0; sub(/ *=.*/, "", key); val = $0; sub(/^[a-z_]+ *= */, "", val)
            if (val ~ /^".*"$/ || val ~ /^'"'"'.*'"'"'$/) val = substr(val, 2, length(val) - 2)
            if (key == "file") file = val; else if (key == "smp") smp = val; else if (key == "test_args") args = val
            else if (key == "qemu_params") qp = val; else if (key == "groups") groups = val; else if (key == "accel") accel = val
        }
        END { flush() }' "$cfg"
}

printf '| Test | Verdict | SUMMARY line |\n|---|---|---|\n'
pass=0 fail=0 skip=0 tout=0
while IFS='|' read -r name file smp args qp groups accel; do
    if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx "$name"; then
        continue
    fi
    reason=
    if [ "$accel" = kvm ]; then
        reason="accel = kvm: run_tests.sh runs it only on KVM (nodefault, manual run only)"
    elif [[ $qp == *gic-version=2* ]]; then
        reason="needs a GICv2 (-machine gic-version=2); the platform's GIC is a GICv3"
    fi
    if [ -n "$reason" ]; then
        printf '| %s | SKIP | (not run: %s) |\n' "$name" "$reason"
        skip=$((skip + 1))
        continue
    fi
    cpus=$(eval "echo $smp")
    mem=128M
    [[ $qp == *"-m 256"* ]] && mem=256M
    opts=(-k "$kut/arm/$file" -i "$environ" --cpus "$cpus" -m "$mem" --timeout "$TIMEOUT")
    [ -n "$args" ] && opts+=(-p "$args")
    [ "$name" = pci-test ] && opts+=(--pci-testdev)
    log=$LOGDIR/$name.log
    if [[ " $groups " == *" migration "* ]]; then
        printf '\n' | "$CCA" run "${opts[@]}" > "$log" 2> "$LOGDIR/$name.err"
    else
        "$CCA" run "${opts[@]}" < /dev/null > "$log" 2> "$LOGDIR/$name.err"
    fi
    summary=$(tr -d '\r' < "$log" | grep 'SUMMARY:' | tail -1 | sed 's/^.*SUMMARY: //')
    status=$(tr -d '\r' < "$log" | sed -n 's/^EXIT: STATUS=\([0-9]*\).*/\1/p' | tail -1)
    case "$status" in
        1) verdict=PASS; pass=$((pass + 1)) ;;
        77) verdict=SKIP; skip=$((skip + 1)) ;;
        "") if grep -q '^ended: *timeout' "$LOGDIR/$name.err"; then verdict=TIMEOUT; tout=$((tout + 1));
            else verdict=FAIL; fail=$((fail + 1)); fi ;;
        *) verdict=FAIL; fail=$((fail + 1)) ;;
    esac
    printf '| %s | %s | %s |\n' "$name" "$verdict" "${summary:-(none)}"
done < <(entries)
echo
echo "$pass PASS, $fail FAIL, $skip SKIP, $tout TIMEOUT (MAX_SMP=$MAX_SMP, logs in $LOGDIR)"
