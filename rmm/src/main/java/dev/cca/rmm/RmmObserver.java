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

    /** A realm issued an RSI (or PSCI) call: X0 = FID, X1..X6 = args. */
    default void rsiCall(Cpu cpu, long recPa, long fid, long[] args) {
    }

    /** An RSI call handled by the RMM returns to the realm with X0..X4 = {@code out}. */
    default void rsiReturn(Cpu cpu, long recPa, long fid, long[] out) {
    }

    /** A REC exits to the host with {@code reason} (RMI_EXIT_*). */
    default void recExit(Cpu cpu, long recPa, int reason, long esr) {
    }

    default void granuleStateChanged(Cpu cpu, long pa, GranuleState from, GranuleState to) {
    }
}
