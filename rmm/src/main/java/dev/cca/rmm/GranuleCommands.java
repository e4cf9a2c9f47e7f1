package dev.cca.rmm;

import dev.cca.core.cpu.Smccc;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.smc.RmmEl3;

/** RMI_GRANULE_DELEGATE and RMI_GRANULE_UNDELEGATE (TF-RMM runtime/rmi/granule.c). */
final class GranuleCommands {
    private final Rmm rmm;

    GranuleCommands(Rmm rmm) {
        this.rmm = rmm;
    }

    Failure delegate(RmmMemory mem, long addr) {
        // gran_align, gran_bound, gran_state
        Failure f = rmm.granule(addr, GranuleState.NS, "gran", "gran_state");
        if (f != null) {
            return f;
        }
        // gran_gpt: EL3 moves the granule to the Realm PAS, or refuses (e.g. it belongs to Secure).
        long[] r = Smccc.call(mem.cpu, RmmEl3.GTSI_DELEGATE, addr);
        if (r[0] != RmmEl3.E_RMM_OK) {
            return Rmm.input("gran_gpt", "EL3 refused to move granule %#x to the Realm PAS (RMM_GTSI_DELEGATE: %d):"
                    + " its GPT entry is not Non-secure", addr, r[0]);
        }
        // R10 scrubs at delegation, so a DELEGATED granule always reads as zero.
        mem.zeroGranule(addr);
        rmm.transition(mem.cpu, addr, GranuleState.DELEGATED);
        return null;
    }

    Failure undelegate(RmmMemory mem, long addr) {
        // gran_align, gran_bound, gran_state
        Failure f = rmm.granule(addr, GranuleState.DELEGATED, "gran", "gran_state");
        if (f != null) {
            return f;
        }
        long[] r = Smccc.call(mem.cpu, RmmEl3.GTSI_UNDELEGATE, addr);
        if (r[0] != RmmEl3.E_RMM_OK) {
            throw new IllegalStateException(String.format("EL3 refused to undelegate %#x: %d", addr, r[0]));
        }
        rmm.transition(mem.cpu, addr, GranuleState.NS);
        return null;
    }
}
