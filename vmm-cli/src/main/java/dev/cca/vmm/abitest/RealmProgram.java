package dev.cca.vmm.abitest;

import dev.cca.rmm.smc.Psci;

import java.util.ArrayList;
import java.util.List;

/**
 * Tiny realm programs for ABI scenarios, assembled here from A64 encodings (Arm ARM C6): they run at realm EL1
 * with the MMU off from the start of the program page. They talk to the VMM through the <em>probe</em>: 64-bit
 * stores to the unprotected alias of {@link #PROBE} become KVM_EXIT_MMIO writes, store {@code i} of a report at
 * {@code PROBE + 8 * i}.
 */
final class RealmProgram {
    /** The MMIO address programs report to (canonical; the program adds the unprotected-alias bit). */
    static final long PROBE = 0x0900_0000L;
    /** Where a secondary vCPU started with {@link #cpuOn} begins: 2 KiB into the program page. */
    static final int SECONDARY_OFFSET = 0x800;

    private final List<Integer> words = new ArrayList<>();

    static int movz(int rd, int imm16, int hw) {
        return 0xD280_0000 | (hw << 21) | ((imm16 & 0xFFFF) << 5) | rd;
    }

    static int movk(int rd, int imm16, int hw) {
        return 0xF280_0000 | (hw << 21) | ((imm16 & 0xFFFF) << 5) | rd;
    }

    /** STR Xt, [Xn, #imm] (unsigned offset, a multiple of 8 below 32 KiB). */
    static int str(int rt, int rn, int imm) {
        return 0xF900_0000 | ((imm / 8) << 10) | (rn << 5) | rt;
    }

    /** LDR Xt, [Xn, #imm]. */
    static int ldr(int rt, int rn, int imm) {
        return 0xF940_0000 | ((imm / 8) << 10) | (rn << 5) | rt;
    }

    static final int SMC0 = 0xD400_0003;
    static final int B_SELF = 0x1400_0000;

    RealmProgram mov(int rd, long value) {
        words.add(movz(rd, (int) value, 0));
        for (int hw = 1; hw < 4; hw++) {
            int chunk = (int) (value >>> (16 * hw)) & 0xFFFF;
            if (chunk != 0) {
                words.add(movk(rd, chunk, hw));
            }
        }
        return this;
    }

    RealmProgram word(int w) {
        words.add(w);
        return this;
    }

    /** Stores X0..X(n-1) to the probe (X9 holds the probe's unprotected alias). */
    RealmProgram report(int n, long sharedBit) {
        mov(9, PROBE | sharedBit);
        for (int i = 0; i < n; i++) {
            words.add(str(i, 9, 8 * i));
        }
        return this;
    }

    RealmProgram systemOff() {
        mov(0, Psci.SYSTEM_OFF);
        words.add(SMC0);
        words.add(B_SELF);
        return this;
    }

    /** Pads with {@code B .} up to byte offset {@code off}. */
    RealmProgram padTo(int off) {
        while (words.size() * 4 < off) {
            words.add(B_SELF);
        }
        return this;
    }

    int[] words() {
        return words.stream().mapToInt(Integer::intValue).toArray();
    }

    /** An SMC with X0..X6 = {@code regs}, then a report of X0..X4 and PSCI SYSTEM_OFF. */
    static RealmProgram smc(long[] regs, long sharedBit) {
        RealmProgram p = new RealmProgram();
        for (int i = 0; i < regs.length; i++) {
            p.mov(i, regs[i]);
        }
        p.word(SMC0);
        return p.report(5, sharedBit).systemOff();
    }

