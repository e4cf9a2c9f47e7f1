package dev.cca.core.gic;

import dev.cca.core.mem.MmioDevice;

/**
 * The memory-mapped frames of the physical GICv3 (IHI 0069): the distributor's GICD_* frame and one
 * redistributor per PE (RD_base and SGI_base, 128 KiB each, the last one marked GICR_TYPER.Last), in the Non-secure
 * view with affinity routing enabled (GICD_CTLR.ARE_NS reads as one). Every interrupt is Non-secure Group 1:
 * IGROUPR and IGRPMODR hold what is written but do not change delivery. No LPIs, no ITS.
 */
public final class GicMmio {
    private GicMmio() {
    }

    /** GICD_TYPER: ITLinesNumber (SPIs), CPUNumber, SecurityExtn, IDbits = 9 (10 bits of INTID). */
    static int gicdTyper(Gic gic) {
        int itLines = Distributor.LIMIT / 32 - 1;
        int cpus = Math.min(gic.peCount(), 8) - 1;
        return itLines | (cpus << 5) | (1 << 10) | (9 << 19);
    }

    /** The GICD frame (64 KiB). */
    public static MmioDevice distributor(Gic gic) {
        Distributor d = gic.distributor();
        return new MmioDevice() {
            @Override
            public long read(long offset, int size) {
                int off = (int) offset;
                if (off >= GicRegs.GICD_IROUTER + 8 * Distributor.FIRST_SPI && off < GicRegs.GICD_IROUTER + 8 * Distributor.LIMIT) {
                    int intid = (off - GicRegs.GICD_IROUTER) >>> 3;
                    long v = d.router(intid);
                    return (off & 4) != 0 ? v >>> 32 : size == 8 ? v : v & 0xFFFF_FFFFL;
                }
                if (off >= GicRegs.IPRIORITYR && off < GicRegs.IPRIORITYR + Distributor.LIMIT) {
                    long v = 0;
                    for (int i = 0; i < size; i++) {
                        int intid = off - GicRegs.IPRIORITYR + i;
                        if (Distributor.isSpi(intid)) {
                            v |= (long) d.priority(intid) << (8 * i);
                        }
                    }
                    return v;
                }
                switch (off) {
                    case GicRegs.GICD_CTLR: return d.ctlr();
                    case GicRegs.GICD_TYPER: return gicdTyper(gic) & 0xFFFF_FFFFL;
                    case GicRegs.GICD_IIDR: return GicRegs.IIDR;
                    case GicRegs.PIDR2: return GicRegs.PIDR2_GICV3;
                    default: break;
                }
                int[] kind = bitRegister(off);
                if (kind != null) {
                    return d.bits(kind[0], kind[1]) & 0xFFFF_FFFFL;
                }
                if (off >= GicRegs.ICFGR && off < GicRegs.ICFGR + Distributor.LIMIT / 4) {
                    return d.icfgr((off - GicRegs.ICFGR) >>> 2) & 0xFFFF_FFFFL;
                }
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                int off = (int) offset;
                if (off >= GicRegs.GICD_IROUTER + 8 * Distributor.FIRST_SPI && off < GicRegs.GICD_IROUTER + 8 * Distributor.LIMIT) {
                    int intid = (off - GicRegs.GICD_IROUTER) >>> 3;
                    long old = d.router(intid);
                    long v;
                    if (size == 8) {
                        v = value;
                    } else if ((off & 4) != 0) {
                        v = (old & 0xFFFF_FFFFL) | (value << 32);
                    } else {
                        v = (old & ~0xFFFF_FFFFL) | (value & 0xFFFF_FFFFL);
                    }
                    d.setRouter(intid, v);
                    return;
                }
                if (off >= GicRegs.IPRIORITYR && off < GicRegs.IPRIORITYR + Distributor.LIMIT) {
                    for (int i = 0; i < size; i++) {
                        int intid = off - GicRegs.IPRIORITYR + i;
                        if (Distributor.isSpi(intid)) {
                            d.setPriority(intid, (int) (value >>> (8 * i)) & 0xFF);
                        }
                    }
                    return;
                }
                if (off == GicRegs.GICD_CTLR) {
                    d.setCtlr((int) value);
                    return;
                }
                int[] kind = bitRegister(off);
                if (kind != null) {
                    boolean set = off < GicRegs.ICENABLER || (off >= GicRegs.ISPENDR && off < GicRegs.ICPENDR)
                            || (off >= GicRegs.ISACTIVER && off < GicRegs.ICACTIVER) || off >= GicRegs.IGRPMODR;
                    d.writeBits(kind[0], kind[1], (int) value, set);
                    return;
                }
                if (off >= GicRegs.ICFGR && off < GicRegs.ICFGR + Distributor.LIMIT / 4) {
                    d.setIcfgr((off - GicRegs.ICFGR) >>> 2, (int) value);
                }
            }

            @Override
            public String name() {
                return "GICv3 distributor";
            }
        };
    }

