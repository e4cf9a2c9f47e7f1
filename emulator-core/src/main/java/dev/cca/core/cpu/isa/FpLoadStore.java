package dev.cca.core.cpu.isa;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.FpAccess;
import dev.cca.core.cpu.Insn;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.cpu.decode.Fields;

/**
 * SIMD&amp;FP loads and stores (Arm ARM C4.1.66, the V = 1 forms): LDR/STR of B, H, S, D and Q registers with
 * literal, unsigned-offset, unscaled, pre/post-indexed and register-offset addressing; LDP/STP/LDNP/STNP of S, D
 * and Q registers; and the AdvSIMD structure loads and stores LD1-LD4/ST1-ST4 (multiple structures, single
 * structure) and LD1R-LD4R, with post-index.
 *
 * <p>A load of a B/H/S/D register zeroes the rest of the 128-bit register. Data aborts report ISV = 0: the
 * syndrome only describes general-register accesses. Memory is little-endian, so a 128-bit access is two 64-bit
 * accesses, low half first.
 */
public final class FpLoadStore {
    private FpLoadStore() {
    }

    /** The base register; with Rn = SP, CheckSPAlignment() first (as for general-register loads and stores). */
    static long base(Cpu c, int n) {
        return LoadStore.base(c, n);
    }

    /** Loads {@code 1 << scale} bytes (scale 0..4) into Vt, zeroing the rest of it. */
    static void load(Cpu c, long addr, int t, int scale) {
        if (scale == 4) {
            long lo = c.read(addr, 8, 0);
            long hi = c.read(addr + 8, 8, 0);
            c.v[2 * t] = lo;
            c.v[2 * t + 1] = hi;
        } else {
            long lo = c.read(addr, 1 << scale, 0);
            c.v[2 * t] = lo;
            c.v[2 * t + 1] = 0;
        }
    }

    /** Stores the low {@code 1 << scale} bytes (scale 0..4) of Vt. */
    static void store(Cpu c, long addr, int t, int scale) {
        if (scale == 4) {
            long lo = c.v[2 * t], hi = c.v[2 * t + 1];
            c.write(addr, 8, lo, 0);
            c.write(addr + 8, 8, hi, 0);
        } else {
            c.write(addr, 1 << scale, c.v[2 * t], 0);
        }
    }

    /** The access size (log2 bytes) from size:opc<1>, or -1 if unallocated. */
    static int scale(int size, int opc) {
        if ((opc & 2) != 0) {
            return size == 0 ? 4 : -1;
        }
        return size;
    }

    /** LDR (literal, SIMD&amp;FP): S, D, Q. */
    public static Insn literal(Fields f) {
        int opc = f.u('o');
        if (opc == 3) {
            return null;
        }
        int scale = opc + 2;
        int t = f.u('t');
        long off = f.s('i') << 2;
        return (c, pc) -> {
            FpAccess.check(c);
            load(c, pc + off, t, scale);
            return pc + 4;
        };
    }

    /** LDR/STR (immediate, unsigned offset), SIMD&amp;FP. */
    public static Insn unsignedOffset(Fields f) {
        int opc = f.u('o');
        int scale = scale(f.u('s'), opc);
        if (scale < 0) {
            return null;
        }
        boolean isLoad = (opc & 1) != 0;
        int n = f.u('n'), t = f.u('t');
        long off = (long) f.u('i') << scale;
        if (isLoad) {
            return (c, pc) -> {
                FpAccess.check(c);
                load(c, base(c, n) + off, t, scale);
                return pc + 4;
            };
        }
        return (c, pc) -> {
            FpAccess.check(c);
            store(c, base(c, n) + off, t, scale);
            return pc + 4;
        };
    }

    /** LDUR/STUR, and LDR/STR (immediate) post- and pre-indexed, SIMD&amp;FP. */
    public static Insn imm9(Fields f) {
        int opc = f.u('o');
        int scale = scale(f.u('s'), opc);
        int mode = f.u('k'); // 0 unscaled, 1 post-index, 2 unprivileged (unallocated for SIMD&FP), 3 pre-index
        if (scale < 0 || mode == 2) {
            return null;
        }
        boolean isLoad = (opc & 1) != 0;
        int n = f.u('n'), t = f.u('t');
        long off = f.s('i');
        boolean writeback = mode != 0;
        boolean post = mode == 1;
        return (c, pc) -> {
            FpAccess.check(c);
            long base = base(c, n);
            long addr = post ? base : base + off;
            if (isLoad) {
                load(c, addr, t, scale);
            } else {
                store(c, addr, t, scale);
            }
            if (writeback) {
                c.setXsp(n, base + off);
            }
            return pc + 4;
        };
    }

