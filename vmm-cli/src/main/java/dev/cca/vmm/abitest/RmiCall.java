package dev.cca.vmm.abitest;

import dev.cca.rmm.smc.Rmi;

/**
 * An RMI call as the RMM completed it: the FID, X1..X6 ({@code args[1..6]}) and X0..X4 returned. {@code failure}
 * is, for a failed command, the failure condition of the RMM specification that fired and what the RMM found
 * ({@code dev.cca.rmm.Failure#message}: "data_state: granule 0x80042000 is UNDELEGATED, expected DELEGATED"),
 * null for a call that succeeded: mismatch messages print it after the status.
 */
record RmiCall(long fid, long[] args, long[] out, String failure) {
    String name() {
        String n = Rmi.name(fid);
        return n != null ? n : String.format("SMC %#x", fid);
    }

    /** "RMI_DATA_CREATE", with "=STATUS" when it failed and the failure condition when known. */
    String describe() {
        if (out[0] == 0) {
            return name();
        }
        return name() + '=' + Rmi.describe(out[0]) + (failure != null ? " (" + failure + ")" : "");
    }
}
