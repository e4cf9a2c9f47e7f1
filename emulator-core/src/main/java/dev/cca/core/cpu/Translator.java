package dev.cca.core.cpu;

import dev.cca.core.cpu.decode.A64;
import dev.cca.core.cpu.decode.DecodeTable;
import dev.cca.core.mem.Bytes;
import dev.cca.core.mem.Page;

import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The block translator: turns a run of decoded instructions into a hidden class ({@link Block}) whose
 * {@code run} method invokes each instruction's {@link Insn} through a constant (a static final field set from
 * the class data), so that HotSpot sees one monomorphic call per instruction instead of the interpreter's
 * megamorphic {@code insn.exec}, inlines the instruction's semantics and folds its decoded operands.
 * Instruction semantics are written once, in the {@code isa} package; the translator only sequences them.
 * This class holds what the run loop uses at every dispatch (the per-page block tables, the dispatch counts, the
 * cache bound) and chooses what a translation covers; {@link BlockCodegen} writes its bytecode.
 *
 * <p>A translation is a region: the hot block, and the blocks of its page that loop back to it, which it enters
 * by jumps within its code while the execution chunk has room ({@link #translate0}).
 *
 * <p>What the generated code keeps exact (docs/performance.md): the instruction count is added once per block
 * (and before a block's last instruction when that one is a system or exception instruction, which may read the
 * counter or trap); each instruction has its own exception handler that stores its PC and the count of the
 * instructions before it, then rethrows for the run loop to deliver; a store that hits a page holding decoded
 * code, and any device access, end the block after that instruction, so self-modifying code is seen by the next
 * instruction and an interrupt a device asserts is taken at the next instruction boundary.
 */
final class Translator {
    /** Longest block, in instructions. */
    static final int MAX_LENGTH = 64;
    /** Most instructions, and most blocks, in one translated region (one generated method). */
    static final int MAX_REGION = 128, MAX_SEGMENTS = 4;
    /** Times a block start must be dispatched to by the interpreter before it is translated. */
    static volatile int threshold = Integer.getInteger("cca.jit.threshold", 30_000);
    /**
     * Translated blocks kept before the whole cache is dropped (a bound on the memory of translated code: each
     * block is a hidden class with its metadata and compiled code, a few KiB). {@code -Dcca.jit.cache=N}.
     */
    static volatile int cacheLimit = Integer.getInteger("cca.jit.cache", 32768);
    /** Translations since the cache was last dropped, and the number of drops (all PEs together). */
    private static final AtomicInteger SINCE_DROP = new AtomicInteger();
    private static final AtomicInteger DROPS = new AtomicInteger();

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final AtomicInteger TRANSLATED = new AtomicInteger();
    /** The JVM's thread CPU clock, loaded with the first translation (the management classes cost start-up). */
    private static final class Clock {
        static final java.lang.management.ThreadMXBean THREADS =
                java.lang.management.ManagementFactory.getThreadMXBean();
    }
    /** Thread CPU time spent generating and defining blocks, in nanoseconds, all PEs together. */
    private static final java.util.concurrent.atomic.AtomicLong TRANSLATE_NANOS = new java.util.concurrent.atomic.AtomicLong();
    /** Pages whose translated blocks were dropped by a store into them. */
    static final java.util.concurrent.atomic.AtomicLong INVALIDATIONS = new java.util.concurrent.atomic.AtomicLong();
    /** Incremented when the whole cache is dropped: pages tagged with an older epoch have no valid blocks. */
    static volatile int epoch;

    private Translator() {
    }

    /** The blocks of one page, and the dispatch counts of block starts not translated yet. */
    static final class PageBlocks {
        final Block[] blocks = new Block[Page.SIZE / 4];
        final int[] heat = new int[Page.SIZE / 4];
        final int epoch;

        PageBlocks(int epoch) {
            this.epoch = epoch;
        }
    }

    /** The block table of {@code p} (created on first use; a new one after the cache was dropped). */
    static PageBlocks blocksOf(Page p) {
        Object t = p.translated;
        if (t instanceof PageBlocks && ((PageBlocks) t).epoch == epoch) {
            return (PageBlocks) t;
        }
        PageBlocks pb = new PageBlocks(epoch);
        p.translated = pb;
        return pb;
    }

    /** Number of blocks translated since start (for benchmarks and tests). */
    static int translatedCount() {
        return TRANSLATED.get();
    }

    /**
     * Translates the block starting at {@code va}, slot {@code slot} of a page with decode cache {@code insns}
     * and contents {@code bytes}. Returns null if the first instruction cannot start a block.
     */
    static Block translate(long va, int slot, Insn[] insns, byte[] bytes, PageBlocks pb) {
        long t0 = Clock.THREADS.getCurrentThreadCpuTime();
        try {
            return translate0(va, slot, insns, bytes, pb);
        } finally {
            TRANSLATE_NANOS.addAndGet(Clock.THREADS.getCurrentThreadCpuTime() - t0);
        }
    }

    /** Times the whole cache was dropped because it reached {@link #cacheLimit}. */
    static int cacheDrops() {
        return DROPS.get();
    }

    /** Thread CPU time spent translating, in nanoseconds, all PEs together. */
    static long translateNanos() {
        return TRANSLATE_NANOS.get();
    }

    /** One straight-line run of a region: its first slot and its instructions' decode-table flags. */
    static final class Segment {
        final int slot;
        final long va;
        final Insn[] insns;
        final int[] flags;
        final int[] words;

        Segment(int slot, long va, Insn[] insns, int[] flags, int[] words) {
            this.slot = slot;
            this.va = va;
            this.insns = insns;
            this.flags = flags;
            this.words = words;
        }

        int length() {
            return insns.length;
        }

        boolean endsWithBranch() {
            int f = flags[flags.length - 1];
            return (f & DecodeTable.ENDS_BLOCK) != 0 && (f & DecodeTable.BRANCH) != 0
                    && (f & (DecodeTable.EXCEPTION_GEN | DecodeTable.ERET | DecodeTable.SYSTEM & ~DecodeTable.ENDS_BLOCK)) == 0;
        }
    }

    /** The straight-line run from {@code slot}: up to the first instruction that ends a block, the page end or 64. */
    private static Segment scan(long va, int slot, Insn[] insns, byte[] bytes) {
        List<Insn> list = new ArrayList<>();
        int[] flags = new int[MAX_LENGTH];
        int[] words = new int[MAX_LENGTH];
        for (int s = slot; s < insns.length && list.size() < MAX_LENGTH; s++) {
            Insn insn = insns[s];
            int word = Bytes.getInt(bytes, s << 2);
            if (insn == null) {
                insn = A64.decode(word);
                insns[s] = insn;
            }
            int f = insn == A64.UNDEFINED ? DecodeTable.ENDS_BLOCK | DecodeTable.EXCEPTION_GEN : A64.flags(word);
            if ((f & DecodeTable.CONDITIONAL) != 0 && s + 1 < insns.length && list.size() + 1 < MAX_LENGTH) {
                f &= ~DecodeTable.ENDS_BLOCK; // a side exit: the block goes on with the fall-through path
            }
            words[list.size()] = word;
            flags[list.size()] = f;
            list.add(insn);
            if ((f & DecodeTable.ENDS_BLOCK) != 0) {
                break;
            }
        }
        int n = list.size();
        return new Segment(slot, va, list.toArray(new Insn[0]), Arrays.copyOf(flags, n), Arrays.copyOf(words, n));
    }

    /**
     * The PCs a segment may continue at that are known before it runs: the targets of its direct branches and,
     * when it ends without a branch or with a conditional one, the instruction after it.
     */
    private static long[] successors(Segment seg) {
        int n = seg.length();
        long[] out = new long[n + 1];
        int k = 0;
        for (int i = 0; i < n; i++) {
            long pc = seg.va + 4L * i;
            boolean last = i == n - 1;
            if ((seg.flags[i] & DecodeTable.CONDITIONAL) != 0 || (last && seg.endsWithBranch())) {
                long t = A64.branchTarget(seg.words[i], pc);
                if (t != -1) {
                    out[k++] = t;
                }
            }
        }
        int lastFlags = seg.flags[n - 1];
        if ((lastFlags & DecodeTable.ENDS_BLOCK) == 0 || (lastFlags & DecodeTable.CONDITIONAL) != 0) {
            out[k++] = seg.va + 4L * n;
        }
        return Arrays.copyOf(out, k);
    }

    /** Whether {@code seg} may continue at {@code entry}: a loop back to the region's entry. */
    private static boolean closesLoop(Segment seg, long entry) {
        for (long t : successors(seg)) {
            if (t == entry) {
                return true;
            }
        }
        return false;
    }

    /**
     * Translates the region entered at {@code va}, slot {@code slot} of a page with decode cache {@code insns},
     * contents {@code bytes} and block table {@code pb}: the block starting there, and the blocks of the same page
     * that it branches or falls through to (directly or through other blocks of the region) which are hot
     * themselves (translated already, or dispatched to at least a quarter of the threshold) and may branch back to
     * the entry, up to {@link #MAX_SEGMENTS} blocks and {@link #MAX_REGION} instructions. Control passes between
     * the region's blocks by jumps inside the generated method (block chaining), so a loop of several blocks runs
     * in one call. Chaining every hot successor, loop or not, halved the run loop's block entries in a Linux boot
     * but cost HotSpot about a third more compilation for the code each region repeats, and made the boot slower
     * on two CPUs (docs/performance.md).
     */
    private static Block translate0(long va, int slot, Insn[] insns, byte[] bytes, PageBlocks pb) {
        List<Segment> segs = new ArrayList<>();
        segs.add(scan(va, slot, insns, bytes));
        int total = segs.get(0).length();
        long page = va & ~Page.MASK;
        int hot = threshold / 4;
        for (int k = 0; k < segs.size() && segs.size() < MAX_SEGMENTS; k++) {
            for (long t : successors(segs.get(k))) {
                if ((t & ~Page.MASK) != page || segs.size() >= MAX_SEGMENTS) {
                    continue;
                }
                int ts = (int) (t & Page.MASK) >>> 2;
                boolean known = false;
                for (Segment s : segs) {
                    known |= s.slot == ts;
                }
                Block tb = pb.blocks[ts];
                boolean isHot = (tb != null && tb.va == t) || pb.heat[ts] >= hot;
                if (known || !isHot) {
                    continue;
                }
                Segment s = scan(t, ts, insns, bytes);
                if (total + s.length() > MAX_REGION || !closesLoop(s, va)) {
                    continue;
                }
                segs.add(s);
                total += s.length();
            }
        }
        byte[] code = BlockCodegen.generate(segs, total);
        // The class data: the instructions, then a one-element array the class initialiser puts the block in (no
        // reflective constructor lookup per class).
        Object[] data = new Object[total + 1];
        int d = 0;
        for (Segment s : segs) {
            for (Insn insn : s.insns) {
                data[d++] = insn;
            }
        }
        Block[] holder = new Block[1];
        data[total] = holder;
        try {
            LOOKUP.defineHiddenClassWithClassData(code, data, true);
        } catch (IllegalAccessException | LinkageError e) {
            throw new IllegalStateException("translating the block at " + Long.toHexString(va), e);
        }
        TRANSLATED.incrementAndGet();
        if (SINCE_DROP.incrementAndGet() >= cacheLimit) {
            SINCE_DROP.set(0);
            DROPS.incrementAndGet();
            epoch++; // drop everything: pages translate again on demand, the collector unloads the classes
        }
        return holder[0];
    }
}