    /** LDR/STR (register offset), SIMD&amp;FP. */
    public static Insn registerOffset(Fields f) {
        int opc = f.u('o');
        int scale = scale(f.u('s'), opc);
        int option = f.u('x');
        if (scale < 0 || (option & 2) == 0) {
            return null;
        }
        boolean isLoad = (opc & 1) != 0;
        int shift = f.u('k') == 1 ? scale : 0;
        int n = f.u('n'), t = f.u('t'), m = f.u('m');
        return (c, pc) -> {
            FpAccess.check(c);
            long addr = base(c, n) + Alu.extend(c.x[m], option, shift);
            if (isLoad) {
                load(c, addr, t, scale);
            } else {
                store(c, addr, t, scale);
            }
            return pc + 4;
        };
    }

    /** LDP/STP/LDNP/STNP, SIMD&amp;FP: S, D and Q pairs. */
    public static Insn pair(Fields f) {
        int opc = f.u('o');
        if (opc == 3) {
            return null;
        }
        int scale = opc + 2;
        boolean isLoad = f.u('l') == 1;
        int mode = f.u('p'); // 0 non-temporal offset, 1 post-index, 2 offset, 3 pre-index
        int n = f.u('n'), t = f.u('t'), t2 = f.u('u');
        long off = f.s('i') << scale;
        int bytes = 1 << scale;
        boolean writeback = mode == 1 || mode == 3;
        boolean post = mode == 1;
        return (c, pc) -> {
            FpAccess.check(c);
            long base = base(c, n);
            long addr = post ? base : base + off;
            long[] v = c.v;
            if (isLoad) {
                // Both loads complete before either register is written.
                long lo1, hi1 = 0, lo2, hi2 = 0;
                if (scale == 4) {
                    lo1 = c.read(addr, 8, 0);
                    hi1 = c.read(addr + 8, 8, 0);
                    lo2 = c.read(addr + 16, 8, 0);
                    hi2 = c.read(addr + 24, 8, 0);
                } else {
                    lo1 = c.read(addr, bytes, 0);
                    lo2 = c.read(addr + bytes, bytes, 0);
                }
                v[2 * t] = lo1;
                v[2 * t + 1] = hi1;
                v[2 * t2] = lo2;
                v[2 * t2 + 1] = hi2;
            } else {
                store(c, addr, t, scale);
                store(c, addr + bytes, t2, scale);
            }
            if (writeback) {
                c.setXsp(n, base + off);
            }
            return pc + 4;
        };
    }

    // ---- AdvSIMD load/store structures -----------------------------------------------------------------------

    /**
     * LD1-LD4/ST1-ST4 (multiple structures), with post-index when {@code postIndex}: field q Q, l L, o opcode,
     * s size, m Rm (post-index only).
     */
    public static Insn multiple(Fields f, boolean postIndex) {
        int opcode = f.u('o');
        int size = f.u('s');
        boolean q = f.u('q') == 1;
        boolean isLoad = f.u('l') == 1;
        int rpt, selem;
        switch (opcode) {
            case 0b0000: rpt = 1; selem = 4; break;
            case 0b0010: rpt = 4; selem = 1; break;
            case 0b0100: rpt = 1; selem = 3; break;
            case 0b0110: rpt = 3; selem = 1; break;
            case 0b0111: rpt = 1; selem = 1; break;
            case 0b1000: rpt = 1; selem = 2; break;
            case 0b1010: rpt = 2; selem = 1; break;
            default: return null;
        }
        if (size == 3 && !q && selem != 1) {
            return null;
        }
        int n = f.u('n'), t = f.u('t');
        int m = postIndex ? f.u('m') : 0;
        int regBytes = q ? 16 : 8;
        long imm = (long) regBytes * rpt * selem;
        int ebytes = 1 << size;
        int elements = regBytes / ebytes;
        if (selem == 1) {
            // LD1/ST1: consecutive registers hold consecutive memory (little-endian elements), so whole
            // doublewords can be moved, unless SCTLR.A checks alignment, which is per element.
            return (c, pc) -> {
                FpAccess.check(c);
                long base = base(c, n);
                long[] v = c.v;
                if ((base & 7) != 0 && ebytes < 8 && alignmentChecked(c)) {
                    structures(c, base, t, rpt, 1, elements, size, q, isLoad);
                } else if (isLoad) {
                    for (int r = 0; r < rpt; r++) {
                        int tt = (t + r) & 31;
                        long a = base + (long) r * regBytes;
                        long lo = c.read(a, 8, 0);
                        long hi = q ? c.read(a + 8, 8, 0) : 0;
                        v[2 * tt] = lo;
                        v[2 * tt + 1] = hi;
                    }
                } else {
                    for (int r = 0; r < rpt; r++) {
                        int tt = (t + r) & 31;
                        long a = base + (long) r * regBytes;
                        c.write(a, 8, v[2 * tt], 0);
                        if (q) {
                            c.write(a + 8, 8, v[2 * tt + 1], 0);
                        }
                    }
                }
                if (postIndex) {
                    c.setXsp(n, base + (m == 31 ? imm : c.x[m]));
                }
                return pc + 4;
            };
        }
        return (c, pc) -> {
            FpAccess.check(c);
            long base = base(c, n);
            structures(c, base, t, rpt, selem, elements, size, q, isLoad);
            if (postIndex) {
                c.setXsp(n, base + (m == 31 ? imm : c.x[m]));
            }
            return pc + 4;
        };
    }

