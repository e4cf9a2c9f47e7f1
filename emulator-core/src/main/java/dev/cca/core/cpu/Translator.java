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
    static Block translate(long va, int slot, Insn[] insns, byte[] bytes) {
        long t0 = THREADS.getCurrentThreadCpuTime();
        try {
            return translate0(va, slot, insns, bytes);
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

    private static Block translate0(long va, int slot, Insn[] insns, byte[] bytes) {
        List<Insn> list = new ArrayList<>();
        int[] flags = new int[MAX_LENGTH];
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
            flags[list.size()] = f;
            list.add(insn);
            if ((f & DecodeTable.ENDS_BLOCK) != 0) {
                break;
            }
        }
        int n = list.size();
        byte[] code = generate(va, n, Arrays.copyOf(flags, n));
        // The class data: the instructions, then a one-element array the class initialiser puts the block in (no
        // reflective constructor lookup per class).
        Object[] data = list.toArray(new Object[n + 1]);
        Block[] holder = new Block[1];
        data[n] = holder;
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

    private static byte[] generate(long va, int n, int[] flags) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected String getCommonSuperClass(String a, String b) {
                return "java/lang/Object";
            }
        };
        String name = BLOCK.substring(0, BLOCK.lastIndexOf('/') + 1) + "TranslatedBlock";
        cw.visit(Opcodes.V17, Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, name, null, BLOCK, null);

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
        for (int i = 0; i < n; i++) {
            cw.visitField(Opcodes.ACC_STATIC | Opcodes.ACC_FINAL | Opcodes.ACC_PRIVATE, "i" + i, "L" + INSN + ";",
                    null, null).visitEnd();
            clinit.visitVarInsn(Opcodes.ALOAD, 0);
            clinit.visitLdcInsn(i);
            clinit.visitInsn(Opcodes.AALOAD);
            clinit.visitTypeInsn(Opcodes.CHECKCAST, INSN);
            clinit.visitFieldInsn(Opcodes.PUTSTATIC, name, "i" + i, "L" + INSN + ";");
        }
        // holder[0] = new TranslatedBlock(va, n)
        clinit.visitVarInsn(Opcodes.ALOAD, 0);
        clinit.visitLdcInsn(n);
        clinit.visitInsn(Opcodes.AALOAD);
        clinit.visitTypeInsn(Opcodes.CHECKCAST, "[L" + BLOCK + ";");
        clinit.visitInsn(Opcodes.ICONST_0);
        clinit.visitTypeInsn(Opcodes.NEW, name);
        clinit.visitInsn(Opcodes.DUP);
        clinit.visitLdcInsn(va);
        clinit.visitLdcInsn(n);
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
        boolean lastEnds = (flags[n - 1] & DecodeTable.ENDS_BLOCK) != 0;
        Label top = new Label();
        Label loopCheck = new Label();
        Label[] start = new Label[n];
        Label[] end = new Label[n];
        Label[] handler = new Label[n];
        for (int i = 0; i < n; i++) {
            start[i] = new Label();
            end[i] = new Label();
            handler[i] = new Label();
            mv.visitTryCatchBlock(start[i], end[i], handler[i], "java/lang/Throwable");
        }
        mv.visitLabel(top);
        for (int i = 0; i < n; i++) {
            long pc = va + 4L * i;
            boolean last = i == n - 1;
            if (last && lastEnds) {
                // A system or exception instruction may read PC and counter or take an exception: make both
                // exact before it, as the interpreter has them.
                storePc(mv, pc);
                addCount(mv, i);
            }
            mv.visitLabel(start[i]);
            mv.visitFieldInsn(Opcodes.GETSTATIC, name, "i" + i, "L" + INSN + ";");
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitLdcInsn(pc);
            mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, INSN, "exec", EXEC_DESC, true);
            mv.visitLabel(end[i]);
            if (last && lastEnds) {
                mv.visitVarInsn(Opcodes.LSTORE, 4);
                addCount(mv, 1);
            } else if ((flags[i] & DecodeTable.CONDITIONAL) != 0) {
                // side exit when the branch is taken
                Label fall = new Label();
                mv.visitInsn(Opcodes.DUP2);
                mv.visitVarInsn(Opcodes.LSTORE, 4);
                mv.visitLdcInsn(pc + 4);
                mv.visitInsn(Opcodes.LCMP);
                mv.visitJumpInsn(Opcodes.IFEQ, fall);
                addCount(mv, i + 1);
                mv.visitJumpInsn(Opcodes.GOTO, loopCheck);
                mv.visitLabel(fall);
            } else {
                mv.visitInsn(Opcodes.POP2);
                if (mayStore(flags[i]) || last) {
                    // a store into decoded code or a device access (or the end of a block cut by the page or length limit)
                    Label go = new Label();
                    if (!last) {
                        mv.visitVarInsn(Opcodes.ALOAD, 1);
                        mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "blockExit", "Z");
                        mv.visitJumpInsn(Opcodes.IFEQ, go);
                    }
                    addCount(mv, i + 1);
                    mv.visitLdcInsn(pc + 4);
                    mv.visitInsn(Opcodes.LRETURN);
                    mv.visitLabel(go);
                }
            }
        }
        boolean sideExits = false;
        for (int i = 0; i < n; i++) {
            sideExits |= (flags[i] & DecodeTable.CONDITIONAL) != 0 && !(i == n - 1 && lastEnds);
        }
        if (lastEnds || sideExits) {
            // Loop on the block itself while it branches back to its start and the chunk has room.
            Label exit = new Label();
            mv.visitLabel(loopCheck);
            mv.visitVarInsn(Opcodes.LLOAD, 4);
            mv.visitLdcInsn(va);
            mv.visitInsn(Opcodes.LCMP);
            mv.visitJumpInsn(Opcodes.IFNE, exit);
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "transitioned", "Z");
            mv.visitJumpInsn(Opcodes.IFNE, exit);
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "instructions", "J");
            mv.visitLdcInsn((long) n);
            mv.visitInsn(Opcodes.LADD);
            mv.visitVarInsn(Opcodes.LLOAD, 2);
            mv.visitInsn(Opcodes.LCMP);
            mv.visitJumpInsn(Opcodes.IFGT, exit);
            mv.visitVarInsn(Opcodes.ALOAD, 1);
            mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "tlb", "L" + TLB + ";");
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, TLB, "inboxPending", "()Z", false);
            mv.visitJumpInsn(Opcodes.IFNE, exit);
            mv.visitJumpInsn(Opcodes.GOTO, top);
            mv.visitLabel(exit);
            mv.visitVarInsn(Opcodes.LLOAD, 4);
            mv.visitInsn(Opcodes.LRETURN);
        }
        for (int i = 0; i < n; i++) {
            mv.visitLabel(handler[i]);
            boolean last = i == n - 1;
            storePc(mv, va + 4L * i);
            if (!(last && lastEnds)) {
                addCount(mv, i);
            }
            mv.visitInsn(Opcodes.ATHROW);
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
