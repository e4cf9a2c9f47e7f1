package dev.cca.kvm;

import dev.cca.core.cpu.GicCpuInterface;
import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.cca.kvm.uapi.KvmUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ITS (KVM_DEV_TYPE_ARM_VGIC_ITS) driven as a guest driver drives it: tables and the command queue in guest
 * memory, registers through the VM's in-kernel MMIO bus, LPIs checked in the vGIC's list registers; MSIs through
 * KVM_SIGNAL_MSI as a VMM sends them.
 */
class VgicItsTest {
    static final long RAM = 0x4000_0000L, RAM_SIZE = 4L << 20;
    static final long GICD = 0x0800_0000L, GICR = 0x080A_0000L, ITS = 0x0808_0000L;
    static final long PROP = RAM + 0x10_0000, PEND = RAM + 0x12_0000, DEVT = RAM + 0x20_0000,
            COLLT = RAM + 0x21_0000, QUEUE = RAM + 0x22_0000, ITT = RAM + 0x23_0000;

    /** A VM with four vCPUs, the vGIC and the ITS, set up through /dev/kvm. */
    static final class Rig {
        final Process p;
        final long scratch, mem;
        final int vmFd;
        final KvmVm vm;
        final VgicIts its;
        long cw;

        Rig(boolean realm) {
            CcaHost host = CcaHost.boot(1, 256L << 20);
            p = host.kernel.newProcess();
            scratch = p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
            int kvm = p.open("/dev/kvm", Process.O_RDWR);
            vmFd = (int) p.ioctl(kvm, KVM_CREATE_VM, realm ? KVM_VM_TYPE_ARM_REALM | 33 : 0);
            assertTrue(vmFd > 0);
            mem = p.mmap(0, RAM_SIZE, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
            p.memory().clear(scratch, Structs.MEMORY_REGION2_SIZE);
            if (realm) {
                p.memory().write64(scratch + Structs.CGM_SIZE, RAM_SIZE);
                int gmem = (int) p.ioctl(vmFd, KVM_CREATE_GUEST_MEMFD, scratch);
                p.memory().clear(scratch, Structs.MEMORY_REGION2_SIZE);
                p.memory().write32(scratch + Structs.MR2_FLAGS, KVM_MEM_GUEST_MEMFD);
                p.memory().write32(scratch + Structs.MR2_GUEST_MEMFD, gmem);
            }
            p.memory().write64(scratch + Structs.MR2_GUEST_PHYS_ADDR, RAM);
            p.memory().write64(scratch + Structs.MR2_MEMORY_SIZE, RAM_SIZE);
            p.memory().write64(scratch + Structs.MR2_USERSPACE_ADDR, mem);
            assertEquals(0, p.ioctl(vmFd, KVM_SET_USER_MEMORY_REGION2, scratch));
            if (realm) {
                setAttributes(RAM, RAM_SIZE, true);
            }
            for (int i = 0; i < 4; i++) {
                assertTrue(p.ioctl(vmFd, KVM_CREATE_VCPU, i) > 0);
            }
            int gic = createDevice(KVM_DEV_TYPE_ARM_VGIC_V3);
            setAttr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, GICD);
            setAttr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, GICR);
            setAttr(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0);
            int itsFd = createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
            setAttr(itsFd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, ITS);
            setAttr(itsFd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0);
            vm = (KvmVm) p.file(vmFd);
            its = vm.its.its;
        }

        void setAttributes(long gpa, long size, boolean priv) {
            p.memory().clear(scratch, 32);
            p.memory().write64(scratch + Structs.MA_ADDRESS, gpa);
            p.memory().write64(scratch + Structs.MA_SIZE, size);
            p.memory().write64(scratch + Structs.MA_ATTRIBUTES, priv ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0);
            assertEquals(0, p.ioctl(vmFd, KVM_SET_MEMORY_ATTRIBUTES, scratch));
        }

        int createDevice(int type) {
            p.memory().clear(scratch, 12);
            p.memory().write32(scratch + Structs.CD_TYPE, type);
            assertEquals(0, p.ioctl(vmFd, KVM_CREATE_DEVICE, scratch));
            return p.memory().read32(scratch + Structs.CD_FD);
        }

        void setAttr(int fd, int group, long attr, long value) {
            RealmVmTest t = new RealmVmTest();
            t.p = p;
            t.scratch = scratch;
            t.setAttr(fd, group, attr, value);
        }

