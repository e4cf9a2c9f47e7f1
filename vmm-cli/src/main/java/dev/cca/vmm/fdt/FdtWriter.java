package dev.cca.vmm.fdt;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a flattened device tree blob (Devicetree Specification v0.4, chapter 5: header, memory reservation
 * block, structure block, strings block; version 17, big-endian). Nodes and properties are emitted in the order
 * they are added; property names are shared in the strings block.
 */
public final class FdtWriter {
    public static final int MAGIC = 0xD00DFEED;
    private static final int FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_END = 9;
    private static final int HEADER_SIZE = 40;

    private final ByteArrayOutputStream struct = new ByteArrayOutputStream();
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
    private final Map<String, Integer> stringOffsets = new LinkedHashMap<>();
    private int depth;

    private void word(int v) {
        struct.write(v >>> 24);
        struct.write(v >>> 16);
        struct.write(v >>> 8);
        struct.write(v);
    }

    private void pad() {
        while (struct.size() % 4 != 0) {
            struct.write(0);
        }
    }

    public FdtWriter beginNode(String name) {
        word(FDT_BEGIN_NODE);
        struct.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
        struct.write(0);
        pad();
        depth++;
        return this;
    }

    public FdtWriter endNode() {
        if (depth == 0) {
            throw new IllegalStateException("endNode without beginNode");
        }
        word(FDT_END_NODE);
        depth--;
        return this;
    }

    private int nameOffset(String name) {
        return stringOffsets.computeIfAbsent(name, n -> {
            int off = strings.size();
            strings.writeBytes(n.getBytes(StandardCharsets.US_ASCII));
            strings.write(0);
            return off;
        });
    }

    public FdtWriter prop(String name, byte[] value) {
        word(FDT_PROP);
        word(value.length);
        word(nameOffset(name));
        struct.writeBytes(value);
        pad();
        return this;
    }

    /** An empty (boolean) property. */
    public FdtWriter prop(String name) {
        return prop(name, new byte[0]);
    }

    /** A property of 32-bit cells. */
    public FdtWriter propCells(String name, int... cells) {
        ByteBuffer b = ByteBuffer.allocate(4 * cells.length);
        for (int c : cells) {
            b.putInt(c);
        }
        return prop(name, b.array());
    }

    /** A property of 64-bit values, each as two cells (for #address-cells = #size-cells = 2). */
    public FdtWriter propU64(String name, long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length);
        for (long v : values) {
            b.putLong(v);
        }
        return prop(name, b.array());
    }

    /** A string or string-list property (each string NUL-terminated). */
    public FdtWriter propStrings(String name, String... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String s : values) {
            b.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
            b.write(0);
        }
        return prop(name, b.toByteArray());
    }

    /** The finished blob, with an empty memory reservation map. */
    public byte[] finish(int bootCpu) {
        if (depth != 0) {
            throw new IllegalStateException(depth + " nodes still open");
        }
        word(FDT_END);
        byte[] st = struct.toByteArray();
        byte[] str = strings.toByteArray();
        int rsvOff = HEADER_SIZE;
        int structOff = rsvOff + 16;
        int stringsOff = structOff + st.length;
        int total = stringsOff + str.length;
        total = (total + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.putInt(MAGIC).putInt(total).putInt(structOff).putInt(stringsOff).putInt(rsvOff)
                .putInt(17).putInt(16).putInt(bootCpu).putInt(str.length).putInt(st.length);
        b.position(rsvOff);
        b.putLong(0).putLong(0);
        b.put(st);
        b.put(str);
        return b.array();
    }
}
