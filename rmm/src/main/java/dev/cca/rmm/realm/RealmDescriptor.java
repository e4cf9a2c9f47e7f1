package dev.cca.rmm.realm;

import dev.cca.rmm.RmmMemory;
import dev.cca.rmm.measure.Measurement;

/**
 * The Realm Descriptor: a view of the RD granule, where the RMM keeps a realm's attributes (the layout is this
 * model's own; the spec leaves it to the implementation). Every getter and setter reads or writes the granule in
 * the Realm PAS.
 */
public final class RealmDescriptor {
    public static final int STATE_NEW = 0, STATE_ACTIVE = 1, STATE_SYSTEM_OFF = 2;

    private static final int STATE = 0x000, S2SZ = 0x008, RTT_LEVEL_START = 0x010, RTT_NUM_START = 0x018,
            RTT_BASE = 0x020, VMID = 0x028, HASH_ALGO = 0x030, REC_COUNT = 0x038, FLAGS = 0x040, NUM_BPS = 0x048,
            NUM_WPS = 0x050, PMU_NUM_CTRS = 0x058, SVE_VL = 0x060, RPV = 0x100, MEASUREMENTS = 0x200;
    public static final int RPV_BYTES = 64;
    public static final int MEASUREMENT_SLOTS = 5;

    private final RmmMemory mem;
    public final long pa;

    public RealmDescriptor(RmmMemory mem, long pa) {
        this.mem = mem;
        this.pa = pa;
    }

    private long get(int off) {
        return mem.read64(pa + off);
    }

    private void set(int off, long v) {
        mem.write64(pa + off, v);
    }

    public int state() {
        return (int) get(STATE);
    }

    public void setState(int s) {
        set(STATE, s);
    }

    public int s2sz() {
        return (int) get(S2SZ);
    }

    public int rttLevelStart() {
        return (int) get(RTT_LEVEL_START);
    }

    public int rttNumStart() {
        return (int) get(RTT_NUM_START);
    }

    public long rttBase() {
        return get(RTT_BASE);
    }

    public int vmid() {
        return (int) get(VMID);
    }

    public int hashAlgo() {
        return (int) get(HASH_ALGO);
    }

    public long recCount() {
        return get(REC_COUNT);
    }

    public void setRecCount(long n) {
        set(REC_COUNT, n);
    }

    public long flags() {
        return get(FLAGS);
    }

    public int numBps() {
        return (int) get(NUM_BPS);
    }

    public int numWps() {
        return (int) get(NUM_WPS);
    }

    public int pmuNumCtrs() {
        return (int) get(PMU_NUM_CTRS);
    }

    public int sveVl() {
        return (int) get(SVE_VL);
    }

    public byte[] rpv() {
        return mem.read(pa + RPV, RPV_BYTES);
    }

    /** Writes the attributes of a newly created realm. */
    public void init(RealmParams p) {
        set(STATE, STATE_NEW);
        set(S2SZ, p.s2sz);
        set(RTT_LEVEL_START, p.rttLevelStart);
        set(RTT_NUM_START, p.rttNumStart);
        set(RTT_BASE, p.rttBase);
        set(VMID, p.vmid);
        set(HASH_ALGO, p.hashAlgo);
        set(REC_COUNT, 0);
        set(FLAGS, p.flags);
        set(NUM_BPS, p.numBps);
        set(NUM_WPS, p.numWps);
        set(PMU_NUM_CTRS, p.pmuNumCtrs);
        set(SVE_VL, p.sveVl);
        mem.write(pa + RPV, p.rpv);
    }

    /** Measurement slot {@code i}: 0 is the RIM, 1..4 the REMs. 64 bytes; SHA-256 uses the first 32. */
    public byte[] measurement(int i) {
        return mem.read(pa + MEASUREMENTS + (long) i * Measurement.SLOT_BYTES, Measurement.SLOT_BYTES);
    }

    public void setMeasurement(int i, byte[] slot) {
        mem.write(pa + MEASUREMENTS + (long) i * Measurement.SLOT_BYTES, slot);
    }

    public byte[] rim() {
        return measurement(0);
    }

    public void setRim(byte[] slot) {
        setMeasurement(0, slot);
    }

    /** Bits of the protected address range: [0, 2^(s2sz-1)). */
    public boolean inPar(long ipa) {
        return Long.compareUnsigned(ipa, 1L << (s2sz() - 1)) < 0;
    }

    public boolean inIpaSpace(long ipa) {
        return Long.compareUnsigned(ipa, 1L << s2sz()) < 0;
    }
}
