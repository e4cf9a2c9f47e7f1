package dev.cca.kvm;

import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * The in-kernel GICv3 device (KVM_DEV_TYPE_ARM_VGIC_V3): its configuration attributes (the distributor and
 * redistributor base addresses, the number of interrupts) and its initialisation, which creates the emulated GIC
 * ({@link Vgic}) on the VM's in-kernel bus, for normal VMs and realms alike (a realm reaches it at the unprotected
 * alias; KVM passes its list registers through RmiRecEnter).
 */
final class VgicDevice implements FileObject {
    private final KvmVm vm;
    long distBase = -1;
    long redistBase = -1;
    int nrIrqs;
    boolean initialized;

    VgicDevice(KvmVm vm) {
        this.vm = vm;
    }

    @Override
    public String name() {
        return "anon_inode:kvm-arm-vgic-v3";
    }

    @Override
    public void release() {
        vm.childReleased(); // the device file holds a reference to its VM
    }

    @Override
    public long ioctl(Process p, long request, long arg) {
        DeviceAttrRequest req = DeviceAttrRequest.parse(p, request, arg);
        if (req.error != 0) {
            return req.error;
        }
        boolean get = req.get, has = req.has;
        long group = req.group, attr = req.attr, addr = req.addr;
        synchronized (vm) {
            if (group == KVM_DEV_ARM_VGIC_GRP_ADDR) {
                if (attr != KVM_VGIC_V3_ADDR_TYPE_DIST && attr != KVM_VGIC_V3_ADDR_TYPE_REDIST) {
                    return -Errno.ENXIO;
                }
                if (has) {
                    return 0;
                }
                if (get) {
                    return req.put64(p, attr == KVM_VGIC_V3_ADDR_TYPE_DIST ? distBase : redistBase);
                }
                Long v = req.read64(p);
                if (v == null) {
                    return -Errno.EFAULT;
                }
                long base = v;
                if ((base & 0xFFFF) != 0) {
                    return -Errno.EINVAL; // 64 KiB aligned
                }
                if (attr == KVM_VGIC_V3_ADDR_TYPE_DIST) {
                    if (distBase != -1) {
                        return -Errno.EEXIST;
                    }
                    distBase = base;
                } else {
                    if (redistBase != -1) {
                        return -Errno.EEXIST;
                    }
                    redistBase = base;
                }
                return 0;
            }
            if (group == KVM_DEV_ARM_VGIC_GRP_NR_IRQS) {
                if (has) {
                    return 0;
                }
                if (get) {
                    return p.memory().copyToUser(addr, UserStruct.ofSize(4).put32(0, nrIrqs).bytes()) ? 0
                            : -Errno.EFAULT;
                }
                byte[] b = p.memory().copyFromUser(addr, 4);
                if (b == null) {
                    return -Errno.EFAULT;
                }
                long n = new UserStruct(b).u32(0);
                if (n < 64 || n > 1024 || (n % 32) != 0) {
                    return -Errno.EINVAL;
                }
                if (nrIrqs != 0) {
                    return -Errno.EBUSY;
                }
                nrIrqs = (int) n;
                return 0;
            }
            if (group == KVM_DEV_ARM_VGIC_GRP_CTRL) {
                Long answer = req.ctrlInitAnswer();
                if (answer != null) {
                    return answer;
                }
                if (distBase == -1 || redistBase == -1) {
                    return -Errno.ENXIO; // vgic_v3_map_resources: addresses must be set
                }
                if (initialized) {
                    return 0;
                }
                if (distBase < redistBase + Vgic.REDIST_STRIDE * KvmVm.MAX_VCPUS && redistBase < distBase + Vgic.DIST_SIZE
                        && !(distBase + Vgic.DIST_SIZE <= redistBase)) {
                    return -Errno.EINVAL; // the distributor overlaps the redistributor region
                }
                initialized = true;
                if (nrIrqs == 0) {
                    nrIrqs = 256;
                }
                vm.createIrqchip(distBase, redistBase, nrIrqs);
                return 0;
            }
        }
        return -Errno.ENXIO;
    }
}