        /** A guest MMIO access through the in-kernel bus, as from vCPU 0. */
        void mmioWrite(long addr, int len, long v) {
            vm.ioBus.find(addr, len).write(vm.vcpus.get(0), addr, len, v);
        }

        long mmioRead(long addr, int len) {
            return vm.ioBus.find(addr, len).read(vm.vcpus.get(0), addr, len);
        }

        void guest64(long gpa, long v) {
            p.memory().write64(mem + (gpa - RAM), v);
        }

        void guest8(long gpa, int v) {
            p.memory().write(mem + (gpa - RAM), 1, v);
        }

        /** What a guest driver does before using the ITS: LPI tables, EnableLPIs, ITS tables, queue, enable. */
        void setUp() {
            for (int i = 0; i < 64; i++) {
                guest8(PROP + i, 0xA1); // priority 0xA0, enabled
            }
            mmioWrite(GICD, 4, 2); // EnableGrp1
            for (int r = 0; r < 4; r++) {
                long rd = GICR + r * 0x2_0000L;
                mmioWrite(rd + 0x70, 8, PROP | 13); // 14 ID bits
                mmioWrite(rd + 0x78, 8, PEND + r * 0x1_0000L);
                mmioWrite(rd, 4, 1); // EnableLPIs
            }
            mmioWrite(ITS + VgicIts.GITS_BASER, 8, DEVT | VgicIts.BASER_VALID);
            mmioWrite(ITS + VgicIts.GITS_BASER + 8, 8, COLLT | VgicIts.BASER_VALID);
            mmioWrite(ITS + VgicIts.GITS_CBASER, 8, QUEUE | (1L << 63) | 15);
            mmioWrite(ITS + VgicIts.GITS_CWRITER, 8, 0);
            mmioWrite(ITS + VgicIts.GITS_CTLR, 4, 1);
            assertEquals(1, mmioRead(ITS + VgicIts.GITS_CTLR, 4) & 1, "the ITS is enabled");
        }

        /** Queues one command and writes GITS_CWRITER (the ITS processes it at once). */
        void cmd(long d0, long d1, long d2, long d3) {
            guest64(QUEUE + cw, d0);
            guest64(QUEUE + cw + 8, d1);
            guest64(QUEUE + cw + 16, d2);
            guest64(QUEUE + cw + 24, d3);
            cw = (cw + 32) % 0x1_0000;
            mmioWrite(ITS + VgicIts.GITS_CWRITER, 8, cw);
            assertEquals(cw, mmioRead(ITS + VgicIts.GITS_CREADR, 8), "the queue is drained");
        }

        void mapd(int dev, int bits, long itt, boolean valid) {
            cmd(VgicIts.CMD_MAPD | (long) dev << 32, bits - 1, itt | (valid ? 1L << 63 : 0), 0);
        }

        void mapc(int icid, int target, boolean valid) {
            cmd(VgicIts.CMD_MAPC, 0, icid | (long) target << 16 | (valid ? 1L << 63 : 0), 0);
        }

        void mapti(int dev, int event, int lpi, int icid) {
            cmd(VgicIts.CMD_MAPTI | (long) dev << 32, event | (long) lpi << 32, icid, 0);
        }

        void devEvent(int code, int dev, int event) {
            cmd(code | (long) dev << 32, event, 0, 0);
        }

        void invall(int icid) {
            cmd(VgicIts.CMD_INVALL, 0, icid, 0);
        }

        /** The INTIDs the vGIC would put in vCPU {@code v}'s list registers now (pending ones). */
        String lrs(int v) {
            long[] lrs = new long[GicCpuInterface.NUM_LRS];
            vm.irqchip.flush(v, lrs, false);
            StringBuilder b = new StringBuilder();
            for (long lr : lrs) {
                if ((lr & GicCpuInterface.LR_PENDING) != 0) {
                    b.append(b.length() == 0 ? "" : ",").append(lr & 0xFFFF_FFFFL);
                }
            }
            vm.irqchip.sync(v, lrs); // nothing acknowledged: the state folds back unchanged
            return b.toString();
        }

