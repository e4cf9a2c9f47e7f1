package dev.cca.kvm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Little-endian access to a C struct copied in from (or out to) user memory. */
final class UserStruct {
    private final ByteBuffer b;

    UserStruct(byte[] bytes) {
        b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    static UserStruct ofSize(int size) {
        return new UserStruct(new byte[size]);
    }

    long u64(int off) {
        return b.getLong(off);
    }

    long u32(int off) {
        return b.getInt(off) & 0xFFFF_FFFFL;
    }

    int s32(int off) {
        return b.getInt(off);
    }

    int u8(int off) {
        return b.get(off) & 0xFF;
    }

    UserStruct put64(int off, long v) {
        b.putLong(off, v);
        return this;
    }

    UserStruct put32(int off, long v) {
        b.putInt(off, (int) v);
        return this;
    }

    UserStruct put8(int off, int v) {
        b.put(off, (byte) v);
        return this;
    }

    /** True if bytes [off, off+len) are all zero (reserved fields). */
    boolean zero(int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    byte[] bytes() {
        return b.array();
    }
}
