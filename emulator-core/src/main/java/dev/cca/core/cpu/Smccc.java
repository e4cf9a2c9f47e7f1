package dev.cca.core.cpu;

/**
 * The SMC Calling Convention (Arm DEN0028) as used by software modelled in Java: arguments in X1..X7 with the
 * function identifier in X0, results in X0..X7. {@link #call} executes an SMC from the current exception level
 * and runs the PE until control comes back to that level, exactly as the SMC instruction would.
 */
public final class Smccc {
    private Smccc() {
    }

    /** Returned in X0 for an unknown function identifier. */
    public static final long SMC_UNKNOWN = -1L;
    public static final long SMCCC_VERSION = 0x8000_0000L;

    /** Thrown when a call does not come back (the PE ran out of budget or was stopped inside it). */
    public static final class CallInterruptedException extends RuntimeException {
        public final Cpu.StopReason reason;

        CallInterruptedException(long fid, Cpu.StopReason reason, StopReport report, Throwable cause) {
            super(String.format("SMC %#x did not return: %s", fid, reason) + (report == null ? "" : " (" + report + ")"),
                    cause);
            this.reason = reason;
        }
    }

    /**
     * Calls {@code fid} with {@code args} in X1.. and returns X0..X4 (a new array of 5).
     */
    public static long[] call(Cpu cpu, long fid, long... args) {
        long[] out = new long[5];
        callInto(cpu, out, fid, args);
        return out;
    }

    /** As {@link #call}, writing X0..X(out.length-1) into {@code out}. */
    public static void callInto(Cpu cpu, long[] out, long fid, long... args) {
        if (args.length > 7) {
            throw new IllegalArgumentException("SMCCC passes at most 7 arguments");
        }
        int el = cpu.el;
        SecurityState ss = cpu.securityState();
        cpu.x[0] = fid;
        for (int i = 0; i < 7; i++) {
            cpu.x[i + 1] = i < args.length ? args[i] : 0;
        }
        cpu.smc(0);
        Cpu.StopReason r = cpu.runUntil(el, ss);
        if (r != Cpu.StopReason.ARRIVED) {
            boolean abnormal = r == Cpu.StopReason.EXCEPTION_LOOP || r == Cpu.StopReason.INTERNAL_ERROR;
            throw new CallInterruptedException(fid, r, abnormal ? cpu.stopReport() : null,
                    r == Cpu.StopReason.INTERNAL_ERROR ? cpu.internalErrorCause() : null);
        }
        System.arraycopy(cpu.x, 0, out, 0, out.length);
    }
}
