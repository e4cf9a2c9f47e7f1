package dev.cca.core;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.decode.A64;

/**
 * Developer tool: the cost of executing single instruction words (hex arguments) in a tight loop, at EL1 with
 * SIMD&amp;FP enabled and X19 pointing at RAM. Usage: java -cp ... dev.cca.core.InsnTiming 4e209800 ...
 */
public final class InsnTiming {
    private InsnTiming() {
    }

    public static void main(String[] args) {
        Harness h = new Harness();
        h.enterEl1(SecurityState.NON_SECURE, Harness.RAM);
        Cpu c = h.cpu;
        c.sr[SysRegs.CPACR_EL1] = 3L << 20;
        for (String a : args) {
            Insn insn = A64.decode((int) Long.parseLong(a, 16));
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 5; round++) {
                c.x[19] = Harness.RAM + 0x1000;
                long t = System.nanoTime();
                for (int i = 0; i < 2_000_000; i++) {
                    insn.exec(c, Harness.RAM);
                }
                best = Math.min(best, System.nanoTime() - t);
            }
            System.out.printf("%s %-24s %6.1f ns%n", a, A64.name((int) Long.parseLong(a, 16)), best / 2e6);
        }
    }
}
