package dev.cca.core.mem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Little-endian primitive access to byte arrays through VarHandles: no allocation, unaligned allowed. */
public final class Bytes {
    private Bytes() {
    }

    public static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    public static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    public static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    public static long get(byte[] a, int off, int size) {
        switch (size) {
            case 1: return a[off] & 0xFFL;
            case 2: return (short) SHORT.get(a, off) & 0xFFFFL;
            case 4: return (int) INT.get(a, off) & 0xFFFF_FFFFL;
            case 8: return (long) LONG.get(a, off);
            default: throw new IllegalArgumentException("access size " + size);
        }
    }

    public static void put(byte[] a, int off, int size, long v) {
        switch (size) {
            case 1: a[off] = (byte) v; break;
            case 2: SHORT.set(a, off, (short) v); break;
            case 4: INT.set(a, off, (int) v); break;
            case 8: LONG.set(a, off, v); break;
            default: throw new IllegalArgumentException("access size " + size);
        }
    }

    public static long getLong(byte[] a, int off) {
        return (long) LONG.get(a, off);
    }

    public static void putLong(byte[] a, int off, long v) {
        LONG.set(a, off, v);
    }

    public static int getInt(byte[] a, int off) {
        return (int) INT.get(a, off);
    }

    public static void putInt(byte[] a, int off, int v) {
        INT.set(a, off, v);
    }
}
