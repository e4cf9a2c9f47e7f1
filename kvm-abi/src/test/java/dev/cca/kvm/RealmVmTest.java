package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.mem.Pas;
import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.RmmInspector;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.cca.kvm.uapi.KvmUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A realm VM driven through /dev/kvm exactly as a C VMM would: structs in user memory, ioctls on fds. */
class RealmVmTest {
    static final long RAM = 0x4000_0000L;
    static final long RAM_SIZE = 16L << 20;
    /** RSI_VERSION, an MMIO write of 0x41 to 0x0900_0000 (unprotected alias), a read at +0x18, SYSTEM_OFF. */
    static final int[] PROGRAM = {
        0xd2803200, 0xf2b88000, 0xd2a00021, 0xd4000003, 0xaa0103e5, 0xd2800823, 0xd2a12002, 0xf2c00022,
        0x39000043, 0xb9401844, 0xd2800100, 0xf2b08000, 0xd4000003, 0x14000000};

    CcaHost host;
    Process p;
    long scratch;
    int kvm, vm, vcpu;

    @BeforeEach
    void boot() {
        host = CcaHost.boot(1, 256L << 20);
        p = host.kernel.newProcess();
        scratch = p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
    }

    long ioctl(int fd, long req, long arg) {
        return p.ioctl(fd, req, arg);
    }

