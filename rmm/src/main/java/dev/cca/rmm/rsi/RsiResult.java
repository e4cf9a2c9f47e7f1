package dev.cca.rmm.rsi;

import dev.cca.rmm.Failure;
import dev.cca.rmm.smc.Rsi;

/** The result of one RSI or PSCI call from a realm. */
public final class RsiResult {
    /** What an RSI or PSCI handler asks for (TF-RMM enum rsi_action). */
    public enum Action {
        /** Write the results to X0..X4 and resume the realm after the SMC. */
        RETURN,
        /** Write the results, step over the SMC, and exit to the host (a notification). */
        EXIT_UPDATED,
        /** Exit to the host leaving the registers alone; the host's answer completes the call later. */
        EXIT,
        /** Report a stage-2 fault on the call's buffer; the SMC is re-executed once the host has mapped it. */
        STAGE2_ABORT
    }

    Action action = Action.RETURN;
    final long[] x = new long[5];
    long abortIpa;
    int abortLevel;
    /** The failure condition that fired, or null. */
    Failure failure;

    /** The call fails with {@code status} (X0) because of the condition {@code label}; see {@link Failure}. */
    void fail(long status, String label, String format, Object... values) {
        x[0] = status;
        failure = new Failure(status, label, format, values);
    }

    /** The call fails with RSI_ERROR_INPUT. */
    void input(String label, String format, Object... values) {
        fail(Rsi.ERROR_INPUT, label, format, values);
    }

    void abort(long ipa, int level) {
        action = Action.STAGE2_ABORT;
        abortIpa = ipa;
        abortLevel = level;
    }
}
