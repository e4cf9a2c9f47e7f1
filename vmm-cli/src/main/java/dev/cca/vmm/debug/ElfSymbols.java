package dev.cca.vmm.debug;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The symbol table of an ELF64 image, for the {@code cca debug} console ({@code break puts}, {@code x msg_hello}).
 * Tolerant by design: an image without a symbol table, or with a malformed one, simply has no symbols.
 */
public final class ElfSymbols {
    private static final int SHT_SYMTAB = 2;
    private static final int SHN_UNDEF = 0, SHN_ABS = 0xFFF1;

    private final Map<String, Long> byName;
    private final NavigableMap<Long, String> byAddress;

    private ElfSymbols(Map<String, Long> byName, NavigableMap<Long, String> byAddress) {
        this.byName = byName;
        this.byAddress = byAddress;
    }

    public static final ElfSymbols NONE = new ElfSymbols(Map.of(), Collections.emptyNavigableMap());

    /** The defined, section-relative symbols of {@code image} (absolute constants are left out). */
    public static ElfSymbols parse(byte[] image) {
        try {
            return parseOrThrow(image);
        } catch (RuntimeException e) {
            return NONE; // not an ELF file, or a table that points outside the file
        }
    }

    private static ElfSymbols parseOrThrow(byte[] b) {
        if (b == null || b.length < 64 || b[0] != 0x7F || b[1] != 'E' || b[2] != 'L' || b[3] != 'F' || b[4] != 2
                || b[5] != 1) {
            return NONE;
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long shoff = bb.getLong(0x28);
        int shentsize = bb.getShort(0x3A) & 0xFFFF;
        int shnum = bb.getShort(0x3C) & 0xFFFF;
        if (shoff <= 0 || shentsize < 64 || shnum == 0 || shoff + (long) shnum * shentsize > b.length) {
            return NONE;
        }
        Map<String, Long> names = new HashMap<>();
        NavigableMap<Long, String> addrs = new TreeMap<>();
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            if (bb.getInt(sh + 4) != SHT_SYMTAB) {
                continue;
            }
            long off = bb.getLong(sh + 0x18);
            long size = bb.getLong(sh + 0x20);
            int link = bb.getInt(sh + 0x28);
            long entsize = bb.getLong(sh + 0x38);
            if (entsize < 24 || link < 0 || link >= shnum || off < 0 || off + size > b.length) {
                continue;
            }
            int strSh = (int) (shoff + (long) link * shentsize);
            long strOff = bb.getLong(strSh + 0x18);
            long strSize = bb.getLong(strSh + 0x20);
            if (strOff < 0 || strOff + strSize > b.length) {
                continue;
            }
            for (long e = off; e + 24 <= off + size; e += entsize) {
                int nameOff = bb.getInt((int) e);
                int shndx = bb.getShort((int) e + 6) & 0xFFFF;
                long value = bb.getLong((int) e + 8);
                if (shndx == SHN_UNDEF || shndx == SHN_ABS || nameOff <= 0 || nameOff >= strSize) {
                    continue;
                }
                String name = cString(b, (int) (strOff + nameOff), (int) (strOff + strSize));
                if (name.isEmpty() || name.startsWith("$")) {
                    continue; // mapping symbols ($x, $d)
                }
                names.putIfAbsent(name, value);
                addrs.putIfAbsent(value, name);
            }
        }
        return new ElfSymbols(names, addrs);
    }

    private static String cString(byte[] b, int from, int limit) {
        int end = from;
        while (end < limit && b[end] != 0) {
            end++;
        }
        return new String(b, from, end - from, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** The address of {@code name}, or null. */
    public Long address(String name) {
        return byName.get(name);
    }

    /** "puts+8" for an address inside or after a symbol, or null if no symbol precedes it. */
    public String describe(long address) {
        Map.Entry<Long, String> e = byAddress.floorEntry(address);
        if (e == null || address - e.getKey() > 0x10000) {
            return null;
        }
        long d = address - e.getKey();
        return d == 0 ? e.getValue() : e.getValue() + "+" + d;
    }

    public int size() {
        return byName.size();
    }
}