    /** Sets up a realm VM with one vCPU at RAM, the vGIC, a guest_memfd slot marked private. */
    void setUpRealm() {
        kvm = p.open("/dev/kvm", Process.O_RDWR);
        assertEquals(1, ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_RMI));
        vm = (int) ioctl(kvm, KVM_CREATE_VM, KVM_VM_TYPE_ARM_REALM | 33);
        assertTrue(vm > 0);
        p.memory().clear(scratch, 64);
        p.memory().write64(scratch + Structs.CGM_SIZE, RAM_SIZE);
        int gmem = (int) ioctl(vm, KVM_CREATE_GUEST_MEMFD, scratch);
        assertTrue(gmem > 0);
        p.memory().clear(scratch, Structs.MEMORY_REGION2_SIZE);
        p.memory().write32(scratch + Structs.MR2_FLAGS, KVM_MEM_GUEST_MEMFD);
        p.memory().write64(scratch + Structs.MR2_GUEST_PHYS_ADDR, RAM);
        p.memory().write64(scratch + Structs.MR2_MEMORY_SIZE, RAM_SIZE);
        p.memory().write32(scratch + Structs.MR2_GUEST_MEMFD, gmem);
        assertEquals(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION2, scratch));
        p.memory().clear(scratch, 32);
        p.memory().write64(scratch + Structs.MA_ADDRESS, RAM);
        p.memory().write64(scratch + Structs.MA_SIZE, RAM_SIZE);
        p.memory().write64(scratch + Structs.MA_ATTRIBUTES, KVM_MEMORY_ATTRIBUTE_PRIVATE);
        assertEquals(0, ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, scratch));
        vcpu = (int) ioctl(vm, KVM_CREATE_VCPU, 0);
        assertTrue(vcpu > 0);
        // The vGIC is initialised after the vCPUs exist: CTRL_INIT sizes the redistributors.
        p.memory().clear(scratch, 12);
        p.memory().write32(scratch + Structs.CD_TYPE, KVM_DEV_TYPE_ARM_VGIC_V3);
        assertEquals(0, ioctl(vm, KVM_CREATE_DEVICE, scratch));
        int gic = p.memory().read32(scratch + Structs.CD_FD);
        setAttr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, 0x0800_0000L);
        setAttr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x080A_0000L);
        setAttr(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, -1);
        p.memory().clear(scratch, 32);
        p.memory().write32(scratch + Structs.VI_TARGET, KVM_ARM_TARGET_GENERIC_V8);
        p.memory().write32(scratch + Structs.VI_FEATURES, 1 << KVM_ARM_VCPU_PSCI_0_2);
        assertEquals(0, ioctl(vcpu, KVM_ARM_VCPU_INIT, scratch));
        p.memory().write64(scratch + 256, RAM);
        p.memory().write64(scratch + Structs.OR_ID, REG_PC);
        p.memory().write64(scratch + Structs.OR_ADDR, scratch + 256);
        assertEquals(0, ioctl(vcpu, KVM_SET_ONE_REG, scratch));
    }

    void setAttr(int fd, int group, long attr, long value) {
        long a = scratch + 512;
        p.memory().write64(scratch + 1024, value);
        p.memory().clear(a, Structs.DEVICE_ATTR_SIZE);
        p.memory().write32(a + Structs.DA_GROUP, group);
        p.memory().write64(a + Structs.DA_ATTR, attr);
        p.memory().write64(a + Structs.DA_ADDR, scratch + 1024);
        assertEquals(0, ioctl(fd, KVM_SET_DEVICE_ATTR, a));
    }

    long populate(long base, long size, long src, int flags) {
        long a = scratch + 2048;
        p.memory().clear(a, 32);
        p.memory().write64(a + Structs.POP_BASE, base);
        p.memory().write64(a + Structs.POP_SIZE, size);
        p.memory().write64(a + Structs.POP_SOURCE_UADDR, src);
        p.memory().write32(a + Structs.POP_FLAGS, flags);
        return ioctl(vm, KVM_ARM_RMI_POPULATE, a);
    }

    @Test
    void realmBootsThroughTheAbiToMmioExitsAndSystemOff() {
        setUpRealm();
        long src = p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        for (int i = 0; i < PROGRAM.length; i++) {
            p.memory().write32(src + 4L * i, PROGRAM[i]);
        }
        assertEquals(4096, populate(RAM, 4096, src, KVM_ARM_RMI_POPULATE_FLAGS_MEASURE), "bytes populated");
        assertEquals(-Errno.EEXIST, populate(RAM, 4096, src, KVM_ARM_RMI_POPULATE_FLAGS_MEASURE));
        long run = p.mmap(0, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), 3, Process.MAP_SHARED, vcpu, 0);

        assertEquals(0, ioctl(vcpu, KVM_RUN, 0));
        assertEquals(KVM_EXIT_MMIO, p.memory().read32(run + Structs.RUN_EXIT_REASON));
        assertEquals(0x0900_0000L, p.memory().read64(run + Structs.RUN_MMIO_PHYS_ADDR), "alias bit stripped");
        assertEquals(1, p.memory().read(run + Structs.RUN_MMIO_IS_WRITE, 1));
        assertEquals(1, p.memory().read32(run + Structs.RUN_MMIO_LEN));
        assertEquals(0x41, p.memory().read(run + Structs.RUN_MMIO_DATA, 1));

        assertEquals(0, ioctl(vcpu, KVM_RUN, 0));
        assertEquals(KVM_EXIT_MMIO, p.memory().read32(run + Structs.RUN_EXIT_REASON));
        assertEquals(0x0900_0018L, p.memory().read64(run + Structs.RUN_MMIO_PHYS_ADDR));
        assertEquals(0, p.memory().read(run + Structs.RUN_MMIO_IS_WRITE, 1));
        p.memory().write32(run + Structs.RUN_MMIO_DATA, 0x90);

        assertEquals(0, ioctl(vcpu, KVM_RUN, 0));
        assertEquals(KVM_EXIT_SYSTEM_EVENT, p.memory().read32(run + Structs.RUN_EXIT_REASON));
        assertEquals(KVM_SYSTEM_EVENT_SHUTDOWN, p.memory().read32(run + Structs.RUN_SYSTEM_EVENT_TYPE));

        assertEquals(-Errno.EBUSY, populate(RAM + 4096, 4096, src, 0), "no populate after the first run");
        // PSCI SYSTEM_OFF powered every vCPU off (kvm_prepare_system_event): they sleep in KVM_RUN from now on.
        p.memory().clear(scratch + 3072, 4);
        assertEquals(0, ioctl(vcpu, KVM_GET_MP_STATE, scratch + 3072));
        assertEquals(KVM_MP_STATE_STOPPED, p.memory().read32(scratch + 3072));
        p.memory().write(run + Structs.RUN_IMMEDIATE_EXIT, 1, 1);
        assertEquals(-Errno.EINTR, ioctl(vcpu, KVM_RUN, 0), "immediate_exit");
        assertEquals(KVM_EXIT_SYSTEM_EVENT, p.memory().read32(run + Structs.RUN_EXIT_REASON), "left untouched");
        p.memory().write(run + Structs.RUN_IMMEDIATE_EXIT, 1, 0);
        Thread self = Thread.currentThread();
        Thread signaller = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
            p.signal(self);
        });
        signaller.start();
        assertEquals(-Errno.EINTR, ioctl(vcpu, KVM_RUN, 0), "a stopped vCPU sleeps until a signal");
        assertEquals(KVM_EXIT_INTR, p.memory().read32(run + Structs.RUN_EXIT_REASON));
    }

    @Test
    void populatedRealmPageFaultsOnHostRead() {
        setUpRealm();
        long src = p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        p.memory().write64(src, 0x5ec2e75ec2e7L);
        assertEquals(4096, populate(RAM, 4096, src, KVM_ARM_RMI_POPULATE_FLAGS_MEASURE));
        RmmInspector rmm = host.firmware.inspector(0);
        List<Long> realms = rmm.realms();
        assertEquals(1, realms.size());
        List<RmmInspector.RttStep> walk = rmm.walk(realms.get(0), RAM);
        RmmInspector.RttStep leaf = walk.get(walk.size() - 1);
        assertEquals("ASSIGNED_RAM", leaf.kind());
        long pa = leaf.descriptor() & 0x0000_FFFF_FFFF_F000L;
        Cpu host0 = host.platform.machine.cpu(0);
        Cpu.PhysicalAccessException e = assertThrows(Cpu.PhysicalAccessException.class,
                () -> host0.physRead(pa, 8, Pas.NON_SECURE));
        assertTrue(e.granuleProtection, "the host gets a granule protection fault, not the data");
        assertEquals(0x5ec2e75ec2e7L, host0.physRead(pa, 8, Pas.REALM), "the realm PAS holds the data");
    }

    @Test
    void populateErrnosFollowV12() {
        int k = p.open("/dev/kvm", Process.O_RDWR);
        int normal = (int) ioctl(k, KVM_CREATE_VM, 0);
        long a = scratch + 2048;
        p.memory().clear(a, 32);
        assertEquals(-Errno.EPERM, ioctl(normal, KVM_ARM_RMI_POPULATE, a), "populate on a normal VM");
        setUpRealm();
        long src = p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        assertEquals(-Errno.EINVAL, populate(RAM + 8, 4096, src, 0), "unaligned base");
        assertEquals(-Errno.EINVAL, populate(RAM, 4096, src, 2), "unknown flag");
        assertEquals(-Errno.EFAULT, ioctl(vm, KVM_ARM_RMI_POPULATE, 0x1000), "bad user pointer");
        assertEquals(-Errno.EINVAL, populate(0x1000_0000L, 4096, src, 0), "no memslot");
        assertEquals(-Errno.EFAULT, populate(RAM, 4096, 0x10, 0), "unmapped source");
        assertEquals(-Errno.EINVAL, ioctl(vm, 0xAEFF, 0), "arm64 answers an unknown VM ioctl with EINVAL");
        assertEquals(-Errno.EBADF, ioctl(99, KVM_RUN, 0));
    }

    @Test
    void createVmValidatesTypeAndIpaSize() {
        int k = p.open("/dev/kvm", Process.O_RDWR);
        assertEquals(-Errno.EINVAL, ioctl(k, KVM_CREATE_VM, 0x1000), "unknown type bits");
        assertEquals(-Errno.EINVAL, ioctl(k, KVM_CREATE_VM, 0x200), "machine type 2");
        assertEquals(-Errno.EINVAL, ioctl(k, KVM_CREATE_VM, KVM_VM_TYPE_ARM_REALM | 60), "IPA beyond the RMM's");
        assertEquals(-Errno.EINVAL, ioctl(k, KVM_CREATE_VM, KVM_VM_TYPE_ARM_REALM | 20), "IPA below 32");
        assertTrue(ioctl(k, KVM_CREATE_VM, KVM_VM_TYPE_ARM_REALM | 33) > 0);
        assertEquals(-Errno.ENOENT, p.open("/dev/nope", 0));
    }

    @Test
    void closingTheLastReferenceDestroysTheRealmAndUndelegatesEveryGranule() {
        RmmInspector rmm = host.firmware.inspector(0);
        int ns = dev.cca.rmm.granule.GranuleState.NS.ordinal();
        long undelegatedAtStart = rmm.census()[ns];
        setUpRealm();
        long src = p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        for (int i = 0; i < PROGRAM.length; i++) {
            p.memory().write32(src + 4L * i, PROGRAM[i]);
        }
        assertEquals(4096, populate(RAM, 4096, src, KVM_ARM_RMI_POPULATE_FLAGS_MEASURE));
        assertEquals(0, ioctl(vcpu, KVM_RUN, 0)); // activation: RECs, RTTs, RIPAS
        assertEquals(1, rmm.realms().size());
        assertTrue(rmm.census()[ns] < undelegatedAtStart - 5, "RD, root RTT, REC, DATA and RTT granules delegated");
        assertEquals(0, p.close(vm));
        assertEquals(1, rmm.realms().size(), "the vCPU, guest_memfd and vGIC fds still hold the VM");
        p.exit();
        assertTrue(rmm.realms().isEmpty(), "no realm descriptor left");
        long[] after = rmm.census();
        assertEquals(undelegatedAtStart, after[ns], "every granule KVM delegated came back: "
                + java.util.Arrays.toString(after));
    }
}