    /** {kind, register index} of a one-bit-per-INTID register at {@code off}, or null. */
    static int[] bitRegister(int off) {
        int[][] ranges = {{GicRegs.IGROUPR, GicRegs.GROUP}, {GicRegs.ISENABLER, GicRegs.ENABLE},
            {GicRegs.ICENABLER, GicRegs.ENABLE}, {GicRegs.ISPENDR, GicRegs.PENDING}, {GicRegs.ICPENDR, GicRegs.PENDING},
            {GicRegs.ISACTIVER, GicRegs.ACTIVE}, {GicRegs.ICACTIVER, GicRegs.ACTIVE}, {GicRegs.IGRPMODR, GicRegs.GROUPMOD}};
        for (int[] r : ranges) {
            if (off >= r[0] && off < r[0] + 0x80) {
                return new int[] {r[1], (off - r[0]) >>> 2};
            }
        }
        return null;
    }

    /** The redistributor frames of every PE, {@code peCount * 128 KiB}. */
    public static MmioDevice redistributors(Gic gic) {
        return new MmioDevice() {
            @Override
            public long read(long offset, int size) {
                int pe = (int) (offset / GicRegs.GICR_STRIDE);
                int off = (int) (offset % GicRegs.GICR_STRIDE);
                Redistributor r = gic.redistributor(pe);
                if (off < GicRegs.SGI_BASE) {
                    switch (off) {
                        case GicRegs.GICR_TYPER: {
                            long v = (r.affinity() << 32) | ((long) pe << 8)
                                    | (pe == gic.peCount() - 1 ? 1 << 4 : 0);
                            return size == 8 ? v : v & 0xFFFF_FFFFL;
                        }
                        case GicRegs.GICR_TYPER + 4: return r.affinity();
                        case GicRegs.GICR_IIDR: return GicRegs.IIDR;
                        case GicRegs.GICR_WAKER: return r.waker();
                        case GicRegs.PIDR2: return GicRegs.PIDR2_GICV3;
                        default: return 0;
                    }
                }
                off -= GicRegs.SGI_BASE;
                if (off >= GicRegs.IPRIORITYR && off < GicRegs.IPRIORITYR + 32) {
                    long v = 0;
                    for (int i = 0; i < size; i++) {
                        v |= (long) r.priority(off - GicRegs.IPRIORITYR + i) << (8 * i);
                    }
                    return v;
                }
                if (off == GicRegs.ICFGR) {
                    return 0xAAAA_AAAAL; // SGIs: edge
                }
                if (off == GicRegs.ICFGR + 4) {
                    return r.icfgr1() & 0xFFFF_FFFFL;
                }
                int[] kind = bitRegister(off);
                if (kind != null && kind[1] == 0) {
                    return r.bits(kind[0]) & 0xFFFF_FFFFL;
                }
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                int pe = (int) (offset / GicRegs.GICR_STRIDE);
                int off = (int) (offset % GicRegs.GICR_STRIDE);
                Redistributor r = gic.redistributor(pe);
                if (off < GicRegs.SGI_BASE) {
                    if (off == GicRegs.GICR_WAKER) {
                        r.setWaker((int) value);
                    }
                    return;
                }
                off -= GicRegs.SGI_BASE;
                if (off >= GicRegs.IPRIORITYR && off < GicRegs.IPRIORITYR + 32) {
                    for (int i = 0; i < size; i++) {
                        r.setPriority(off - GicRegs.IPRIORITYR + i, (int) (value >>> (8 * i)) & 0xFF);
                    }
                    return;
                }
                if (off == GicRegs.ICFGR + 4) {
                    r.setIcfgr1((int) value);
                    return;
                }
                int[] kind = bitRegister(off);
                if (kind != null && kind[1] == 0) {
                    boolean set = off < GicRegs.ICENABLER || (off >= GicRegs.ISPENDR && off < GicRegs.ICPENDR)
                            || (off >= GicRegs.ISACTIVER && off < GicRegs.ICACTIVER) || off >= GicRegs.IGRPMODR;
                    r.writeBits(kind[0], (int) value, set);
                }
            }

            @Override
            public String name() {
                return "GICv3 redistributors";
            }
        };
    }
}
