package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Pmu;
import dev.cca.core.cpu.SysRegs;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.smc.Rmi;

/**
 * A REC's PMU across REC_ENTER and the REC exit (TF-RMM runtime/core/pmu.c, run.c): the RMM saves the host's PMU
 * registers on entry and gives them back on exit; a realm created with the PMU flag has its own, saved in its REC
 * granule, with the first {@code pmu_num_ctrs} event counters and the cycle counter (MDCR_EL2.HPMN =
 * pmu_num_ctrs, HPME = 0: the others are neither visible to it nor counting). A realm without the PMU flag has
 * every PMU register access trapped (MDCR_EL2.TPM, TPMCR) and made UNDEFINED, and reads PMUVer = 0 in
 * ID_AA64DFR0_EL1 ({@link RealmExits}). The exit's pmu_ovf_status reports whether the REC's overflow interrupt
 * request is asserted (PMOVSSET, PMINTENSET and the enables), for the host to inject the realm's PMU interrupt.
 */
final class RecPmu {
    private RecPmu() {
    }

    /** MDCR_EL2 fields the RMM sets for a REC. */
    static final long MDCR_PMU = Pmu.MDCR_HPMN_MASK | Pmu.MDCR_TPMCR | Pmu.MDCR_TPM | Pmu.MDCR_HPME
            | Pmu.MDCR_HPMD | Pmu.MDCR_HCCD | Pmu.MDCR_HLP;
    private static final long[] OFF = new long[Pmu.CONTEXT_LENGTH];

    static boolean enabled(RealmDescriptor d) {
        return (d.flags() & Rmi.REALM_FLAG_PMU) != 0;
    }

    /** A new REC: PMU state all zero (counters disabled), which is what the zeroed granule already holds. */

    /** REC_ENTER: saves the host's PMU and loads the REC's (or none). */
    static void enter(Cpu cpu, RecVirtualState.HostState host, Rec rec, RealmDescriptor d) {
        cpu.pmu.save(host.pmu, 0);
        boolean on = enabled(d);
        long mdcr = cpu.sr[SysRegs.MDCR_EL2] & ~MDCR_PMU;
        cpu.sr[SysRegs.MDCR_EL2] = mdcr | (on ? d.pmuNumCtrs() : Pmu.MDCR_TPM | Pmu.MDCR_TPMCR);
        if (on) {
            long[] s = host.pmuScratch;
            for (int i = 0; i < s.length; i++) {
                s[i] = rec.pmuReg(i);
            }
            cpu.pmu.restore(s, 0);
        } else {
            cpu.pmu.restore(OFF, 0);
        }
    }

    /** The REC exit: saves the REC's PMU, gives the host its own back; returns pmu_ovf_status. */
    static long exit(Cpu cpu, RecVirtualState.HostState host, Rec rec, RealmDescriptor d) {
        long status = Rmi.PMU_OVERFLOW_NOT_ACTIVE;
        if (enabled(d)) {
            if (cpu.pmu.irqAsserted()) {
                status = Rmi.PMU_OVERFLOW_ACTIVE;
            }
            long[] s = host.pmuScratch;
            cpu.pmu.save(s, 0);
            for (int i = 0; i < s.length; i++) {
                rec.setPmuReg(i, s[i]);
            }
        }
        cpu.pmu.restore(host.pmu, 0);
        return status;
    }
}