    /** Whether SCTLR_ELx.A of the current regime asks for alignment checks of data accesses. */
    static boolean alignmentChecked(Cpu c) {
        return (c.sr[Cpu.sctlrSlot(c.el)] & SysRegs.SCTLR_A) != 0;
    }

    /** The element-by-element loop of LD1-LD4/ST1-ST4 (multiple structures), as the Arm ARM pseudocode. */
    static void structures(Cpu c, long base, int t, int rpt, int selem, int elements, int size, boolean q,
                           boolean isLoad) {
        long[] v = c.v;
        int ebytes = 1 << size;
        long offs = 0;
        if (isLoad && !q) {
            for (int r = 0; r < rpt * selem; r++) {
                v[2 * ((t + r) & 31) + 1] = 0;
            }
        }
        for (int r = 0; r < rpt; r++) {
            for (int e = 0; e < elements; e++) {
                for (int s = 0; s < selem; s++) {
                    int tt = (t + r + s) & 31;
                    if (isLoad) {
                        Vreg.set(v, tt, size, e, c.read(base + offs, ebytes, 0));
                    } else {
                        c.write(base + offs, ebytes, Vreg.get(v, tt, size, e), 0);
                    }
                    offs += ebytes;
                }
            }
        }
    }

    /**
     * LD1-LD4/ST1-ST4 (single structure) and LD1R-LD4R, with post-index when {@code postIndex}: field q Q, l L,
     * r R, o opcode (bits [15:13]), k S, s size, m Rm.
     */
    public static Insn single(Fields f, boolean postIndex) {
        int opcode = f.u('o');
        boolean isLoad = f.u('l') == 1;
        int rBit = f.u('r');
        int sBit = f.u('k');
        int size = f.u('s');
        boolean q = f.u('q') == 1;
        int qi = q ? 1 : 0;
        int scale = opcode >> 1;
        int selem = (((opcode & 1) << 1) | rBit) + 1;
        boolean replicate = false;
        int index = 0;
        switch (scale) {
            case 3:
                if (!isLoad || sBit == 1) {
                    return null;
                }
                scale = size;
                replicate = true;
                break;
            case 0:
                index = (qi << 3) | (sBit << 2) | size;
                break;
            case 1:
                if ((size & 1) != 0) {
                    return null;
                }
                index = (qi << 2) | (sBit << 1) | (size >> 1);
                break;
            default:
                if ((size & 2) != 0) {
                    return null;
                }
                if ((size & 1) == 0) {
                    index = (qi << 1) | sBit;
                } else {
                    if (sBit == 1) {
                        return null;
                    }
                    index = qi;
                    scale = 3;
                }
                break;
        }
        int n = f.u('n'), t = f.u('t');
        int m = postIndex ? f.u('m') : 0;
        int esize = scale;
        int ebytes = 1 << esize;
        long imm = (long) selem * ebytes;
        int idx = index;
        if (replicate) {
            return (c, pc) -> {
                FpAccess.check(c);
                long base = base(c, n);
                long[] v = c.v;
                long offs = 0;
                for (int s = 0; s < selem; s++) {
                    long r = Vreg.replicate(c.read(base + offs, ebytes, 0), esize);
                    int tt = (t + s) & 31;
                    v[2 * tt] = r;
                    v[2 * tt + 1] = q ? r : 0;
                    offs += ebytes;
                }
                if (postIndex) {
                    c.setXsp(n, base + (m == 31 ? imm : c.x[m]));
                }
                return pc + 4;
            };
        }
        return (c, pc) -> {
            FpAccess.check(c);
            long base = base(c, n);
            long[] v = c.v;
            long offs = 0;
            if (isLoad) {
                // All elements are read before any register changes, so a fault leaves the registers intact.
                long e0 = 0, e1 = 0, e2 = 0, e3 = 0;
                for (int s = 0; s < selem; s++) {
                    long x = c.read(base + offs, ebytes, 0);
                    switch (s) {
                        case 0: e0 = x; break;
                        case 1: e1 = x; break;
                        case 2: e2 = x; break;
                        default: e3 = x; break;
                    }
                    offs += ebytes;
                }
                for (int s = 0; s < selem; s++) {
                    long x = s == 0 ? e0 : s == 1 ? e1 : s == 2 ? e2 : e3;
                    Vreg.set(v, (t + s) & 31, esize, idx, x);
                }
            } else {
                for (int s = 0; s < selem; s++) {
                    c.write(base + offs, ebytes, Vreg.get(v, (t + s) & 31, esize, idx), 0);
                    offs += ebytes;
                }
            }
            if (postIndex) {
                c.setXsp(n, base + (m == 31 ? imm : c.x[m]));
            }
            return pc + 4;
        };
    }
}