        long signalMsi(long address, int devid, int data, int flags) {
            long a = scratch + 2048;
            p.memory().clear(a, Structs.MSI_SIZE);
            p.memory().write32(a + Structs.MSI_ADDRESS_LO, (int) address);
            p.memory().write32(a + Structs.MSI_ADDRESS_HI, (int) (address >>> 32));
            p.memory().write32(a + Structs.MSI_DATA, data);
            p.memory().write32(a + Structs.MSI_FLAGS, flags);
            p.memory().write32(a + Structs.MSI_DEVID, devid);
            return p.ioctl(vmFd, KVM_SIGNAL_MSI, a);
        }

        /** kvm-unit-tests' its_setup1: dev 2 event 20 -> LPI 8195 on collection 3 (vCPU 3), dev 7 event 255 -> 8196, 2. */
        void setup1() {
            setUp();
            mapd(2, 8, ITT, true);
            mapd(7, 8, ITT + 0x1000, true);
            mapc(3, 3, true);
            mapc(2, 2, true);
            invall(2);
            invall(3);
            mapti(2, 20, 8195, 3);
            mapti(7, 255, 8196, 2);
            assertEquals(0, its.errors());
        }
    }

    @Test
    void identificationRegistersReadAsLinuxsVgicIts() {
        Rig r = new Rig(false);
        assertEquals(0x4B00_043BL, r.mmioRead(ITS + VgicIts.GITS_IIDR, 4));
        long typer = r.mmioRead(ITS + VgicIts.GITS_TYPER, 8);
        assertEquals(1, typer & 1, "physical LPIs");
        assertEquals(7, (typer >>> 4) & 0xF, "8-byte ITT entries");
        assertEquals(15, (typer >>> 8) & 0x1F, "16 EventID bits");
        assertEquals(15, (typer >>> 13) & 0x1F, "16 DeviceID bits");
        assertEquals(0, (typer >>> 19) & 1, "PTA = 0: targets are vCPU numbers");
        r.mmioWrite(ITS + VgicIts.GITS_TYPER, 4, 0);
        assertEquals(typer, r.mmioRead(ITS + VgicIts.GITS_TYPER, 8), "GITS_TYPER is read-only");
        long baser0 = r.mmioRead(ITS + VgicIts.GITS_BASER, 8);
        assertEquals(VgicIts.BASER_TYPE_DEVICE, (baser0 >>> 56) & 7);
        assertEquals(2, (baser0 >>> 8) & 3, "64 KiB pages");
        assertEquals(VgicIts.BASER_TYPE_COLLECTION, (r.mmioRead(ITS + VgicIts.GITS_BASER + 8, 8) >>> 56) & 7);
        r.mmioWrite(ITS + VgicIts.GITS_BASER, 8, 0); // page size 4 KiB asked: stays 64 KiB, type stays
        assertEquals(2, (r.mmioRead(ITS + VgicIts.GITS_BASER, 8) >>> 8) & 3);
        assertEquals(VgicIts.BASER_TYPE_DEVICE, (r.mmioRead(ITS + VgicIts.GITS_BASER, 8) >>> 56) & 7);
        long gicdTyper = r.mmioRead(GICD + 4, 4);
        assertEquals(1, (gicdTyper >>> 17) & 1, "GICD_TYPER.LPIS with an ITS");
        assertEquals(15, (gicdTyper >>> 19) & 0x1F, "16 interrupt ID bits");
        assertEquals(1, r.mmioRead(GICR + 8, 4) & 1, "GICR_TYPER.PLPIS");
    }

    @Test
    void enablingWithoutValidTablesIsIgnored() {
        Rig r = new Rig(false);
        r.mmioWrite(ITS + VgicIts.GITS_CTLR, 4, 1);
        assertEquals(0, r.mmioRead(ITS + VgicIts.GITS_CTLR, 4) & 1);
        assertEquals(1L << 31, r.mmioRead(ITS + VgicIts.GITS_CTLR, 4) & (1L << 31), "quiescent");
    }

    @Test
    void intPendsTheMappedLpiAtTheCollectionsTargetOnly() {
        Rig r = new Rig(false);
        r.setup1();
        r.devEvent(VgicIts.CMD_INT, 2, 20);
        assertEquals("8195", r.lrs(3));
        assertEquals("", r.lrs(2));
        assertEquals("", r.lrs(0));
        r.devEvent(VgicIts.CMD_INT, 7, 255);
        assertEquals("8196", r.lrs(2));
        assertEquals(0, r.its.errors());
    }

    @Test
    void acknowledgedLpiLeavesNothingActive() {
        Rig r = new Rig(false);
        r.setup1();
        r.devEvent(VgicIts.CMD_INT, 2, 20);
        long[] lrs = new long[GicCpuInterface.NUM_LRS];
        r.vm.irqchip.flush(3, lrs, false);
        assertEquals(8195, lrs[0] & 0xFFFF_FFFFL);
        assertEquals(0, lrs[0] & GicCpuInterface.LR_EOI, "an LPI is edge-triggered: no EOI maintenance");
        lrs[0] &= ~(GicCpuInterface.LR_PENDING | GicCpuInterface.LR_ACTIVE); // the guest took it
        r.vm.irqchip.sync(3, lrs);
        assertEquals("", r.lrs(3));
        assertFalse(r.vm.irqchip.hasPending(3));
    }

    @Test
    void invAndInvallRereadThePropertyTable() {
        Rig r = new Rig(false);
        r.setup1();
        r.guest8(PROP + 3, 0xA0); // 8195 disabled
        r.devEvent(VgicIts.CMD_INV, 2, 20);
        r.devEvent(VgicIts.CMD_INT, 2, 20);
        assertEquals("", r.lrs(3), "a disabled LPI is not delivered");
        assertFalse(r.vm.irqchip.hasPending(3));
        r.guest8(PROP + 3, 0xA1);
        assertEquals("", r.lrs(3), "the change is not seen before an invalidation");
        r.invall(3);
        assertEquals("8195", r.lrs(3), "the pending LPI arrives after INVALL");
    }

    @Test
    void moviMovallDiscardClearAndUnmapChangeTheTranslation() {
        Rig r = new Rig(false);
        r.setup1();
        r.cmd(VgicIts.CMD_MOVI | 2L << 32, 20, 2, 0); // dev 2 event 20 -> collection 2 (vCPU 2)
        r.devEvent(VgicIts.CMD_INT, 2, 20);
        assertEquals("8195", r.lrs(2));
        r.cmd(VgicIts.CMD_MOVALL, 0, 2L << 16, 1L << 16); // everything on vCPU 2 to vCPU 1
        assertEquals("8195", r.lrs(1));
        assertEquals("", r.lrs(2));
        r.devEvent(VgicIts.CMD_CLEAR, 2, 20);
        assertEquals("", r.lrs(1));
        r.devEvent(VgicIts.CMD_DISCARD, 7, 255);
        r.devEvent(VgicIts.CMD_INT, 7, 255);
        assertEquals(VgicIts.E_INT_UNMAPPED_INTERRUPT, r.its.lastError(), "no translation after DISCARD");
        r.mapd(2, 8, ITT, false);
        r.devEvent(VgicIts.CMD_INT, 2, 20);
        assertEquals("", r.lrs(1) + r.lrs(2) + r.lrs(3), "no LPI after the device is unmapped");
    }

    @Test
    void unmappedCollectionGetsItsLpisWhenMapped() {
        Rig r = new Rig(false);
        r.setup1();
        r.mapti(2, 0, 8192, 0); // collection 0 is not mapped yet
        r.devEvent(VgicIts.CMD_INT, 2, 0);
        assertEquals(VgicIts.E_INT_UNMAPPED_INTERRUPT, r.its.lastError());
        r.mapc(0, 0, true);
        r.invall(0);
        r.devEvent(VgicIts.CMD_INT, 2, 0);
        assertEquals("8192", r.lrs(0));
    }

    @Test
    void signalMsiTranslatesDeviceIdAndDataLikeInt() {
        Rig r = new Rig(false);
        r.setup1();
        long doorbell = ITS + VgicIts.GITS_TRANSLATER;
        assertEquals(1, r.signalMsi(doorbell, 7, 255, KVM_MSI_VALID_DEVID));
        assertEquals("8196", r.lrs(2));
        assertEquals(0, r.signalMsi(doorbell, 7, 3, KVM_MSI_VALID_DEVID), "no translation: blocked");
        assertEquals(-Errno.EINVAL, r.signalMsi(doorbell, 7, 255, 0), "an ITS needs the device id");
        assertEquals(-Errno.EINVAL, r.signalMsi(doorbell, 7, 255, 2), "unknown flags");
        assertEquals(-Errno.EINVAL, r.signalMsi(0x0900_0000L, 7, 255, KVM_MSI_VALID_DEVID), "not an ITS");
        r.mmioWrite(GICR + 3 * 0x2_0000L, 4, 0); // vCPU 3 disables LPIs
        assertEquals(-Errno.EBUSY, r.signalMsi(doorbell, 2, 20, KVM_MSI_VALID_DEVID));
        r.mmioWrite(ITS + VgicIts.GITS_TRANSLATER, 4, 255); // a CPU write: no DeviceID, ignored
        assertEquals("", r.lrs(3));
    }

    @Test
    void pendingTableIsReadWhenLpisAreEnabled() {
        Rig r = new Rig(false);
        r.setup1();
        long rd3 = GICR + 3 * 0x2_0000L;
        r.mmioWrite(rd3, 4, 0);
        r.guest8(PEND + 3 * 0x1_0000L + 8195 / 8, 1 << (8195 % 8));
        r.mmioWrite(rd3, 4, 1);
        assertEquals("8195", r.lrs(3));
    }

    @Test
    void malformedCommandsAreSkippedAndTheQueueGoesOn() {
        Rig r = new Rig(false);
        r.setup1();
        r.mapd(0x2_0000, 8, ITT, true); // device id beyond the flat table (8192 entries)
        assertEquals(VgicIts.E_MAPD_DEVICE_OOR, r.its.lastError());
        r.mapd(3, 17, ITT, true);
        assertEquals(VgicIts.E_MAPD_ITTSIZE_OOR, r.its.lastError());
        r.mapti(9, 0, 8200, 3);
        assertEquals(VgicIts.E_MAPTI_UNMAPPED_DEVICE, r.its.lastError());
        r.mapti(2, 1, 100, 3);
        assertEquals(VgicIts.E_MAPTI_PHYSICALID_OOR, r.its.lastError(), "an INTID below 8192");
        r.mapti(2, 1, 1 << 14, 3);
        assertEquals(VgicIts.E_MAPTI_PHYSICALID_OOR, r.its.lastError(), "beyond PROPBASER's 14 ID bits");
        r.mapti(2, 256, 8200, 3);
        assertEquals(VgicIts.E_MAPTI_ID_OOR, r.its.lastError(), "an event beyond the ITT's 8 bits");
        r.mapd(4, 8, 0x1_0000_0000L, true);
        r.mapti(4, 0, 8200, 3);
        assertEquals(VgicIts.E_MAPTI_ID_OOR, r.its.lastError(), "an ITT outside guest memory");
        r.mapc(5, 9, true);
        assertEquals(VgicIts.E_MAPC_PROCNUM_OOR, r.its.lastError());
        r.cmd(0x42, 0, 0, 0);
        assertEquals(VgicIts.E_UNKNOWN_COMMAND, r.its.lastError());
        r.cmd(VgicIts.CMD_INVALL, 0, 77, 0);
        assertEquals(VgicIts.E_INVALL_UNMAPPED_COLLECTION, r.its.lastError());
        r.cmd(VgicIts.CMD_MOVALL, 0, 9L << 16, 0);
        assertEquals(VgicIts.E_MOVALL_PROCNUM_OOR, r.its.lastError());
        long errors = r.its.errors();
        r.devEvent(VgicIts.CMD_INT, 2, 20); // the queue goes on after the errors
        assertEquals("8195", r.lrs(3));
        assertEquals(errors, r.its.errors());
    }

    @Test
    void commandQueueOutsideGuestMemoryIsSkippedNotFatal() {
        Rig r = new Rig(false);
        r.mmioWrite(ITS + VgicIts.GITS_BASER, 8, DEVT | VgicIts.BASER_VALID);
        r.mmioWrite(ITS + VgicIts.GITS_BASER + 8, 8, COLLT | VgicIts.BASER_VALID);
        r.mmioWrite(ITS + VgicIts.GITS_CBASER, 8, 0x7000_0000L | (1L << 63));
        r.mmioWrite(ITS + VgicIts.GITS_CTLR, 4, 1);
        r.mmioWrite(ITS + VgicIts.GITS_CWRITER, 8, 0x40);
        assertEquals(0x40, r.mmioRead(ITS + VgicIts.GITS_CREADR, 8));
        assertEquals(2, r.its.errors());
        r.mmioWrite(ITS + VgicIts.GITS_CWRITER, 8, 0x1_0000); // beyond the one-page queue: ignored
        assertEquals(0x40, r.mmioRead(ITS + VgicIts.GITS_CWRITER, 8));
    }

    @Test
    void indirectDeviceTableNeedsAValidLevel1Entry() {
        Rig r = new Rig(false);
        r.setup1();
        r.mmioWrite(ITS + VgicIts.GITS_CTLR, 4, 0);
        r.mmioWrite(ITS + VgicIts.GITS_BASER, 8, DEVT | VgicIts.BASER_VALID | VgicIts.BASER_INDIRECT);
        r.mmioWrite(ITS + VgicIts.GITS_CTLR, 4, 1);
        r.mapd(8192 * 3 + 1, 8, ITT, true); // level-1 entry 3 is zero: not valid
        assertEquals(VgicIts.E_MAPD_DEVICE_OOR, r.its.lastError());
        long errors = r.its.errors();
        r.guest64(DEVT + 3 * 8, (1L << 63) | (RAM + 0x30_0000));
        r.mapd(8192 * 3 + 1, 8, ITT, true);
        assertEquals(errors, r.its.errors(), "mapped once the level-2 page is valid");
    }

    @Test
    void randomCommandsAndRegisterWritesNeverThrow() {
        Rig r = new Rig(false);
        r.setup1();
        Random rnd = new Random(12);
        int[] codes = {1, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0x22, 0xFF};
        for (int i = 0; i < 3000; i++) {
            long d0 = codes[rnd.nextInt(codes.length)] | (long) rnd.nextInt(12) << 32;
            if (rnd.nextInt(8) == 0) {
                d0 = rnd.nextLong();
            }
            long d1 = rnd.nextBoolean() ? rnd.nextInt(300) | (8192L + rnd.nextInt(40)) << 32 : rnd.nextLong();
            long d2 = rnd.nextBoolean() ? rnd.nextInt(6) | (long) rnd.nextInt(6) << 16 | (rnd.nextBoolean() ? 1L << 63 : 0)
                    | (rnd.nextBoolean() ? ITT : rnd.nextLong() & 0xFFFF_FFFF_FF00L) : rnd.nextLong();
            r.cmd(d0, d1, d2, rnd.nextBoolean() ? (long) rnd.nextInt(6) << 16 : rnd.nextLong());
            if (rnd.nextInt(50) == 0) {
                int off = rnd.nextInt(0x200) & ~3;
                if (off != VgicIts.GITS_CWRITER && off != VgicIts.GITS_CWRITER + 4 && off != VgicIts.GITS_CBASER
                        && off != VgicIts.GITS_CBASER + 4 && off != VgicIts.GITS_CTLR) {
                    r.mmioWrite(ITS + off, 4, rnd.nextLong());
                }
                r.mmioRead(ITS + off, 4);
            }
            if (rnd.nextInt(20) == 0) {
                assertTrue(r.signalMsi(ITS + VgicIts.GITS_TRANSLATER, rnd.nextInt(12), rnd.nextInt(300),
                        KVM_MSI_VALID_DEVID) >= -Errno.EBUSY);
            }
            for (int v = 0; v < 4; v++) {
                r.lrs(v);
            }
        }
    }

    @Test
    void realmItsReadsOnlyMemoryTheRealmShared() {
        Rig r = new Rig(true);
        r.setAttributes(PROP, 0x4_0000, false); // LPI tables shared
        r.setUp();
        r.mapd(2, 8, ITT, true);
        assertEquals(VgicIts.E_UNREADABLE_COMMAND, r.its.lastError(), "the queue is still private");
        long errors = r.its.errors();
        r.setAttributes(DEVT, 0x4_0000, false); // tables, queue and ITT shared, as Linux shares them
        r.mapd(2, 8, ITT | 1L << 32, true); // at the unprotected alias (IPA bit 32 of a 33-bit realm)
        r.mapc(3, 3, true);
        r.mapti(2, 20, 8195, 3);
        assertEquals(errors, r.its.errors());
        assertEquals(1, r.signalMsi(ITS + VgicIts.GITS_TRANSLATER, 2, 20, KVM_MSI_VALID_DEVID));
        assertEquals("8195", r.lrs(3));
        r.setAttributes(PROP, 0x4_0000, true); // the property table back to private: INV cannot read it
        r.guest8(PROP + 3, 0xA0);
        r.devEvent(VgicIts.CMD_INV, 2, 20);
        assertEquals("8195", r.lrs(3), "the host's stale copy of a private page is never read");
    }
}
