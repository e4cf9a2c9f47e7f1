package dev.cca.rmm;

import java.util.Locale;

/**
 * Which of a command's failure conditions made an RMI or RSI command fail, and what the RMM found: its label as
 * the RMM specification (DEN0137) and Arm's ACS name it ({@code data_state}, {@code rtt_walk}; see
 * {@link RmiCommand#conditions()}) and a sentence built, only when someone asks for it, from the values the check
 * saw: {@code data_state: granule 0x80042000 is UNDELEGATED, expected DELEGATED}. A real RMM returns only the
 * status; this one also hands the explanation to its observers ({@link RmmObserver#rmiReturn(
 * dev.cca.core.cpu.Cpu, long, long[], long[], Failure)}), for traces and debuggers. Nothing is formatted on the
 * success path, and a failure costs this small object.
 */
public final class Failure {
    private final long status;
    private final String label;
    private final String format;
    private final Object[] values;
    private String detail;

    /**
     * @param status the X0 the command returns (an RMI status with its index, an RSI or PSCI status)
     * @param label the failure condition's label
     * @param format a {@link String#format} pattern for the finding, formatted with {@code values} on demand
     */
    public Failure(long status, String label, String format, Object... values) {
        this.status = status;
        this.label = label;
        this.format = format;
        this.values = values;
    }

    /** The status the command returned in X0. */
    public long status() {
        return status;
    }

    /** The failure condition's label: {@code rd_state}. */
    public String label() {
        return label;
    }

    /** What the RMM found: {@code granule 0x80042000 is UNDELEGATED, expected DELEGATED}. */
    public String detail() {
        String d = detail;
        if (d == null) {
            d = String.format(Locale.ROOT, format, values);
            detail = d;
        }
        return d;
    }

    /** {@code label: detail}. */
    public String message() {
        return label + ": " + detail();
    }

    @Override
    public String toString() {
        return message();
    }
}
