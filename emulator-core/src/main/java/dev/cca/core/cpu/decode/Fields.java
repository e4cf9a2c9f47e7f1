package dev.cca.core.cpu.decode;

/**
 * The operand fields of one instruction word, named by the letters of its pattern in {@link DecodeTable}.
 * Only used while decoding (decoding runs once per instruction word and page), so it may allocate.
 */
public final class Fields {
    private final int word;
    private final int[][] positions;

    Fields(int word, int[][] positions) {
        this.word = word;
        this.positions = positions;
    }

    public int word() {
        return word;
    }

    /** The unsigned value of field {@code c} (bits concatenated most significant first). */
    public int u(char c) {
        int[] pos = positions[c - 'a'];
        if (pos == null) {
            throw new IllegalArgumentException("pattern has no field '" + c + "'");
        }
        int v = 0;
        for (int p : pos) {
            v = (v << 1) | ((word >>> p) & 1);
        }
        return v;
    }

    /** The sign-extended value of field {@code c}. */
    public long s(char c) {
        int n = positions[c - 'a'].length;
        long v = u(c);
        return (v << (64 - n)) >> (64 - n);
    }

    /** Whether the pattern has a field {@code c}. */
    public boolean has(char c) {
        return positions[c - 'a'] != null;
    }

    /** Bit {@code n} of the instruction word. */
    public boolean bit(int n) {
        return ((word >>> n) & 1) != 0;
    }

    /** Bits [hi:lo] of the instruction word. */
    public int bits(int hi, int lo) {
        return (word >>> lo) & ((1 << (hi - lo + 1)) - 1);
    }
}
