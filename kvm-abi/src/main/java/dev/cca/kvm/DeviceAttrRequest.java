package dev.cca.kvm;

import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * A KVM_SET/GET/HAS_DEVICE_ATTR request on a device fd (kvm_device_ioctl_attr): which of the three, and the
 * struct kvm_device_attr it points at, with the 64-bit value transfers the vGIC devices' address attributes make.
 */
final class DeviceAttrRequest {
    final boolean set, get, has;
    final long group, attr, addr;
    /** 0, or the negative errno the request fails with before any attribute is looked at. */
    final long error;

    private DeviceAttrRequest(long request, long group, long attr, long addr, long error) {
        this.set = request == KVM_SET_DEVICE_ATTR;
        this.get = request == KVM_GET_DEVICE_ATTR;
        this.has = request == KVM_HAS_DEVICE_ATTR;
        this.group = group;
        this.attr = attr;
        this.addr = addr;
        this.error = error;
    }

    /** ENOTTY for any other request, EFAULT if the struct cannot be read. */
    static DeviceAttrRequest parse(Process p, long request, long arg) {
        if (request != KVM_SET_DEVICE_ATTR && request != KVM_GET_DEVICE_ATTR && request != KVM_HAS_DEVICE_ATTR) {
            return new DeviceAttrRequest(request, 0, 0, 0, -Errno.ENOTTY);
        }
        byte[] raw = p.memory().copyFromUser(arg, Structs.DEVICE_ATTR_SIZE);
        if (raw == null) {
            return new DeviceAttrRequest(request, 0, 0, 0, -Errno.EFAULT);
        }
        UserStruct a = new UserStruct(raw);
        return new DeviceAttrRequest(request, a.u32(Structs.DA_GROUP), a.u64(Structs.DA_ATTR), a.u64(Structs.DA_ADDR), 0);
    }

    /**
     * KVM_DEV_ARM_VGIC_GRP_CTRL: ENXIO for an attribute other than CTRL_INIT and for a GET, 0 for a HAS; null for
     * a SET of CTRL_INIT, which the device carries out.
     */
    Long ctrlInitAnswer() {
        if (attr != KVM_DEV_ARM_VGIC_CTRL_INIT) {
            return (long) -Errno.ENXIO;
        }
        if (has) {
            return 0L;
        }
        return get ? (long) -Errno.ENXIO : null;
    }

    /** GET of a 64-bit value: copies it to {@code addr}; 0 or -EFAULT. */
    long put64(Process p, long v) {
        return p.memory().copyToUser(addr, UserStruct.ofSize(8).put64(0, v).bytes()) ? 0 : -Errno.EFAULT;
    }

    /** SET of a 64-bit value: the value at {@code addr}, or null (the caller answers EFAULT). */
    Long read64(Process p) {
        byte[] b = p.memory().copyFromUser(addr, 8);
        return b == null ? null : new UserStruct(b).u64(0);
    }
}
