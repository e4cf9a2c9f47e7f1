package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.decode.Fields;

/**
 * General-register loads and stores (Arm ARM C4.1.66 "Loads and Stores"): single register with unsigned-offset,
 * unscaled, pre/post-indexed, register-offset and literal addressing, and register pairs.
 *
 * <p>Each instruction carries its data-abort syndrome template: single-register forms without writeback report
 * ISV=1 with size, sign extension, register and width, which is what lets a hypervisor (or the RMM) emulate an
 * MMIO access that faulted at stage 2.
 */
public final class LoadStore {
    private LoadStore() {
    }

    // Transfer kinds.
    static final int STORE = 0, LOAD = 1, LOAD_SX64 = 2, LOAD_SX32 = 3, PREFETCH = 4;

    /** The kind of a single-register transfer from its size and opc fields, or -1 if unallocated. */
    static int kind(int size, int opc) {
        switch (opc) {
            case 0: return STORE;
            case 1: return LOAD;
            case 2: return size == 3 ? PREFETCH : LOAD_SX64;
            default: return size <= 1 ? LOAD_SX32 : -1;
        }
    }

    /** The ESR ISS template (ISV, SAS, SSE, SRT, SF) for a single-register access without writeback. */
    static int syndrome(int size, int kind, int rt, boolean acqRel) {
        boolean signed = kind == LOAD_SX64 || kind == LOAD_SX32;
        boolean sf = size == 3 || kind == LOAD_SX64;
        return Esr.ISV | (size << Esr.SAS_SHIFT) | (signed ? Esr.SSE : 0) | (rt << Esr.SRT_SHIFT)
                | (sf ? Esr.SF : 0) | (acqRel ? Esr.AR : 0);
    }

    /*
     * The access itself. Each instruction's lambda calls the one path of its kind, chosen at decode time, so that
     * the compiled code of a lambda and of these paths stays small: a translated block (Translator) inlines them
     * and folds the size, which HotSpot refuses for a method that handles every kind ("already compiled into a
     * big method"). transfer() serves the rarer forms (writeback, unprivileged) with the kind as a value.
     */

    static void load(Cpu c, long addr, int rt, int bytes, int syn) {
        c.setX(rt, c.read(addr, bytes, syn));
    }

    /** LDRSB/LDRSH/LDRSW: sign-extended to 64 bits, then masked to 32 for the W forms ({@code mask}). */
    static void loadSigned(Cpu c, long addr, int rt, int bytes, int syn, long mask) {
        c.setX(rt, signExtend(c.read(addr, bytes, syn), bytes, mask));
    }

    /** {@code v} of {@code bytes} bytes sign-extended to 64 bits, then masked ({@link #signMask}). */
    private static long signExtend(long v, int bytes, long mask) {
        int sh = 64 - 8 * bytes;
        return ((v << sh) >> sh) & mask;
    }

    static void store(Cpu c, long addr, int rt, int bytes, int syn) {
        c.write(addr, bytes, c.x[rt], syn);
    }

    /** The mask that {@link #loadSigned} applies for a sign-extending kind. */
    private static long signMask(int kind) {
        return kind == LOAD_SX32 ? 0xFFFF_FFFFL : -1L;
    }

    static void transfer(Cpu c, long addr, int rt, int size, int kind, int syn) {
        switch (kind) {
            case STORE:
                store(c, addr, rt, 1 << size, syn);
                return;
            case LOAD:
                load(c, addr, rt, 1 << size, syn);
                return;
            case LOAD_SX64:
            case LOAD_SX32:
                loadSigned(c, addr, rt, 1 << size, syn, signMask(kind));
                return;
            default:
                // PRFM: a hint; no access, no fault.
        }
    }

    /**
     * A single-register load or store without writeback, at {@code off} plus Xn|SP ({@code rn}, or the
     * instruction's PC for a literal when {@code rn} is -1) plus Xm extended and scaled ({@code rm}, or none when
     * -1). One lambda per kind: see {@link #load}. PRFM is a hint: no access, no fault, and no SP alignment check
     * (the pseudocode skips it for prefetches).
     */
    private static Insn access(int kind, int size, int rt, int rn, long off, int rm, int option, int shift) {
        int syn = syndrome(size, kind, rt, false);
        int bytes = 1 << size;
        switch (kind) {
            case STORE:
                return (c, pc) -> {
                    store(c, address(c, pc, rn, off, rm, option, shift), rt, bytes, syn);
                    return pc + 4;
                };
            case LOAD:
                return (c, pc) -> {
                    load(c, address(c, pc, rn, off, rm, option, shift), rt, bytes, syn);
                    return pc + 4;
                };
            case PREFETCH:
                return (c, pc) -> pc + 4;
            default:
                long mask = signMask(kind);
                return (c, pc) -> {
                    loadSigned(c, address(c, pc, rn, off, rm, option, shift), rt, bytes, syn, mask);
                    return pc + 4;
                };
        }
    }

    private static long address(Cpu c, long pc, int rn, long off, int rm, int option, int shift) {
        long a = (rn < 0 ? pc : base(c, rn)) + off;
        return rm < 0 ? a : a + Alu.extend(c.x[rm], option, shift);
    }

