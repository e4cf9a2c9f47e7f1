package dev.cca.vmm.debug;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.mem.Page;
import dev.cca.core.mem.PhysicalMemory;
import dev.cca.core.mmu.Mmu;

/**
 * Memory as a debugger sees it through a PE: virtual addresses are translated by the PE's current translation
 * regime (stage 1, and stage 2 for a guest, exactly as the PE would walk them, with a walker of its own so the PE's
 * TLB is untouched); the physical access then goes straight to RAM, like a JTAG probe with invasive debug enabled
 * in every security state. That is a decision of this emulator: the granule protection table does not stop the
 * debugger, so realm memory is readable — a real RMM v1.0 system offers no such view. Device regions are refused
 * (a debugger read must not have side effects).
 */
public final class DebugMemory {
    private final Mmu walker = new Mmu();

    /** The physical address {@code va} maps to on {@code cpu} now, or -1 if it does not translate. */
    public long translate(Cpu cpu, long va) {
        return translate(cpu, va, cpu.mmuIndex());
    }

    /** As {@link #translate(Cpu, long)}, in translation regime {@code idx} (one of {@code Cpu.MMU_*}). */
    public synchronized long translate(Cpu cpu, long va, int idx) {
        // Read permission first, then execute (for execute-only code); a debugger ignores write permission.
        if (walker.translate(cpu.translationContext(), va, Mmu.READ, idx)
                || walker.translate(cpu.translationContext(), va, Mmu.EXEC, idx)) {
            return walker.outPa;
        }
        return -1;
    }

    /** Reads up to {@code len} bytes at {@code va}; returns how many were read before the first failure. */
    public int read(Cpu cpu, long va, byte[] dst, int len) {
        return read(cpu, va, dst, len, cpu.mmuIndex());
    }

    /** As {@link #read(Cpu, long, byte[], int)}, in translation regime {@code idx}. */
    public int read(Cpu cpu, long va, byte[] dst, int len, int idx) {
        int done = 0;
        while (done < len) {
            long a = va + done;
            int n = (int) Math.min(len - done, Page.SIZE - (a & Page.MASK));
            long pa = translate(cpu, a, idx);
            if (pa < 0 || !isRam(cpu.memory, pa, n)) {
                break;
            }
            cpu.memory.readBytes(pa, dst, done, n);
            done += n;
        }
        return done;
    }

    /** Writes {@code src} at {@code va}; returns how many bytes were written before the first failure. */
    public int write(Cpu cpu, long va, byte[] src) {
        return write(cpu, va, src, cpu.mmuIndex());
    }

    /** As {@link #write(Cpu, long, byte[])}, in translation regime {@code idx}. */
    public int write(Cpu cpu, long va, byte[] src, int idx) {
        int done = 0;
        while (done < src.length) {
            long a = va + done;
            int n = (int) Math.min(src.length - done, Page.SIZE - (a & Page.MASK));
            long pa = translate(cpu, a, idx);
            if (pa < 0 || !isRam(cpu.memory, pa, n)) {
                break;
            }
            cpu.memory.writeBytes(pa, src, done, n); // drops decoded instructions the bytes overwrite
            done += n;
        }
        return done;
    }

    private static boolean isRam(PhysicalMemory m, long pa, int n) {
        PhysicalMemory.Region r = m.find(pa);
        return r instanceof PhysicalMemory.RamRegion && r.contains(pa + n - 1);
    }
}
