package dev.cca.rmm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.mem.Pas;

/**
 * The RMM's view of physical memory while it runs on one PE: its own granules (RD, REC, RTT, DATA) in the Realm
 * PAS, and the host's buffers in the Non-secure PAS. Every access goes through the PE's granule protection check,
 * so an RMM bug that touched memory it does not own would fault like it would on hardware.
 */
public final class RmmMemory {
    public final Cpu cpu;

    public RmmMemory(Cpu cpu) {
        this.cpu = cpu;
    }

    public long read64(long pa) {
        return cpu.physRead(pa, 8, Pas.REALM);
    }

    public void write64(long pa, long v) {
        cpu.physWrite(pa, 8, v, Pas.REALM);
    }

    public byte[] read(long pa, int len) {
        byte[] b = new byte[len];
        cpu.physReadBytes(pa, b, 0, len, Pas.REALM);
        return b;
    }

    public void write(long pa, byte[] data) {
        cpu.physWriteBytes(pa, data, 0, data.length, Pas.REALM);
    }

    private static final byte[] ZERO = new byte[4096];

    /** Zero-fills a granule (scrubbing on delegate and on destroy keeps DELEGATED granules zero). */
    public void zeroGranule(long pa) {
        cpu.physWriteBytes(pa, ZERO, 0, ZERO.length, Pas.REALM);
    }

    /**
     * Reads a host (Non-secure) buffer. Throws {@link Cpu.PhysicalAccessException} if the GPT does not give the
     * granule to the Non-secure PAS (the spec's {@code *_pas} failure conditions).
     */
    public byte[] readNs(long pa, int len) {
        byte[] b = new byte[len];
        cpu.physReadBytes(pa, b, 0, len, Pas.NON_SECURE);
        return b;
    }

    public long readNs64(long pa) {
        return cpu.physRead(pa, 8, Pas.NON_SECURE);
    }

    public void writeNs64(long pa, long v) {
        cpu.physWrite(pa, 8, v, Pas.NON_SECURE);
    }

    public void writeNs(long pa, byte[] data) {
        cpu.physWriteBytes(pa, data, 0, data.length, Pas.NON_SECURE);
    }
}
