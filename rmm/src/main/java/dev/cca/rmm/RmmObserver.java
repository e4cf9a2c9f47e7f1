package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.rmm.granule.GranuleState;

/** Receives the RMM's events, for traces and debuggers. Called on the PE that runs the RMM. */
public interface RmmObserver {
    /** An RMI call arrived: {@code args[0]} is the FID, args[1..6] are X1..X6. */
    default void rmiCall(Cpu cpu, long fid, long[] args) {
    }

    /** An RMI call completes with X0..X4 = {@code out}. */
    default void rmiReturn(Cpu cpu, long fid, long[] args, long[] out) {
    }

    /**
     * An RMI call completes with X0..X4 = {@code out}; {@code failure} is the failure condition that fired and what
     * the RMM found (null when the call succeeded). The RMM calls this one; by default it calls the four-argument
     * form, so an observer overrides whichever it needs.
     */
    default void rmiReturn(Cpu cpu, long fid, long[] args, long[] out, Failure failure) {
        rmiReturn(cpu, fid, args, out);
    }

    /** A realm issued an RSI (or PSCI) call: X0 = FID, X1..X6 = args. */
    default void rsiCall(Cpu cpu, long recPa, long fid, long[] args) {
    }

    /** An RSI call handled by the RMM returns to the realm with X0..X4 = {@code out}. */
    default void rsiReturn(Cpu cpu, long recPa, long fid, long[] out) {
    }

    /**
     * An RSI (or PSCI) call returns to the realm with X0..X4 = {@code out}; {@code failure} is the failure condition
     * that fired (null unless the call failed). The RMM calls this one; by default it calls the four-argument form.
     */
    default void rsiReturn(Cpu cpu, long recPa, long fid, long[] out, Failure failure) {
        rsiReturn(cpu, recPa, fid, out);
    }

    /** A REC exits to the host with {@code reason} (RMI_EXIT_*). */
    default void recExit(Cpu cpu, long recPa, int reason, long esr) {
    }

    default void granuleStateChanged(Cpu cpu, long pa, GranuleState from, GranuleState to) {
    }
}
