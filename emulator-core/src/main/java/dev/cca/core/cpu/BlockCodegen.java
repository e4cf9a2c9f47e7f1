package dev.cca.core.cpu;

import dev.cca.core.cpu.decode.DecodeTable;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.util.ArrayList;
import java.util.List;

/**
 * The bytecode of a translated region ({@link Translator}): a hidden class extending {@link Block} whose
 * {@code run} method calls each instruction's {@link Insn} from a static final field (a constant to HotSpot) with
 * its PC as a constant, with the instruction count, the exception handlers and the chaining between the region's
 * blocks described in {@link Translator}. Generated with ASM; kept apart from the translator's dispatch-side
 * state so that a run which never translates never loads ASM (its class files predate class-data sharing).
 */
final class BlockCodegen {
    private static final String BLOCK = Type.getInternalName(Block.class);
    private static final String CPU = Type.getInternalName(Cpu.class);
    private static final String INSN = Type.getInternalName(Insn.class);
    private static final String TLB = Type.getInternalName(Tlb.class);
    private static final String EXEC_DESC = "(L" + CPU + ";J)J";

    private BlockCodegen() {
    }

    /** Whether an instruction of this encoding class may store to memory (the A64 "loads and stores" group). */
    private static boolean mayStore(int flags) {
        return (flags & DecodeTable.MEMORY) != 0;
    }

    /** The class file of the region made of {@code segs} ({@code total} instructions, the entry first). */
    static byte[] generate(List<Translator.Segment> segs, int total) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected String getCommonSuperClass(String a, String b) {
                return "java/lang/Object";
            }
        };
        String name = BLOCK.substring(0, BLOCK.lastIndexOf('/') + 1) + "TranslatedBlock";
        cw.visit(Opcodes.V17, Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, name, null, BLOCK, null);
        Translator.Segment entry = segs.get(0);

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
            Translator.Segment seg = segs.get(k);
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
                    if (mayStore(seg.flags[i])) {
                        // a store into decoded code or a device access: back to the run loop after it
                        Label go = new Label();
                        mv.visitVarInsn(Opcodes.ALOAD, 1);
                        mv.visitFieldInsn(Opcodes.GETFIELD, CPU, "blockExit", "Z");
                        mv.visitJumpInsn(Opcodes.IFEQ, go);
                        addCount(mv, i + 1);
                        mv.visitLdcInsn(pc + 4);
                        mv.visitInsn(Opcodes.LRETURN);
                        mv.visitLabel(go);
                    }
                    if (last) {
                        // a block cut by the page end or the length limit goes on at the next instruction
                        addCount(mv, i + 1);
                        mv.visitLdcInsn(pc + 4);
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
            Translator.Segment seg = segs.get(k);
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
            Translator.Segment seg = segs.get(k);
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
