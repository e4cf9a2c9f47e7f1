package dev.cca.rmm.rsi;

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

    void abort(long ipa, int level) {
        action = Action.STAGE2_ABORT;
        abortIpa = ipa;
        abortLevel = level;
    }
}
