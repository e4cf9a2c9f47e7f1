package dev.cca.vmm.fdt;

import java.nio.ByteBuffer;

/**
 * Checks a flattened device tree given by the user (--dtb) before a guest boots with it, as libfdt's
 * fdt_check_header and fdt_check_full do: the header (devicetree specification v0.4, 5.2), that every block lies
 * inside totalsize, and that the structure block is a well-formed sequence of tokens whose property names lie in
 * the strings block. Returns the problem in words, or null when the tree is sound.
 */
public final class FdtCheck {
    private static final int HEADER_BYTES = 40;
    private static final int FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_NOP = 4, FDT_END = 9;
    /** Nodes nested deeper than this are refused (libfdt's FDT_MAX_DEPTH is 64 for its walkers). */
    private static final int MAX_DEPTH = 64;

    private FdtCheck() {
    }

    public static String problem(byte[] b) {
        if (b.length < 4 || ByteBuffer.wrap(b).getInt(0) != FdtWriter.MAGIC) {
            return "is not a flattened device tree (no 0xd00dfeed magic)";
        }
        if (b.length < HEADER_BYTES) {
            return String.format("truncated: a device tree header needs %d bytes, the file has %d", HEADER_BYTES,
                    b.length);
        }
        ByteBuffer h = ByteBuffer.wrap(b);
        long total = h.getInt(4) & 0xFFFF_FFFFL;
        long offStruct = h.getInt(8) & 0xFFFF_FFFFL;
        long offStrings = h.getInt(12) & 0xFFFF_FFFFL;
        long offRsv = h.getInt(16) & 0xFFFF_FFFFL;
        long version = h.getInt(20) & 0xFFFF_FFFFL;
        long lastComp = h.getInt(24) & 0xFFFF_FFFFL;
        long sizeStrings = h.getInt(32) & 0xFFFF_FFFFL;
        long sizeStruct = h.getInt(36) & 0xFFFF_FFFFL;
        if (total > b.length) {
            return String.format("truncated: the header says %d bytes, the file has %d", total, b.length);
        }
        if (total < HEADER_BYTES) {
            return String.format("header: totalsize %d is smaller than the header", total);
        }
        if (version < 17 || lastComp > 17) {
            return String.format("header: version %d (last compatible %d); version 17 is needed", version, lastComp);
        }
        if (offRsv < HEADER_BYTES || offRsv > total || (offRsv & 7) != 0) {
            return String.format("header: off_mem_rsvmap %#x is outside the tree (%#x bytes) or not 8-byte aligned",
                    offRsv, total);
        }
        if (offStruct < HEADER_BYTES || (offStruct & 3) != 0 || offStruct > total || sizeStruct > total - offStruct) {
            return String.format("header: the structure block %#x+%#x is outside the tree (%#x bytes) or not "
                    + "4-byte aligned", offStruct, sizeStruct, total);
        }
        if (offStrings < HEADER_BYTES || offStrings > total || sizeStrings > total - offStrings) {
            return String.format("header: the strings block %#x+%#x is outside the tree (%#x bytes)", offStrings,
                    sizeStrings, total);
        }
        for (long p = offRsv; ; p += 16) {
            if (p + 16 > total) {
                return "the memory reservation block has no terminating entry inside the tree";
            }
            if (h.getLong((int) p) == 0 && h.getLong((int) p + 8) == 0) {
                break;
            }
        }
        return structure(h, (int) offStruct, (int) (offStruct + sizeStruct), (int) offStrings, (int) sizeStrings);
    }

    private static String structure(ByteBuffer h, int start, int end, int strings, int stringsSize) {
        int p = start;
        int depth = 0;
        boolean sawRoot = false;
        while (true) {
            if (p + 4 > end) {
                return String.format("structure block: ends at %#x without FDT_END", end);
            }
            int token = h.getInt(p);
            int at = p;
            p += 4;
            switch (token) {
                case FDT_BEGIN_NODE: {
                    if (depth == 0 && sawRoot) {
                        return String.format("structure block: a second root node at %#x", at);
                    }
                    sawRoot = true;
                    int n = p;
                    while (n < end && h.get(n) != 0) {
                        n++;
                    }
                    if (n >= end) {
                        return String.format("structure block: the node name at %#x is not terminated", p);
                    }
                    p = (n + 1 + 3) & ~3;
                    if (++depth > MAX_DEPTH) {
                        return String.format("structure block: nodes nested more than %d deep", MAX_DEPTH);
                    }
                    break;
                }
                case FDT_END_NODE:
                    if (--depth < 0) {
                        return String.format("structure block: FDT_END_NODE at %#x closes no node", at);
                    }
                    break;
                case FDT_PROP: {
                    if (depth == 0) {
                        return String.format("structure block: a property at %#x outside any node", at);
                    }
                    if (p + 8 > end) {
                        return String.format("structure block: the property at %#x is truncated", at);
                    }
                    long len = h.getInt(p) & 0xFFFF_FFFFL;
                    long nameOff = h.getInt(p + 4) & 0xFFFF_FFFFL;
                    p += 8;
                    if (len > end - p) {
                        return String.format("structure block: the property at %#x has %d bytes, past the block's "
                                + "end", at, len);
                    }
                    if (nameOff >= stringsSize) {
                        return String.format("structure block: the property at %#x names string %#x, outside the "
                                + "strings block (%#x bytes)", at, nameOff, stringsSize);
                    }
                    int s = strings + (int) nameOff;
                    while (s < strings + stringsSize && h.get(s) != 0) {
                        s++;
                    }
                    if (s >= strings + stringsSize) {
                        return String.format("strings block: the property name at %#x is not terminated", nameOff);
                    }
                    p = (int) ((p + len + 3) & ~3L);
                    break;
                }
                case FDT_NOP:
                    break;
                case FDT_END:
                    if (depth != 0 || !sawRoot) {
                        return String.format("structure block: FDT_END at %#x with %d node(s) open", at, depth);
                    }
                    return null;
                default:
                    return String.format("structure block: unknown token %#x at %#x", token, at);
            }
        }
    }
}