    /** The base register value; with Rn = SP, CheckSPAlignment() first (SCTLR_ELx.SA/SA0). */
    static long base(Cpu c, int rn) {
        if (rn == 31) {
            long sp = c.getSp();
            if ((sp & 15) != 0) { // the common aligned case stays out of the call
                c.checkSpAlignment(sp);
            }
            return sp;
        }
        return c.x[rn];
    }

    /** LDTR/STTR and variants: unprivileged accesses (EL0 permissions when executed at EL1). */
    static void transferUnprivileged(Cpu c, long addr, int rt, int size, int kind, int syn) {
        int bytes = 1 << size;
        if (kind == STORE) {
            c.writeUnprivileged(addr, bytes, c.x[rt], syn);
            return;
        }
        long v = c.readUnprivileged(addr, bytes, syn);
        c.setX(rt, kind == LOAD ? v : signExtend(v, bytes, signMask(kind)));
    }

    /** LDR/STR and variants, unsigned scaled 12-bit offset. */
    public static Insn unsignedOffset(Fields f) {
        int size = f.u('s');
        int kind = kind(size, f.u('o'));
        if (kind < 0) {
            return null;
        }
        return access(kind, size, f.u('t'), f.u('n'), (long) f.u('i') << size, -1, 0, 0);
    }

    /** LDUR/STUR (unscaled), post-indexed and pre-indexed forms with a signed 9-bit offset. */
    public static Insn imm9(Fields f) {
        int size = f.u('s');
        int mode = f.u('k'); // 0 unscaled, 1 post-index, 2 unprivileged, 3 pre-index
        int opc = f.u('o');
        int kind = kind(size, opc);
        if (kind < 0 || (kind == PREFETCH && mode != 0)) {
            return null;
        }
        int rn = f.u('n'), rt = f.u('t');
        long off = f.s('i');
        if (mode == 2) { // LDTR, STTR, LDTRB, LDTRSH... (unprivileged)
            int syn = syndrome(size, kind, rt, false);
            return (c, pc) -> {
                transferUnprivileged(c, base(c, rn) + off, rt, size, kind, syn);
                return pc + 4;
            };
        }
        if (mode == 0) {
            return access(kind, size, rt, rn, off, -1, 0, 0);
        }
        boolean post = mode == 1;
        return (c, pc) -> {
            long base = base(c, rn);
            long addr = post ? base : base + off;
            transfer(c, addr, rt, size, kind, 0);
            c.setXsp(rn, base + off);
            return pc + 4;
        };
    }

    /** LDR/STR (register offset) with optional extend and scale. */
    public static Insn registerOffset(Fields f) {
        int size = f.u('s');
        int kind = kind(size, f.u('o'));
        int option = f.u('x');
        if (kind < 0 || (option & 2) == 0) {
            return null;
        }
        int shift = f.u('k') == 1 ? size : 0;
        return access(kind, size, f.u('t'), f.u('n'), 0, f.u('m'), option, shift);
    }

    /** LDR (literal), LDRSW (literal), PRFM (literal). */
    public static Insn literal(Fields f) {
        int opc = f.u('o');
        long off = f.s('i') << 2;
        int rt = f.u('t');
        int size;
        int kind;
        switch (opc) {
            case 0: size = 2; kind = LOAD; break;
            case 1: size = 3; kind = LOAD; break;
            case 2: size = 2; kind = LOAD_SX64; break;
            default: size = 3; kind = PREFETCH; break;
        }
        return access(kind, size, rt, -1, off, -1, 0, 0);
    }

    /** LDP, STP, LDPSW, LDNP, STNP (general registers). */
    public static Insn pair(Fields f) {
        int opc = f.u('o');
        boolean load = f.u('l') == 1;
        int mode = f.u('p'); // 0 non-temporal offset, 1 post-index, 2 offset, 3 pre-index
        if (opc == 3 || (opc == 1 && (!load || mode == 0))) {
            return null;
        }
        int size = opc == 2 ? 3 : 2;
        int kind = !load ? STORE : opc == 1 ? LOAD_SX64 : LOAD;
        int rn = f.u('n'), rt = f.u('t'), rt2 = f.u('u');
        long off = f.s('i') << size;
        int bytes = 1 << size;
        boolean writeback = mode == 1 || mode == 3;
        boolean post = mode == 1;
        if (!load) {
            return (c, pc) -> {
                long base = base(c, rn);
                long addr = post ? base : base + off;
                long v1 = c.x[rt], v2 = c.x[rt2];
                c.write(addr, bytes, v1, 0);
                c.write(addr + bytes, bytes, v2, 0);
                if (writeback) {
                    c.setXsp(rn, base + off);
                }
                return pc + 4;
            };
        }
        boolean signed = kind == LOAD_SX64;
        return (c, pc) -> {
            long base = base(c, rn);
            long addr = post ? base : base + off;
            // Both loads complete before either register is written (Rt == Rt2 is CONSTRAINED UNPREDICTABLE).
            long v1 = c.read(addr, bytes, 0);
            long v2 = c.read(addr + bytes, bytes, 0);
            if (signed) {
                v1 = (int) v1;
                v2 = (int) v2;
            }
            c.setX(rt, v1);
            c.setX(rt2, v2);
            if (writeback) {
                c.setXsp(rn, base + off);
            }
            return pc + 4;
        };
    }
}
