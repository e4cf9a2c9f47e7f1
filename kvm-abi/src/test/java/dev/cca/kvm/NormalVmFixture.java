package dev.cca.kvm;

import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Structs;

import static dev.cca.kvm.uapi.KvmUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A normal VM driven through /dev/kvm as a C VMM drives it: {@code n} vCPUs (all but vCPU 0 powered off), the
 * in-kernel vGIC, 1 MiB of RAM at {@link #RAM} holding a program that vCPU 0 runs from its start.
 */
final class NormalVmFixture {
    static final long RAM = 0x4000_0000L;

    final CcaHost host = CcaHost.boot(2, 256L << 20);
    final Process p = host.kernel.newProcess();
    final long scratch = p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
    final int kvm = p.open("/dev/kvm", Process.O_RDWR);
    final int vm = (int) p.ioctl(kvm, KVM_CREATE_VM, 0);
    final int[] vcpus;
    final long[] runs;

    NormalVmFixture(int n, RealmInterruptsTest.Prog prog) {
        this(n, prog, null);
    }

    /** With a PSCI version for the vCPUs (KVM_REG_ARM_PSCI_VERSION), or null for the default. */
    NormalVmFixture(int n, RealmInterruptsTest.Prog prog, Long psciVersion) {
        assertTrue(vm > 0);
        long mem = p.mmap(0, 1 << 20, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        for (int i = 0; i < prog.w.size(); i++) {
            p.memory().write32(mem + 4L * i, prog.w.get(i));
        }
        p.memory().clear(scratch, Structs.MEMORY_REGION2_SIZE);
        p.memory().write64(scratch + Structs.MR2_GUEST_PHYS_ADDR, RAM);
        p.memory().write64(scratch + Structs.MR2_MEMORY_SIZE, 1 << 20);
        p.memory().write64(scratch + Structs.MR2_USERSPACE_ADDR, mem);
        assertEquals(0, p.ioctl(vm, KVM_SET_USER_MEMORY_REGION, scratch));
        vcpus = new int[n];
        runs = new long[n];
        for (int i = 0; i < n; i++) {
            vcpus[i] = (int) p.ioctl(vm, KVM_CREATE_VCPU, i);
            assertTrue(vcpus[i] > 0);
        }
        p.memory().clear(scratch, 12);
        p.memory().write32(scratch + Structs.CD_TYPE, KVM_DEV_TYPE_ARM_VGIC_V3);
        assertEquals(0, p.ioctl(vm, KVM_CREATE_DEVICE, scratch));
        int gic = p.memory().read32(scratch + Structs.CD_FD);
        RealmVmTest t = new RealmVmTest();
        t.p = p;
        t.scratch = scratch;
        t.setAttr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, 0x0800_0000L);
        t.setAttr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x080A_0000L);
        t.setAttr(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, -1);
        for (int i = 0; i < n; i++) {
            p.memory().clear(scratch, 32);
            p.memory().write32(scratch + Structs.VI_TARGET, KVM_ARM_TARGET_GENERIC_V8);
            int features = 1 << KVM_ARM_VCPU_PSCI_0_2 | (i == 0 ? 0 : 1 << KVM_ARM_VCPU_POWER_OFF);
            p.memory().write32(scratch + Structs.VI_FEATURES, features);
            assertEquals(0, p.ioctl(vcpus[i], KVM_ARM_VCPU_INIT, scratch));
            runs[i] = p.mmap(0, p.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), 3, Process.MAP_SHARED, vcpus[i], 0);
        }
        assertEquals(0, setReg(0, REG_PC, RAM));
        if (psciVersion != null) {
            assertEquals(0, setReg(0, REG_PSCI_VERSION, psciVersion));
        }
    }

    long setReg(int vcpu, long id, long value) {
        p.memory().write64(scratch + 256, value);
        p.memory().write64(scratch + Structs.OR_ID, id);
        p.memory().write64(scratch + Structs.OR_ADDR, scratch + 256);
        return p.ioctl(vcpus[vcpu], KVM_SET_ONE_REG, scratch);
    }

    long getReg(int vcpu, long id) {
        p.memory().write64(scratch + Structs.OR_ID, id);
        p.memory().write64(scratch + Structs.OR_ADDR, scratch + 256);
        assertEquals(0, p.ioctl(vcpus[vcpu], KVM_GET_ONE_REG, scratch));
        return p.memory().read64(scratch + 256);
    }

    int runToExit(int vcpu) {
        assertEquals(0, p.ioctl(vcpus[vcpu], KVM_RUN, 0));
        return p.memory().read32(runs[vcpu] + Structs.RUN_EXIT_REASON);
    }

    /** Runs vCPU 0 to its next report (an MMIO write to 0x0900_0000): W{@code n} as the guest stored it. */
    int nextReport() {
        assertEquals(KVM_EXIT_MMIO, runToExit(0));
        assertEquals(0x0900_0000L, p.memory().read64(runs[0] + Structs.RUN_MMIO_PHYS_ADDR));
        return p.memory().read32(runs[0] + Structs.RUN_MMIO_DATA);
    }

    int mpState(int vcpu) {
        assertEquals(0, p.ioctl(vcpus[vcpu], KVM_GET_MP_STATE, scratch + 512));
        return p.memory().read32(scratch + 512);
    }

    /** KVM_ARM_VM_SMCCC_FILTER over [base, base + n) with {@code action}. */
    long filter(long base, int n, int action) {
        long f = scratch + 1024;
        p.memory().clear(f, Structs.SMCCC_FILTER_SIZE);
        p.memory().write32(f + Structs.SF_BASE, (int) base);
        p.memory().write32(f + Structs.SF_NR_FUNCTIONS, n);
        p.memory().write(f + Structs.SF_ACTION, 1, action);
        long a = scratch + 1536;
        p.memory().clear(a, Structs.DEVICE_ATTR_SIZE);
        p.memory().write32(a + Structs.DA_GROUP, KVM_ARM_VM_SMCCC_CTRL);
        p.memory().write64(a + Structs.DA_ATTR, KVM_ARM_VM_SMCCC_FILTER);
        p.memory().write64(a + Structs.DA_ADDR, f);
        return p.ioctl(vm, KVM_SET_DEVICE_ATTR, a);
    }
}
