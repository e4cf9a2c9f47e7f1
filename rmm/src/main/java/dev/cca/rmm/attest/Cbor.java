package dev.cca.rmm.attest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A CBOR encoder (RFC 8949) for the attestation tokens: unsigned and negative integers, byte and text strings,
 * definite-length arrays and maps, and tags, always in the preferred (shortest) encoding of each head, as QCBOR
 * writes them for TF-RMM. Containers are written by announcing their size first ({@link #array}, {@link #map}),
 * so the output is a single pass over the items.
 */
public final class Cbor {
    private static final int UINT = 0, NINT = 1, BSTR = 2, TSTR = 3, ARRAY = 4, MAP = 5, TAG = 6;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** The major type and argument head, in the shortest form (RFC 8949 3.1, 4.2.1). */
    private Cbor head(int major, long arg) {
        int mt = major << 5;
        if (Long.compareUnsigned(arg, 24) < 0) {
            out.write(mt | (int) arg);
        } else if (Long.compareUnsigned(arg, 0x100) < 0) {
            out.write(mt | 24);
            out.write((int) arg);
        } else if (Long.compareUnsigned(arg, 0x1_0000) < 0) {
            out.write(mt | 25);
            writeBe(arg, 2);
        } else if (Long.compareUnsigned(arg, 0x1_0000_0000L) < 0) {
            out.write(mt | 26);
            writeBe(arg, 4);
        } else {
            out.write(mt | 27);
            writeBe(arg, 8);
        }
        return this;
    }

    private void writeBe(long v, int bytes) {
        for (int i = bytes - 1; i >= 0; i--) {
            out.write((int) (v >>> (8 * i)));
        }
    }

    /** An integer: major type 0 for n >= 0, major type 1 (-1 - n) for n < 0. */
    public Cbor integer(long n) {
        return n >= 0 ? head(UINT, n) : head(NINT, -1 - n);
    }

    public Cbor bytes(byte[] b) {
        head(BSTR, b.length);
        out.writeBytes(b);
        return this;
    }

    public Cbor text(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        head(TSTR, b.length);
        out.writeBytes(b);
        return this;
    }

    /** Starts an array of {@code n} items; the next n items written are its elements. */
    public Cbor array(int n) {
        return head(ARRAY, n);
    }

    /** Starts a map of {@code n} pairs; the next 2n items written are its keys and values. */
    public Cbor map(int n) {
        return head(MAP, n);
    }

    /** Tags the next item. */
    public Cbor tag(long t) {
        return head(TAG, t);
    }

    /** Appends an already encoded item. */
    public Cbor raw(byte[] encoded) {
        out.writeBytes(encoded);
        return this;
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }
}
