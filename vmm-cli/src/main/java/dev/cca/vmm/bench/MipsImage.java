package dev.cca.vmm.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The CPU-bound guest of {@code cca bench} (src-test-images/bench/mips-loop.S, embedded in the jar): an ELF that
 * both cca and QEMU's virt machine boot at EL1, with its two iteration counts patched in.
 */
public final class MipsImage {
    private MipsImage() {
    }

    /** Instructions per loop iteration (add, eor, ldr, add, str, add, and, mul, cbz, subs, b.ne). */
    public static final int LOOP_INSNS = 11;
    public static final String BEGIN = "CCA-BENCH: begin", END = "CCA-BENCH: end";
    static final long WARMUP_PLACEHOLDER = 0xCCA0_BE4C_0000_0001L, ITERATIONS_PLACEHOLDER = 0xCCA0_BE4C_0000_0002L;
    private static final String RESOURCE = "/images/mips-loop.elf";

    /** The image with {@code warmup} iterations before the begin marker and {@code iterations} between the markers. */
    public static byte[] build(long warmup, long iterations) throws IOException {
        if (warmup < 1 || iterations < 1) {
            throw new IllegalArgumentException("iteration counts must be positive");
        }
        byte[] elf;
        try (InputStream in = MipsImage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException(RESOURCE + " is missing from this build of cca");
            }
            elf = in.readAllBytes();
        }
        patch(elf, WARMUP_PLACEHOLDER, warmup);
        patch(elf, ITERATIONS_PLACEHOLDER, iterations);
        return elf;
    }

    private static void patch(byte[] elf, long placeholder, long value) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 8 <= elf.length; i += 8) { // the counts are 8-byte aligned in the file
            if (b.getLong(i) == placeholder) {
                b.putLong(i, value);
                return;
            }
        }
        throw new IOException(String.format("mips-loop.elf has no placeholder %#x", placeholder));
    }
}
