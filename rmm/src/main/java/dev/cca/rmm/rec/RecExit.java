package dev.cca.rmm.rec;

/** The information written to RmiRecExit when a REC exits to the host. */
public final class RecExit {
    public int reason;
    public long esr, far, hpfar;
    public final long[] gprs = new long[31];
    public long ripasBase, ripasTop, ripasValue;
    public long imm;
}
