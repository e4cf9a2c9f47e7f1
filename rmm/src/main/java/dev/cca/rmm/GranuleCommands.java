package dev.cca.rmm;

import dev.cca.core.cpu.Smccc;
import dev.cca.rmm.granule.GranuleState;
import dev.cca.rmm.smc.Rmi;
import dev.cca.rmm.smc.RmmEl3;

/** RMI_GRANULE_DELEGATE and RMI_GRANULE_UNDELEGATE (TF-RMM runtime/rmi/granule.c). */
final class GranuleCommands {
    private final Rmm rmm;

    GranuleCommands(Rmm rmm) {
        this.rmm = rmm;
    }

    long delegate(RmmMemory mem, long addr) {
        // gran_align, gran_bound, gran_state
        if (!rmm.is(addr, GranuleState.NS)) {
            return Rmi.ERROR_INPUT;
        }
        // gran_gpt: EL3 moves the granule to the Realm PAS, or refuses (e.g. it belongs to Secure).
        long[] r = Smccc.call(mem.cpu, RmmEl3.GTSI_DELEGATE, addr);
        if (r[0] != RmmEl3.E_RMM_OK) {
            return Rmi.ERROR_INPUT;
        }
        // R10 scrubs at delegation, so a DELEGATED granule always reads as zero.
        mem.zeroGranule(addr);
        rmm.transition(mem.cpu, addr, GranuleState.DELEGATED);
        return Rmi.SUCCESS;
    }

    long undelegate(RmmMemory mem, long addr) {
        if (!rmm.is(addr, GranuleState.DELEGATED)) {
            return Rmi.ERROR_INPUT;
        }
        long[] r = Smccc.call(mem.cpu, RmmEl3.GTSI_UNDELEGATE, addr);
        if (r[0] != RmmEl3.E_RMM_OK) {
            throw new IllegalStateException(String.format("EL3 refused to undelegate %#x: %d", addr, r[0]));
        }
        rmm.transition(mem.cpu, addr, GranuleState.NS);
        return Rmi.SUCCESS;
    }
}
