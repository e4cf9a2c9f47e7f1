#!/bin/sh
# Runs a guest with `cca run` again and again and counts how the runs ended: a stress check for races between
# vCPU threads (not a unit test). By default: 200 runs of src-test-images/realm-gic/realm-sgi.elf in a realm on
# 4 vCPUs. A run passes when cca exits 0, the guest printed a "<name>: PASS" line and no FAIL line; the other
# runs are counted by how they ended (internal errors: KVM_EXIT_INTERNAL_ERROR or a Java exception that ended
# the run; timeout; guest FAIL; other) and their output is kept in the log directory.
#
# Usage: scripts/realm-stress.sh [-j] [-N] [-n RUNS] [-c CPUS] [-k IMAGE] [-t TIMEOUT] [-l LOGDIR] [-- CCA-RUN-ARGS...]
# -N runs the image as a normal VM instead of a realm (src-test-images/platform/smp-sgi.elf, timer-irq.elf).
# -j runs every `cca run` in one JVM (scripts/RealmStress.java): no JVM start per run. The command run is $CCA
# if set (e.g. CCA="java -jar /tmp/cca.jar", to keep a build fixed while the sources change), else ./cca; with
# -j the jar is $CCA_JAR or vmm-cli/target/cca.jar. Exit status: 0 every run passed, 1 some did not, 2 usage.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
runs=200
cpus=4
image="$root/src-test-images/realm-gic/realm-sgi.elf"
timeout=120s
logs=
inproc=
realm=--realm
while [ $# -gt 0 ]; do
    case "$1" in
        -j) inproc=1; shift ;;
        -N) realm=; shift ;;
        -n) runs=$2; shift 2 ;;
        -c) cpus=$2; shift 2 ;;
        -k) image=$2; shift 2 ;;
        -t) timeout=$2; shift 2 ;;
        -l) logs=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "realm-stress: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$runs" in ''|*[!0-9]*) echo "realm-stress: -n needs a number, was '$runs'" >&2; exit 2 ;; esac
[ -f "$image" ] || { echo "realm-stress: no image $image" >&2; exit 2; }
[ -n "$logs" ] || logs=$(mktemp -d "${TMPDIR:-/tmp}/realm-stress.XXXXXX")
mkdir -p "$logs"
name=$(basename "$image" .elf)

if [ -n "$inproc" ]; then
    jar=${CCA_JAR:-$root/vmm-cli/target/cca.jar}
    [ -n "${CCA_JAR:-}" ] || "$root/cca" --version >/dev/null # builds the jar if the sources changed
    java ${CCA_JAVA_OPTS:--Xmx3g} -cp "$jar" "$root/scripts/RealmStress.java" "$runs" "$cpus" "$image" "$timeout" \
        "$logs" $realm "$@" && rc=0 || rc=$?
    [ "$rc" = 0 ] && rmdir "$logs" 2>/dev/null
    exit "$rc"
fi

passed=0 internal=0 timedout=0 guestfail=0 other=0
cca=${CCA:-$root/cca}
$cca --version >/dev/null # build the jar once, before the clock starts
start=$(date +%s)
i=1
while [ "$i" -le "$runs" ]; do
    out="$logs/run-$i.log"
    set +e
    $cca run $realm -k "$image" --cpus "$cpus" --timeout "$timeout" "$@" >"$out" 2>&1
    rc=$?
    set -e
    if [ "$rc" = 0 ] && grep -q "^$name: PASS\$" "$out" && ! grep -q "FAIL" "$out"; then
        passed=$((passed + 1))
        rm -f "$out"
    elif grep -q "KVM_EXIT_INTERNAL_ERROR\|internal error\|Exception\|Error:" "$out"; then
        internal=$((internal + 1))
    elif grep -q "^ended: *timeout" "$out"; then
        timedout=$((timedout + 1))
    elif grep -q "FAIL" "$out"; then
        guestfail=$((guestfail + 1))
    else
        other=$((other + 1))
    fi
    if [ "$rc" != 0 ] || [ -f "$out" ]; then
        echo "run $i: not passed (exit $rc), output in $out" >&2
    fi
    i=$((i + 1))
done
secs=$(( $(date +%s) - start ))
echo "$name on $cpus vCPUs, $runs runs in ${secs}s: $passed passed, $internal internal errors, $timedout timeouts, $guestfail guest FAIL, $other other"
[ "$passed" = "$runs" ] && rmdir "$logs" 2>/dev/null || true
[ "$passed" = "$runs" ]
