package dev.cca.rmm.realm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** RmiRealmParams (RMM spec B3.4.16; TF-RMM {@code struct rmi_realm_params}), as read from the host's page. */
public final class RealmParams {
    public final long flags;
    public final int s2sz;
    public final int sveVl;
    public final int numBps;
    public final int numWps;
    public final int pmuNumCtrs;
    public final int hashAlgo;
    public final byte[] rpv;
    public final int vmid;
    public final long rttBase;
    public final int rttLevelStart;
    public final int rttNumStart;

    public static final int FLAGS = 0x000, S2SZ = 0x008, SVE_VL = 0x010, NUM_BPS = 0x018, NUM_WPS = 0x020,
            PMU_NUM_CTRS = 0x028, HASH_ALGO = 0x030, RPV = 0x400, VMID = 0x800, RTT_BASE = 0x808,
            RTT_LEVEL_START = 0x810, RTT_NUM_START = 0x818;

    public RealmParams(byte[] page) {
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        flags = b.getLong(FLAGS);
        s2sz = b.getInt(S2SZ);
        sveVl = b.getInt(SVE_VL);
        numBps = b.getInt(NUM_BPS);
        numWps = b.getInt(NUM_WPS);
        pmuNumCtrs = b.getInt(PMU_NUM_CTRS);
        hashAlgo = b.get(HASH_ALGO) & 0xFF;
        rpv = new byte[64];
        b.position(RPV);
        b.get(rpv);
        vmid = b.getShort(VMID) & 0xFFFF;
        rttBase = b.getLong(RTT_BASE);
        rttLevelStart = (int) b.getLong(RTT_LEVEL_START);
        rttNumStart = b.getInt(RTT_NUM_START);
    }
}
