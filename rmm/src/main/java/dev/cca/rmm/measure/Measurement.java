package dev.cca.rmm.measure;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Realm measurements (RMM spec A7.1; TF-RMM {@code lib/measurement}): the RIM is initialised from the measured
 * fields of RmiRealmParams and extended with one 256-byte descriptor per DATA_CREATE, runnable REC_CREATE and
 * RTT_INIT_RIPAS entry; REMs are extended by RSI_MEASUREMENT_EXTEND. Measurements are stored in 64-byte slots;
 * a SHA-256 value uses the first 32 bytes.
 */
public final class Measurement {
    private Measurement() {
    }

    public static final int SLOT_BYTES = 64;
    public static final int DESC_DATA = 0, DESC_REC = 1, DESC_RIPAS = 2;
    private static final int DESC_BYTES = 0x100;

    public static int hashLength(int hashAlgo) {
        return hashAlgo == 1 ? 64 : 32;
    }

    public static MessageDigest digest(int hashAlgo) {
        try {
            return MessageDigest.getInstance(hashAlgo == 1 ? "SHA-512" : "SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** H(data) in a 64-byte slot. */
    public static byte[] hash(int hashAlgo, byte[] data) {
        byte[] h = digest(hashAlgo).digest(data);
        byte[] slot = new byte[SLOT_BYTES];
        System.arraycopy(h, 0, slot, 0, h.length);
        return slot;
    }

    /** The initial RIM: the hash of a RmiRealmParams page holding only the measured fields. */
    public static byte[] rimInit(int hashAlgo, long flags, int s2sz, int sveVl, int numBps, int numWps,
                                 int pmuNumCtrs) {
        ByteBuffer p = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        p.putLong(0x0, flags);
        p.putInt(0x8, s2sz);
        p.putInt(0x10, sveVl);
        p.putInt(0x18, numBps);
        p.putInt(0x20, numWps);
        p.putInt(0x28, pmuNumCtrs);
        p.put(0x30, (byte) hashAlgo);
        return hash(hashAlgo, p.array());
    }

    private static ByteBuffer descriptor(int type, int hashAlgo, byte[] rim) {
        ByteBuffer d = ByteBuffer.allocate(DESC_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        d.put(0, (byte) type);
        d.putLong(0x8, DESC_BYTES);
        d.position(0x10);
        d.put(rim, 0, hashLength(hashAlgo));
        return d;
    }

    /** RIM extension for DATA_CREATE of {@code content} at {@code ipa} ({@code flags}: 1 = content measured). */
    public static byte[] extendData(int hashAlgo, byte[] rim, long ipa, long flags, byte[] content) {
        ByteBuffer d = descriptor(DESC_DATA, hashAlgo, rim);
        d.putLong(0x50, ipa);
        d.putLong(0x58, flags);
        if (flags == 1) {
            byte[] h = digest(hashAlgo).digest(content);
            d.position(0x60);
            d.put(h);
        }
        return hash(hashAlgo, d.array());
    }

    /** RIM extension for REC_CREATE of a runnable REC. */
    public static byte[] extendRec(int hashAlgo, byte[] rim, long flags, long pc, long[] gprs) {
        ByteBuffer p = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        p.putLong(0x0, flags);
        p.putLong(0x200, pc);
        for (int i = 0; i < 8; i++) {
            p.putLong(0x300 + 8 * i, gprs[i]);
        }
        ByteBuffer d = descriptor(DESC_REC, hashAlgo, rim);
        d.position(0x50);
        d.put(digest(hashAlgo).digest(p.array()));
        return hash(hashAlgo, d.array());
    }

    /** RIM extension for one RTTE set to RIPAS RAM by RTT_INIT_RIPAS. */
    public static byte[] extendRipas(int hashAlgo, byte[] rim, long base, long top) {
        ByteBuffer d = descriptor(DESC_RIPAS, hashAlgo, rim);
        d.putLong(0x50, base);
        d.putLong(0x58, top);
        return hash(hashAlgo, d.array());
    }

    /** REM extension: H(REM[0:hlen] || value[0:size]). */
    public static byte[] extendRem(int hashAlgo, byte[] rem, byte[] value, int size) {
        MessageDigest md = digest(hashAlgo);
        md.update(rem, 0, hashLength(hashAlgo));
        md.update(value, 0, size);
        byte[] slot = new byte[SLOT_BYTES];
        byte[] h = md.digest();
        System.arraycopy(h, 0, slot, 0, h.length);
        return slot;
    }

    public static String hex(byte[] slot, int hashAlgo) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < hashLength(hashAlgo); i++) {
            sb.append(String.format("%02x", slot[i] & 0xFF));
        }
        return sb.toString();
    }
}
