package dev.cca.kvm;

import dev.cca.kvm.uapi.Errno;

import java.util.Map;
import java.util.TreeMap;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * The VM's SMCCC filter (KVM_ARM_VM_SMCCC_FILTER, arch/arm64/kvm/hypercalls.c): ranges of SMCCC function
 * identifiers with an action. The first filter inserted also reserves the Arm Architecture Service ranges
 * (0x80000000-0x8000FFFF and 0xC0000000-0xC000FFFF) as HANDLE so that user space cannot intercept them; ranges
 * may not overlap (-EEXIST). Unfiltered calls are handled by KVM.
 */
final class SmcccFilter {
    private static final long SMC32_ARCH_BEGIN = 0x8000_0000L, SMC32_ARCH_END = 0x8000_FFFFL;
    private static final long SMC64_ARCH_BEGIN = 0xC000_0000L, SMC64_ARCH_END = 0xC000_FFFFL;

    /** first function id -> {last function id (inclusive), action}. */
    private final TreeMap<Long, long[]> ranges = new TreeMap<>();

    /**
     * kvm_smccc_set_filter() after copy_from_user: validates and inserts; 0 or a negative errno. The caller
     * checks "the VM has run" (-EBUSY) between the validation and the insertion, as the kernel does under its
     * config lock; {@link #validate} and {@link #insert} are split for that reason.
     */
    static long validate(long base, long nrFunctions, int action, boolean padZero) {
        if (!padZero) {
            return -Errno.EINVAL;
        }
        long end = (base + nrFunctions - 1) & 0xFFFF_FFFFL; // u32 arithmetic, as in the kernel
        if (end < base || action >= 3) {
            return -Errno.EINVAL;
        }
        return 0;
    }

    synchronized long insert(long base, long nrFunctions, int action) {
        long end = (base + nrFunctions - 1) & 0xFFFF_FFFFL;
        boolean first = ranges.isEmpty();
        if (first) {
            ranges.put(SMC32_ARCH_BEGIN, new long[] {SMC32_ARCH_END, KVM_SMCCC_FILTER_HANDLE});
            ranges.put(SMC64_ARCH_BEGIN, new long[] {SMC64_ARCH_END, KVM_SMCCC_FILTER_HANDLE});
        }
        Map.Entry<Long, long[]> lo = ranges.floorEntry(end);
        if (lo != null && lo.getValue()[0] >= base) {
            if (first) {
                ranges.clear(); // out_destroy: a failed first filter leaves no reserved ranges behind
            }
            return -Errno.EEXIST; // mtree_insert_range on an occupied range
        }
        ranges.put(base, new long[] {end, action});
        return 0;
    }

    /** kvm_smccc_filter_get_action(): the action for {@code fid} (HANDLE when no range covers it). */
    synchronized int action(long fid) {
        long f = fid & 0xFFFF_FFFFL;
        Map.Entry<Long, long[]> e = ranges.floorEntry(f);
        if (e == null || e.getValue()[0] < f) {
            return KVM_SMCCC_FILTER_HANDLE;
        }
        return (int) e.getValue()[1];
    }

    synchronized boolean configured() {
        return !ranges.isEmpty();
    }

    @Override
    public synchronized String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (Map.Entry<Long, long[]> e : ranges.entrySet()) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(String.format("%#x-%#x:%d", e.getKey(), e.getValue()[0], e.getValue()[1]));
        }
        return sb.append(']').toString();
    }
}