    /**
     * The built-in programs, by name:
     * <ul>
     *   <li>{@code system-off}, {@code system-reset}: the PSCI call at once;</li>
     *   <li>{@code mmio}: a 1-byte write of 0x41 to the probe, a 4-byte read of probe+0x18 reported back at
     *       probe+8, then SYSTEM_OFF;</li>
     *   <li>{@code touch-private}: a load from the protected page at program+0x10000 (faulted in by KVM), reported,
     *       then SYSTEM_OFF;</li>
     *   <li>{@code touch-shared}: a store of 0x5a to the unprotected alias of program+0x10000, then SYSTEM_OFF;</li>
     *   <li>{@code cpu-on}: PSCI CPU_ON of MPIDR 1 at program+{@value #SECONDARY_OFFSET} with context 0x77, X0
     *       reported; the secondary reports its X0 at probe+0x100 and calls SYSTEM_OFF;</li>
     *   <li>{@code affinity-info}: PSCI AFFINITY_INFO(MPIDR 1, level 0), X0 reported, SYSTEM_OFF;</li>
     *   <li>{@code ripas-empty}: RSI_IPA_STATE_SET of program+0x10000..+0x11000 to EMPTY (RSI_CHANGE_DESTROYED),
     *       X0 and X1 reported, SYSTEM_OFF;</li>
     *   <li>{@code host-call}: RSI_HOST_CALL with an RsiHostCall at program+0x1000 whose X0 is 0xC600_0001, X0 of
     *       the struct after the call reported, SYSTEM_OFF;</li>
     *   <li>{@code jump-private}: branches to program+0x20000, a protected page nobody populated;</li>
     *   <li>{@code spin}: loops forever.</li>
     * </ul>
     */
    static int[] named(String name, long base, long sharedBit) {
        switch (name) {
            case "system-off":
                return new RealmProgram().systemOff().words();
            case "system-reset": {
                RealmProgram p = new RealmProgram().mov(0, Psci.SYSTEM_RESET);
                return p.word(SMC0).word(B_SELF).words();
            }
            case "mmio": {
                RealmProgram p = new RealmProgram().mov(9, PROBE | sharedBit).mov(3, 0x41);
                p.word(0x3900_0123); // STRB W3, [X9]
                p.word(0xB940_1920); // LDR W0, [X9, #0x18]
                p.word(str(0, 9, 8));
                return p.systemOff().words();
            }
            case "touch-private": {
                RealmProgram p = new RealmProgram().mov(10, base + 0x10000).word(ldr(0, 10, 0));
                return p.report(1, sharedBit).systemOff().words();
            }
            case "touch-shared": {
                RealmProgram p = new RealmProgram().mov(10, (base + 0x10000) | sharedBit).mov(3, 0x5a);
                p.word(str(3, 10, 0));
                return p.systemOff().words();
            }
            case "cpu-on": {
                RealmProgram p = new RealmProgram().mov(0, Psci.CPU_ON_64).mov(1, 1).mov(2, base + SECONDARY_OFFSET)
                        .mov(3, 0x77).word(SMC0).report(1, sharedBit).word(B_SELF).padTo(SECONDARY_OFFSET);
                p.mov(9, (PROBE + 0x100) | sharedBit).word(str(0, 9, 0));
                return p.systemOff().words();
            }
            case "affinity-info": {
                RealmProgram p = new RealmProgram().mov(0, Psci.AFFINITY_INFO_64).mov(1, 1).mov(2, 0).word(SMC0);
                return p.report(1, sharedBit).systemOff().words();
            }
            case "ripas-empty": {
                RealmProgram p = new RealmProgram().mov(0, dev.cca.rmm.smc.Rsi.IPA_STATE_SET).mov(1, base + 0x10000)
                        .mov(2, base + 0x11000).mov(3, 0).mov(4, 1).word(SMC0);
                return p.report(2, sharedBit).systemOff().words();
            }
            case "host-call": {
                RealmProgram p = new RealmProgram().mov(10, base + 0x1000).mov(11, 0xC600_0001L)
                        .word(str(11, 10, 8)) // RsiHostCall.gprs[0] at offset 8 (imm at 0)
                        .mov(0, dev.cca.rmm.smc.Rsi.HOST_CALL).mov(1, base + 0x1000).word(SMC0)
                        .word(ldr(0, 10, 8));
                return p.report(1, sharedBit).systemOff().words();
            }
            case "jump-private":
                return new RealmProgram().mov(10, base + 0x20000).word(0xD61F_0000 | (10 << 5)).words(); // BR X10
            case "spin":
                return new int[] {B_SELF};
            default:
                throw new ScenarioException("unknown program '" + name + "' (known: system-off, system-reset, mmio, "
                        + "touch-private, touch-shared, cpu-on, affinity-info, ripas-empty, host-call, jump-private, spin)");
        }
    }
}
