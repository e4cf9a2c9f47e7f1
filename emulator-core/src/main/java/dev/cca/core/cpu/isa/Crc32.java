package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.decode.Fields;

/**
 * CRC32B/H/W/X and CRC32CB/H/W/X (FEAT_CRC32, Arm ARM C6.2.84-C6.2.91): one step of a bit-reflected CRC over 8,
 * 16, 32 or 64 bits of Rm, with the accumulator in Wn and no pre- or post-inversion (software does those).
 */
public final class Crc32 {
    private Crc32() {
    }

    /** Reflected polynomials: CRC-32 (0x04C11DB7) and CRC-32C Castagnoli (0x1EDC6F41). */
    static final int POLY = 0xEDB8_8320, POLY_C = 0x82F6_3B78;
    private static final int[] TABLE = table(POLY), TABLE_C = table(POLY_C);

    private static int[] table(int poly) {
        int[] t = new int[256];
        for (int i = 0; i < 256; i++) {
            int c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ poly : c >>> 1;
            }
            t[i] = c;
        }
        return t;
    }

    /** Folds the low {@code bytes} bytes of {@code data} into {@code acc}, least significant byte first. */
    static int update(int[] table, int acc, long data, int bytes) {
        for (int b = 0; b < bytes; b++) {
            acc = (acc >>> 8) ^ table[(acc ^ (int) (data >>> (8 * b))) & 0xFF];
        }
        return acc;
    }

    public static int crc32(int acc, long data, int bytes) {
        return update(TABLE, acc, data, bytes);
    }

    public static int crc32c(int acc, long data, int bytes) {
        return update(TABLE_C, acc, data, bytes);
    }

    /** Decode line "z 0 0 11010110 mmmmm 010 c ss nnnnn ddddd": sf must be 1 exactly for the X forms. */
    public static Insn crc(Fields f) {
        boolean sf = f.u('z') == 1;
        int sz = f.u('s');
        if (sf != (sz == 3)) {
            return null;
        }
        int[] table = f.u('c') == 1 ? TABLE_C : TABLE;
        int bytes = 1 << sz;
        int rd = f.u('d'), rn = f.u('n'), rm = f.u('m');
        return (c, pc) -> {
            c.setX(rd, update(table, (int) c.x[rn], c.x[rm], bytes) & 0xFFFF_FFFFL);
            return pc + 4;
        };
    }
}
