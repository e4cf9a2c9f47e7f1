package dev.cca.vmm.measure;

import dev.cca.rmm.measure.Measurement;
import dev.cca.rmm.rtt.S2tt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Predicts, without running anything, the Realm Initial Measurement a realm will have when the VMM and the KVM
 * v12 host of this project build it. It replays the steps that are measured, in the order they happen:
 *
 * <ol>
 *   <li>RMI_REALM_CREATE (on the first populate): the RIM starts as the hash of the measured RmiRealmParams
 *       fields. KVM passes the IPA width, num_bps and num_wps copied raw from ID_AA64DFR0_EL1 (BRPs, WRPs), the
 *       PMU flag with pmu_num_ctrs = PMCR_EL0.N when the vCPUs have a PMU (the VMM gives them one whenever KVM
 *       offers it), the hash algorithm (SHA-256, or what the realm-config profile's configuration call chose), and
 *       leaves SVE at zero.</li>
 *   <li>RMI_DATA_CREATE for every 4 KB page of every populated range, in guest physical address order, each with
 *       its content measured (KVM_ARM_RMI_POPULATE_FLAGS_MEASURE). KVM creates the level-3 RTT of a page on
 *       demand: this matters for step 4.</li>
 *   <li>RMI_REC_CREATE for each vCPU at the first KVM_RUN; only vCPU 0 is RUNNABLE, so only its REC (flags,
 *       entry PC, X0..X7) is measured.</li>
 *   <li>RMI_RTT_INIT_RIPAS over the guest_memfd RAM slot, as KVM's realm_init_ipa_state() drives it: one RIPAS
 *       descriptor per RTT entry the RMM sets to RAM, so the RIM depends on the RTT geometry. On RMI_ERROR_RTT,
 *       KVM creates the missing tables down to the largest block level the remaining range allows
 *       (find_map_level), or, when the error is at or below that level, skips one page: v12's "skip regions
 *       which are already RIPAS_RAM" (the populated pages, which stay unmeasured by RIPAS).</li>
 * </ol>
 *
 * The RTT model below tracks only what the RMM's answers depend on: which tables exist and, per entry, whether
 * it is a table, an assigned page, or unassigned with RIPAS EMPTY or RAM.
 */
public final class RimPredictor {
    /** What the host and VMM decide, and the measured content. */
    public record RealmSetup(int ipaBits, int numBps, int numWps, int pmuNumCtrs, int hashAlgo, List<Range> populated,
                             long entry, long[] bootGprs, long ramBase, long ramSize) {
    }

    /** RmiRealmParams.flags bit 2, PMU. */
    private static final long FLAG_PMU = 1L << 2;

    /** A populated range [base, base + content.length) with its bytes (a multiple of 4 KB). */
    public record Range(long base, byte[] content) {
    }

    /** One measured step, for explanations (cca measure -v). */
    public record Step(String what, String rim) {
    }

    private static final int ENTRY_EMPTY = 0, ENTRY_RAM = 1, ENTRY_ASSIGNED = 2, ENTRY_TABLE = 3;
    private static final long PAGE = 4096;

    private final RealmSetup setup;
    /** RmiRealmParams.hash_algo: 0 SHA-256, 1 SHA-512. */
    private final int hash;
    private final int startLevel;
    /** Tables by (level, base of the range one 4 KB table granule maps): 512 entry states each. */
    private final Map<Long, int[]> tables = new HashMap<>();
    private final List<Step> steps = new ArrayList<>();
    private byte[] rim;

    public RimPredictor(RealmSetup setup) {
        this.setup = setup;
        this.hash = setup.hashAlgo();
        this.startLevel = 4 - ((setup.ipaBits() - 8) / 9); // KVM's rtt level start for this IPA width
    }

    public List<Step> steps() {
        return steps;
    }

    /** Replays the measured steps and returns the RIM in a 64-byte slot (SHA-256 uses the first 32 bytes). */
    public byte[] predict() {
        long flags = setup.pmuNumCtrs() > 0 ? FLAG_PMU : 0;
        rim = Measurement.rimInit(hash, flags, setup.ipaBits(), 0, setup.numBps(), setup.numWps(),
                setup.pmuNumCtrs());
        step("REALM_CREATE s2sz=" + setup.ipaBits() + " num_bps=" + setup.numBps() + " num_wps=" + setup.numWps()
                + " pmu_num_ctrs=" + setup.pmuNumCtrs() + (hash != 0 ? " hash_algo=SHA-512" : ""));
        for (Range r : setup.populated()) {
            for (long off = 0; off < r.content().length; off += PAGE) {
                long ipa = r.base() + off;
                byte[] page = java.util.Arrays.copyOfRange(r.content(), (int) off, (int) (off + PAGE));
                dataCreate(ipa);
                rim = Measurement.extendData(hash, rim, ipa, 1, page);
                step(String.format("DATA_CREATE %#x", ipa));
            }
        }
        long[] gprs = new long[8];
        System.arraycopy(setup.bootGprs(), 0, gprs, 0, Math.min(8, setup.bootGprs().length));
        rim = Measurement.extendRec(hash, rim, 1, setup.entry(), gprs);
        step(String.format("REC_CREATE vCPU 0 pc=%#x", setup.entry()));
        initIpaState(setup.ramBase(), setup.ramBase() + setup.ramSize());
        return rim;
    }

    public String hex() {
        return Measurement.hex(rim, hash);
    }

    private void step(String what) {
        steps.add(new Step(what, Measurement.hex(rim, hash)));
    }

    // ---- the RTT model -------------------------------------------------------------------------------------------

    private static long key(int level, long base) {
        return ((long) level << 56) | base;
    }

    /** Base of the range mapped by the table granule at {@code level} that holds the entry for ipa. */
    private static long tableBase(int level, long ipa) {
        long span = S2tt.levelSize(level) * 512;
        return ipa & ~(span - 1);
    }

    /** The table at {@code level} covering ipa, creating root tables (which always exist) on first use. */
    private int[] table(int level, long ipa) {
        long k = key(level, tableBase(level, ipa));
        int[] t = tables.get(k);
        if (t == null && level == startLevel) {
            t = new int[512]; // the roots start UNASSIGNED_EMPTY over the protected range
            tables.put(k, t);
        }
        return t;
    }

    private static int index(int level, long ipa) {
        return (int) ((ipa >>> S2tt.levelShift(level)) & 511);
    }

    /** The level the RMM's walk towards level 3 stops at for ipa. */
    private int walkLevel(long ipa) {
        int level = startLevel;
        while (level < 3 && table(level, ipa)[index(level, ipa)] == ENTRY_TABLE) {
            level++;
        }
        return level;
    }

    /** RMI_RTT_CREATE at {@code level} for ipa: the child inherits the parent entry's unassigned state. */
    private void rttCreate(long ipa, int level) {
        int[] parent = table(level - 1, ipa);
        int i = index(level - 1, ipa);
        if (parent[i] == ENTRY_TABLE) {
            return; // RMI_ERROR_RTT(level - 1): KVM treats it as already there
        }
        int[] child = new int[512];
        java.util.Arrays.fill(child, parent[i]);
        tables.put(key(level, tableBase(level, ipa)), child);
        parent[i] = ENTRY_TABLE;
    }

    /** KVM's realm_create_rtt_levels(). */
    private void createLevels(long ipa, int level, int maxLevel) {
        for (int l = level + 1; l <= maxLevel; l++) {
            rttCreate(ipa, l);
        }
    }

    /** DATA_CREATE at ipa, with KVM creating the missing tables first. */
    private void dataCreate(long ipa) {
        int l = walkLevel(ipa);
        if (l < 3) {
            createLevels(ipa, l, 3);
        }
        table(3, ipa)[index(3, ipa)] = ENTRY_ASSIGNED;
    }

    /** KVM's find_map_level(). */
    private int findMapLevel(long start, long end) {
        int level = 3;
        while (level > startLevel) {
            long size = S2tt.levelSize(level - 1);
            if ((start & (size - 1)) != 0 || start + size > end) {
                break;
            }
            level--;
        }
        return level;
    }

    /** KVM's realm_init_ipa_state(), with the RMM's RTT_INIT_RIPAS answers. */
    private void initIpaState(long ipa, long end) {
        while (ipa < end) {
            long r = initRipas(ipa, end);
            if (r < 0) {
                int errLevel = (int) -(r + 1);
                int level = findMapLevel(ipa, end);
                if (errLevel >= level) {
                    ipa += PAGE; // v12's skip of pages that are already RAM
                    continue;
                }
                createLevels(ipa, errLevel, level);
                continue;
            }
            ipa = r;
        }
    }

    /**
     * RMI_RTT_INIT_RIPAS(base, top): the address reached, or -(level + 1) for RMI_ERROR_RTT(level). Extends the
     * RIM with one RIPAS descriptor per entry set to RAM (or already RAM) in the one table the walk reached.
     */
    private long initRipas(long base, long top) {
        int level = walkLevel(base);
        long size = S2tt.levelSize(level);
        if ((base & (size - 1)) != 0) {
            return -(level + 1);
        }
        int[] t = table(level, base);
        long addr = base;
        for (int i = index(level, base); i < 512; i++) {
            if (addr + size > top) {
                break;
            }
            if (t[i] == ENTRY_EMPTY) {
                t[i] = ENTRY_RAM;
            } else if (t[i] != ENTRY_RAM) {
                break;
            }
            rim = Measurement.extendRipas(hash, rim, addr, addr + size);
            step(String.format("RTT_INIT_RIPAS %#x-%#x (level %d)", addr, addr + size, level));
            addr += size;
        }
        return addr > base ? addr : -(level + 1);
    }
}
