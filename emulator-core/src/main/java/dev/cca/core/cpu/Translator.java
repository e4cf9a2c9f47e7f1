package dev.cca.core.cpu;

import dev.cca.core.cpu.decode.A64;
import dev.cca.core.cpu.decode.DecodeTable;
import dev.cca.core.mem.Bytes;
import dev.cca.core.mem.Page;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

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

    private static final String BLOCK = Type.getInternalName(Block.class);
    private static final String CPU = Type.getInternalName(Cpu.class);
    private static final String INSN = Type.getInternalName(Insn.class);
    private static final String TLB = Type.getInternalName(Tlb.class);
    private static final String EXEC_DESC = "(L" + CPU + ";J)J";

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final AtomicInteger TRANSLATED = new AtomicInteger();
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();
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
        long t0 = THREADS.getCurrentThreadCpuTime();
        try {
            return translate0(va, slot, insns, bytes, pb);
        } finally {
            TRANSLATE_NANOS.addAndGet(THREADS.getCurrentThreadCpuTime() - t0);
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
    private static final class Segment {
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
                Block tb = pb == null ? null : pb.blocks[ts];
                boolean isHot = pb == null || (tb != null && tb.va == t) || pb.heat[ts] >= hot;
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
        byte[] code = generate(segs, total);
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

    /** Whether an instruction of this encoding class may store to memory (the A64 "loads and stores" group). */
    private static boolean mayStore(int flags) {
        return (flags & DecodeTable.MEMORY) != 0;
    }

    private static byte[] generate(List<Segment> segs, int total) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected String getCommonSuperClass(String a, String b) {
                return "java/lang/Object";
            }
        };
        String name = BLOCK.substring(0, BLOCK.lastIndexOf('/') + 1) + "TranslatedBlock";
        cw.visit(Opcodes.V17, Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, name, null, BLOCK, null);
        Segment entry = segs.get(0);

        // The instructions, as static final fields (constants to HotSpot) initialised from the class data.
        MethodVisitor clinit = cw.visitMethod(Opcodes.ACC_STATIC, "<clinit>", "()V", null, null);
        clinit.visitCode();
        clinit.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/invoke/MethodHandles", "lookup",
                "()Ljava/lang/invoke/MethodHandles$Lookup;", false);
        clinit.visitLdcInsn("_");
        clinit.visitLdcInsn(Type.getType(Object[].class));
        clinit.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/invoke/MethodHandles", "classData",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/Object;",
                false);
        clinit.visitTypeInsn(Opcodes.CHECKCAST, "[Ljava/lang/Object;");
        clinit.visitVarInsn(Opcodes.ASTORE, 0);
        for (int i = 0; i < total; i++) {
            cw.visitField(Opcodes.ACC_STATIC | Opcodes.ACC_FINAL | Opcodes.ACC_PRIVATE, "i" + i, "L" + INSN + ";",
                    null, null).visitEnd();
            clinit.visitVarInsn(Opcodes.ALOAD, 0);
            clinit.visitLdcInsn(i);
            clinit.visitInsn(Opcodes.AALOAD);
            clinit.visitTypeInsn(Opcodes.CHECKCAST, INSN);
            clinit.visitFieldInsn(Opcodes.PUTSTATIC, name, "i" + i, "L" + INSN + ";");
        }
        // holder[0] = new TranslatedBlock(va, length of the entry block)
        clinit.visitVarInsn(Opcodes.ALOAD, 0);
        clinit.visitLdcInsn(total);
        clinit.visitInsn(Opcodes.AALOAD);
        clinit.visitTypeInsn(Opcodes.CHECKCAST, "[L" + BLOCK + ";");
        clinit.visitInsn(Opcodes.ICONST_0);
        clinit.visitTypeInsn(Opcodes.NEW, name);
        clinit.visitInsn(Opcodes.DUP);
        clinit.visitLdcInsn(entry.va);
        clinit.visitLdcInsn(entry.length());
        clinit.visitMethodInsn(Opcodes.INVOKESPECIAL, name, "<init>", "(JI)V", false);
        clinit.visitInsn(Opcodes.AASTORE);
        clinit.visitInsn(Opcodes.RETURN);
        clinit.visitMaxs(0, 0);
        clinit.visitEnd();

        MethodVisitor init = cw.visitMethod(0, "<init>", "(JI)V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitVarInsn(Opcodes.LLOAD, 1);
        init.visitVarInsn(Opcodes.ILOAD, 3);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, BLOCK, "<init>", "(JI)V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();

        // long run(Cpu c, long end): locals 0 this, 1 c, 2-3 end, 4-5 next pc
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, "run", "(L" + CPU + ";J)J", null, null);
        mv.visitCode();
        Label[] segStart = new Label[segs.size()];
        for (int k = 0; k < segs.size(); k++) {
            segStart[k] = new Label();
        }
        // Where an exit whose next PC is in local 4 goes: into the region if that PC starts one of its blocks and
        // the run may go on, else back to the run loop.
        Label chain = new Label();
        List<Label[]> handlers = new ArrayList<>();
        int field = 0;
        for (int k = 0; k < segs.size(); k++) {
            Segment seg = segs.get(k);
            int n = seg.length();
            boolean lastEnds = (seg.flags[n - 1] & DecodeTable.ENDS_BLOCK) != 0;
            boolean chainsAfterLast = seg.endsWithBranch();
            Label[] start = new Label[n];
            Label[] end = new Label[n];
            Label[] handler = new Label[n];
            for (int i = 0; i < n; i++) {
                start[i] = new Label();
                end[i] = new Label();
                handler[i] = new Label();
                mv.visitTryCatchBlock(start[i], end[i], handler[i], "java/lang/Throwable");
            }
            handlers.add(handler);
            mv.visitLabel(segStart[k]);
            for (int i = 0; i < n; i++, field++) {
                long pc = seg.va + 4L * i;
                boolean last = i == n - 1;
                if (last && lastEnds) {
                    // A system or exception instruction may read PC and counter or take an exception: make both
                    // exact before it, as the interpreter has them.
                    storePc(mv, pc);
                    addCount(mv, i);
                }
                mv.visitLabel(start[i]);
                mv.visitFieldInsn(Opcodes.GETSTATIC, name, "i" + field, "L" + INSN + ";");
                mv.visitVarInsn(Opcodes.ALOAD, 1);
                mv.visitLdcInsn(pc);
                mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, INSN, "exec", EXEC_DESC, true);
                mv.visitLabel(end[i]);
                if (last && lastEnds) {
                    mv.visitVarInsn(Opcodes.LSTORE, 4);
                    addCount(mv, 1);
                    if (chainsAfterLast) {
                        mv.visitJumpInsn(Opcodes.GOTO, chain);
                    } else {
                        // after a system or exception instruction the run loop looks at the PE's state again
                        mv.visitVarInsn(Opcodes.LLOAD, 4);
                        mv.visitInsn(Opcodes.LRETURN);
                    }
                } else if ((seg.flags[i] & DecodeTable.CONDITIONAL) != 0) {
                    // side exit when the branch is taken
                    Label fall = new Label();
                    mv.visitInsn(Opcodes.DUP2);
                    mv.visitVarInsn(Opcodes.LSTORE, 4);
                    mv.visitLdcInsn(pc + 4);
                    mv.visitInsn(Opcodes.LCMP);
                    mv.visitJumpInsn(Opcodes.IFEQ, fall);
                    addCount(mv, i + 1);
                    mv.visitJumpInsn(Opcodes.GOTO, chain);
                    mv.visitLabel(fall);
                } else {
                    mv.visitInsn(Opcodes.POP2);
                    if (mayStore(seg.flags[i]) && !last) {
                        // a store into decoded code or a device access: back to the run loop after it
                        Label go = new Label();
                        mv.visitVarInsn(Opcodes.ALOAD, 1);
                        mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "blockExit", "Z");
                        mv.visitJumpInsn(Opcodes.IFEQ, go);
                        addCount(mv, i + 1);
                        mv.visitLdcInsn(pc + 4);
                        mv.visitInsn(Opcodes.LRETURN);
                        mv.visitLabel(go);
                    } else if (last) {
                        // a block cut by the page end or the length limit goes on at the next instruction
                        addCount(mv, i + 1);
                        mv.visitLdcInsn(pc + 4);
                        if (mayStore(seg.flags[i])) {
                            Label go = new Label();
                            mv.visitVarInsn(Opcodes.ALOAD, 1);
                            mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "blockExit", "Z");
                            mv.visitJumpInsn(Opcodes.IFEQ, go);
                            mv.visitInsn(Opcodes.LRETURN);
                            mv.visitLabel(go);
                        }
                        mv.visitVarInsn(Opcodes.LSTORE, 4);
                        mv.visitJumpInsn(Opcodes.GOTO, chain);
                    }
                }
            }
        }
        // The chain: the next PC against each block start of the region. Entering a block needs room for it in
        // the chunk (the count stays exact at its end), no exception entry or return, and no broadcast TLB
        // invalidation waiting (it is applied by the run loop before the next access).
        mv.visitLabel(chain);
        Label exit = new Label();
        mv.visitVarInsn(Opcodes.ALOAD, 1);
        mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "transitioned", "Z");
        mv.visitJumpInsn(Opcodes.IFNE, exit);
        mv.visitVarInsn(Opcodes.ALOAD, 1);
        mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "tlb", "L" + TLB + ";");
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, TLB, "inboxPending", "()Z", false);
        mv.visitJumpInsn(Opcodes.IFNE, exit);
        for (int k = 0; k < segs.size(); k++) {
            Segment seg = segs.get(k);
            Label next = new Label();
            mv.visitVarInsn(Opcodes.LLOAD, 4);
            mv.visitLdcInsn(seg.va);
            mv.visitInsn(Opcodes.LCMP);
            mv.visitJumpInsn(Opcodes.IFNE, next);
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "instructions", "J");
            mv.visitLdcInsn((long) seg.length());
            mv.visitInsn(Opcodes.LADD);
            mv.visitVarInsn(Opcodes.LLOAD, 2);
            mv.visitInsn(Opcodes.LCMP);
            mv.visitJumpInsn(Opcodes.IFGT, exit);
            mv.visitJumpInsn(Opcodes.GOTO, segStart[k]);
            mv.visitLabel(next);
        }
        mv.visitLabel(exit);
        mv.visitVarInsn(Opcodes.LLOAD, 4);
        mv.visitInsn(Opcodes.LRETURN);
        for (int k = 0; k < segs.size(); k++) {
            Segment seg = segs.get(k);
            int n = seg.length();
            boolean lastEnds = (seg.flags[n - 1] & DecodeTable.ENDS_BLOCK) != 0;
            Label[] handler = handlers.get(k);
            for (int i = 0; i < n; i++) {
                mv.visitLabel(handler[i]);
                storePc(mv, seg.va + 4L * i);
                if (!(i == n - 1 && lastEnds)) {
                    addCount(mv, i);
                }
                mv.visitInsn(Opcodes.ATHROW);
            }
        }
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static void storePc(MethodVisitor mv, long pc) {
        mv.visitVarInsn(Opcodes.ALOAD, 1);
        mv.visitLdcInsn(pc);
        mv.visitFieldInsn(Opcodes.PUTFIELD, CPU, "pc", "J");
    }

    private static void addCount(MethodVisitor mv, long k) {
        if (k == 0) {
            return;
        }
        mv.visitVarInsn(Opcodes.ALOAD, 1);
        mv.visitInsn(Opcodes.DUP);
        mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "instructions", "J");
        mv.visitLdcInsn(k);
        mv.visitInsn(Opcodes.LADD);
        mv.visitFieldInsn(Opcodes.PUTFIELD, CPU, "instructions", "J");
    }
}
