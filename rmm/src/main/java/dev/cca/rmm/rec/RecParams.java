package dev.cca.rmm.rec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** RmiRecParams (RMM spec B3.4.12), read from the host's page. */
public final class RecParams {
    public static final int FLAGS = 0x000, MPIDR = 0x100, PC = 0x200, GPRS = 0x300, NUM_AUX = 0x800, AUX = 0x808;
    public static final int MAX_AUX = 16;

    public final long flags;
    public final long mpidr;
    public final long pc;
    public final long[] gprs = new long[8];
    public final long numAux;
    public final long[] aux = new long[MAX_AUX];

    public RecParams(byte[] page) {
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        flags = b.getLong(FLAGS);
        mpidr = b.getLong(MPIDR);
        pc = b.getLong(PC);
        for (int i = 0; i < 8; i++) {
            gprs[i] = b.getLong(GPRS + 8 * i);
        }
        numAux = b.getLong(NUM_AUX);
        for (int i = 0; i < MAX_AUX; i++) {
            aux[i] = b.getLong(AUX + 8 * i);
        }
    }

    /** The REC index encoded by an MPIDR in RmiRecParams layout (Aff3 in [31:24]). */
    public static long mpidrToIndex(long mpidr) {
        return (mpidr & 0xF) | (((mpidr >>> 8) & 0xFF) << 4) | (((mpidr >>> 16) & 0xFF) << 12)
                | (((mpidr >>> 24) & 0xFF) << 20);
    }

    /** The same index from an MPIDR_EL1-layout value (Aff3 in [39:32]), as a realm passes it to PSCI. */
    public static long mpidrEl1ToIndex(long mpidr) {
        return (mpidr & 0xF) | (((mpidr >>> 8) & 0xFF) << 4) | (((mpidr >>> 16) & 0xFF) << 12)
                | (((mpidr >>> 32) & 0xFF) << 20);
    }

    /** MPIDR bits that RmiRecParams.mpidr may have set. */
    public static boolean validMpidr(long mpidr) {
        return (mpidr & ~0xFFFF_FF0FL) == 0;
    }
}
