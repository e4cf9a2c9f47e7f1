package dev.cca.kvm;

import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * The in-kernel GICv3 ITS device (KVM_DEV_TYPE_ARM_VGIC_ITS, arch/arm64/kvm/vgic/vgic-its.c vgic_its_create and
 * vgic_its_set_attr): its base address (KVM_DEV_ARM_VGIC_GRP_ADDR / KVM_VGIC_ITS_ADDR_TYPE, 64 KiB aligned, set
 * once), which puts its two 64 KiB frames ({@link VgicIts}) on the VM's in-kernel bus, and
 * KVM_DEV_ARM_VGIC_CTRL_INIT (nothing left to do, as in KVM). Creating it makes the vGIC report LPIs and MSIs
 * require a device ID (KVM_CAP_MSI_DEVID). The ITS reads guest memory through the creating process's memslots,
 * as KVM does through kvm->mm ({@link KvmGuestMemory}). A VM has at most one ITS here (KVM allows several).
 */
final class VgicItsDevice implements FileObject {
    private final KvmVm vm;
    final KvmGuestMemory memory;
    final VgicIts its;
    long base = -1;

    VgicItsDevice(KvmVm vm, KvmGuestMemory memory) {
        this.vm = vm;
        this.memory = memory;
        this.its = new VgicIts(vm, memory);
    }

    @Override
    public String name() {
        return "anon_inode:kvm-arm-vgic-its";
    }

    @Override
    public void release() {
        vm.childReleased();
    }

    @Override
    public long ioctl(Process p, long request, long arg) {
        DeviceAttrRequest req = DeviceAttrRequest.parse(p, request, arg);
        if (req.error != 0) {
            return req.error;
        }
        boolean get = req.get, has = req.has;
        long group = req.group, attr = req.attr;
        synchronized (vm) {
            if (group == KVM_DEV_ARM_VGIC_GRP_ADDR) {
                if (attr != KVM_VGIC_ITS_ADDR_TYPE) {
                    return -Errno.ENODEV;
                }
                if (has) {
                    return 0;
                }
                if (get) {
                    return req.put64(p, base);
                }
                Long boxed = req.read64(p);
                if (boxed == null) {
                    return -Errno.EFAULT;
                }
                long v = boxed;
                // vgic_check_iorange(): 64 KiB aligned, inside the IPA space.
                if ((v & 0xFFFF) != 0) {
                    return -Errno.EINVAL;
                }
                if (Long.compareUnsigned(v + VgicIts.SIZE, 1L << vm.ipaBits) > 0 || v + VgicIts.SIZE < v) {
                    return -Errno.E2BIG;
                }
                if (base != -1) {
                    return -Errno.EEXIST;
                }
                base = v;
                its.register(vm.ioBus, v);
                return 0;
            }
            if (group == KVM_DEV_ARM_VGIC_GRP_CTRL) {
                Long answer = req.ctrlInitAnswer();
                return answer != null ? answer : 0; // vgic_its_ctrl(KVM_DEV_ARM_VGIC_CTRL_INIT): nothing to do
            }
        }
        return -Errno.ENXIO;
    }
}
