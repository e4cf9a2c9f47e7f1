package dev.cca.core.cpu.decode;

import dev.cca.core.cpu.Insn;

import java.util.ArrayList;
import java.util.List;

/**
 * A declarative decode table in the spirit of QEMU's decodetree: each encoding is one line with a 32-character
 * pattern, most significant bit first. '0' and '1' are fixed bits, '-' is a bit the instruction ignores, and a
 * lower-case letter marks the bits of a named operand field (a letter may cover several runs of bits; they are
 * concatenated in order). Spaces are for readability. Lines are tried in order, so a more specific encoding must
 * come before a more general one that overlaps it.
 *
 * <p>The table is bucketed by bits [28:25] (the A64 op0 group) and [31:29], so a lookup scans only the lines
 * that can match.
 */
public final class DecodeTable {

    // ---- engine metadata of an encoding: what an engine that executes blocks of instructions must know -------
    /** Writes the PC other than by falling through (B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR, BLR, RET). */
    public static final int BRANCH = 1;
    /** Generates an exception by design (SVC, HVC, SMC, BRK, HLT, DCPS). */
    public static final int EXCEPTION_GEN = 1 << 1;
    /** Exception return (ERET): changes EL, PSTATE and the translation regime. */
    public static final int ERET = 1 << 2;
    /**
     * May write a system register or PSTATE field that changes translation, interrupt masking or the exception
     * level's view (MSR, SYS: TLBI, AT, IC/DC, MSR immediate), or waits (WFI).
     */
    public static final int WRITES_CONTEXT = 1 << 3;
    /** May read the system counter (MRS of CNT*): must see the exact instruction count (docs/time.md). */
    public static final int READS_COUNTER = 1 << 4;
    /**
     * May trap to a higher EL for a reason other than its own data access (system register and instruction
     * traps), with a syndrome built from the instruction and its PC.
     */
    public static final int MAY_TRAP = 1 << 5;
    /** A conditional PC-relative branch (B.cond, CBZ/CBNZ, TBZ/TBNZ): falls through or goes to a fixed target. */
    public static final int CONDITIONAL = 1 << 8;
    /** In the A64 "loads and stores" encoding group: may access (and store to) memory. */
    public static final int MEMORY = 1 << 7;
    /** The instruction ends a block: after it, the engine re-evaluates where the PE is. */
    public static final int ENDS_BLOCK = 1 << 6;
    /** Everything a system instruction (MSR, MRS, SYS, hints, barriers) may do. */
    public static final int SYSTEM = WRITES_CONTEXT | READS_COUNTER | MAY_TRAP | ENDS_BLOCK;

    @FunctionalInterface
    public interface Factory {
        /** Builds the executable form of one instruction word, or returns null if it is unallocated. */
        Insn make(Fields f);
    }

    /** One table line. */
    public static final class Entry {
        public final String name;
        public final int mask;
        public final int value;
        /** Engine metadata: a combination of {@link #BRANCH}, {@link #ENDS_BLOCK}... (0 for straight-line code). */
        public final int flags;
        final int[][] fields;
        final Factory factory;

        Entry(String name, int mask, int value, int flags, int[][] fields, Factory factory) {
            this.name = name;
            this.mask = mask;
            this.value = value;
            this.flags = flags;
            this.fields = fields;
            this.factory = factory;
        }
    }

    private static final int BUCKET_BITS = 7; // bits [31:25]
    @SuppressWarnings("unchecked")
    private final List<Entry>[] buckets = new List[1 << BUCKET_BITS];
    private final List<Entry> all = new ArrayList<>();
    private Entry[][] frozen;

    public DecodeTable() {
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new ArrayList<>();
        }
    }

    /** Adds an encoding of straight-line code (no engine metadata). */
    public DecodeTable op(String name, String pattern, Factory factory) {
        return op(name, pattern, 0, factory);
    }

    /** Adds an encoding with its engine metadata {@code flags} ({@link #BRANCH}, {@link #SYSTEM}...). */
    public DecodeTable op(String name, String pattern, int flags, Factory factory) {
        String p = pattern.replace(" ", "");
        if (p.length() != 32) {
            throw new IllegalArgumentException(name + ": pattern has " + p.length() + " bits: " + pattern);
        }
        int mask = 0, value = 0;
        List<List<Integer>> fields = new ArrayList<>();
        for (int i = 0; i < 26; i++) {
            fields.add(null);
        }
        for (int i = 0; i < 32; i++) {
            char ch = p.charAt(i);
            int bit = 31 - i;
            if (ch == '0' || ch == '1') {
                mask |= 1 << bit;
                if (ch == '1') {
                    value |= 1 << bit;
                }
            } else if (ch >= 'a' && ch <= 'z') {
                List<Integer> l = fields.get(ch - 'a');
                if (l == null) {
                    l = new ArrayList<>();
                    fields.set(ch - 'a', l);
                }
                l.add(bit);
            } else if (ch != '-') {
                throw new IllegalArgumentException(name + ": bad pattern character '" + ch + "'");
            }
        }
        int[][] pos = new int[26][];
        for (int i = 0; i < 26; i++) {
            List<Integer> l = fields.get(i);
            if (l != null) {
                pos[i] = l.stream().mapToInt(Integer::intValue).toArray();
            }
        }
        Entry e = new Entry(name, mask, value, flags, pos, factory);
        all.add(e);
        int bmask = mask >>> (32 - BUCKET_BITS);
        int bval = value >>> (32 - BUCKET_BITS);
        for (int b = 0; b < buckets.length; b++) {
            if ((b & bmask) == bval) {
                buckets[b].add(e);
            }
        }
        frozen = null;
        return this;
    }

    /** The first table line matching {@code word}, or null. */
    public Entry match(int word) {
        Entry[][] f = frozen;
        if (f == null) {
            f = freeze();
        }
        for (Entry e : f[word >>> (32 - BUCKET_BITS)]) {
            if ((word & e.mask) == e.value) {
                return e;
            }
        }
        return null;
    }

    /** Decodes {@code word}; null if no line matches or the matching line's factory rejects it. */
    public Insn decode(int word) {
        Entry e = match(word);
        if (e == null) {
            return null;
        }
        return e.factory.make(new Fields(word, e.fields));
    }

    public List<Entry> entries() {
        return List.copyOf(all);
    }

    private synchronized Entry[][] freeze() {
        Entry[][] f = new Entry[buckets.length][];
        for (int i = 0; i < buckets.length; i++) {
            f[i] = buckets[i].toArray(new Entry[0]);
        }
        frozen = f;
        return f;
    }
}
