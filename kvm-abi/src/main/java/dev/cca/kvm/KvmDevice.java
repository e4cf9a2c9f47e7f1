package dev.cca.kvm;

import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;

import static dev.cca.kvm.uapi.KvmUapi.*;

/** /dev/kvm: the system file (virt/kvm/kvm_main.c kvm_dev_ioctl). */
public final class KvmDevice implements FileObject {
    /** Host IPA limit (kvm_ipa_limit): the PE's physical address size. */
    static final int IPA_LIMIT = 48;
    /** kvm_run plus the coalesced-MMIO ring page (KVM_COALESCED_MMIO_PAGE_OFFSET = 1 on arm64). */
    static final int VCPU_MMAP_SIZE = 2 * 4096;

    final HostKernel kernel;

    public KvmDevice(HostKernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public String name() {
        return "/dev/kvm";
    }

    @Override
    public long ioctl(Process p, long request, long arg) {
        if (request == KVM_GET_API_VERSION) {
            return arg != 0 ? -Errno.EINVAL : KVM_API_VERSION;
        }
        if (request == KVM_CREATE_VM) {
            return createVm(p, arg);
        }
        if (request == KVM_CHECK_EXTENSION) {
            return checkExtension(null, arg);
        }
        if (request == KVM_GET_VCPU_MMAP_SIZE) {
            return arg != 0 ? -Errno.EINVAL : VCPU_MMAP_SIZE;
        }
        return -Errno.ENOTTY;
    }

    /** kvm_vm_ioctl_check_extension_generic + kvm_vm_ioctl_check_extension (arm64, v12 realm filter). */
    long checkExtension(KvmVm vm, long cap) {
        switch ((int) cap) {
            case KVM_CAP_USER_MEMORY:
            case KVM_CAP_USER_MEMORY2:
            case KVM_CAP_GUEST_MEMFD:
            case KVM_CAP_MEMORY_FAULT_INFO:
                return 1;
            case KVM_CAP_MEMORY_ATTRIBUTES:
                return vm != null && vm.isRealm() ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
            default:
                break;
        }
        if (cap != (int) cap) {
            return 0;
        }
        if (vm != null && vm.isRealm() && !realmAllowedCap((int) cap)) {
            return 0;
        }
        switch ((int) cap) {
            case KVM_CAP_IRQCHIP:
            case KVM_CAP_ARM_PSCI:
            case KVM_CAP_ARM_PSCI_0_2:
            case KVM_CAP_ONE_REG:
            case KVM_CAP_DEVICE_CTRL:
            case KVM_CAP_MP_STATE:
                return 1;
            case KVM_CAP_NR_VCPUS:
                return kernel.platform.machine.cpuCount();
            case KVM_CAP_MAX_VCPUS:
            case KVM_CAP_MAX_VCPU_ID:
                return KvmVm.MAX_VCPUS;
            case KVM_CAP_ARM_VM_IPA_SIZE:
                return IPA_LIMIT;
            case KVM_CAP_ARM_RMI:
                return kernel.rmiAvailable() ? 1 : 0;
            default:
                return 0;
        }
    }

    /** The v12 allowlist of architecture capabilities for realm VMs (patches 08, 32). */
    private static boolean realmAllowedCap(int cap) {
        switch (cap) {
            case KVM_CAP_IRQCHIP:
            case KVM_CAP_ARM_PSCI:
            case KVM_CAP_ARM_PSCI_0_2:
            case KVM_CAP_NR_VCPUS:
            case KVM_CAP_MAX_VCPUS:
            case KVM_CAP_MAX_VCPU_ID:
            case KVM_CAP_ARM_VM_IPA_SIZE:
            case KVM_CAP_ARM_RMI:
            case KVM_CAP_ONE_REG:
            case KVM_CAP_DEVICE_CTRL:
            case KVM_CAP_MP_STATE:
                return true;
            default:
                return false;
        }
    }

    /** kvm_dev_ioctl_create_vm / kvm_arch_init_vm (v12 patch 09). */
    private long createVm(Process p, long type) {
        if ((type & ~(KVM_VM_TYPE_ARM_MASK | KVM_VM_TYPE_ARM_IPA_SIZE_MASK)) != 0) {
            return -Errno.EINVAL;
        }
        long machine = type & KVM_VM_TYPE_ARM_MASK;
        boolean realm;
        if (machine == KVM_VM_TYPE_ARM_NORMAL) {
            realm = false;
        } else if (machine == KVM_VM_TYPE_ARM_REALM) {
            if (!kernel.rmiAvailable()) {
                return -Errno.EINVAL;
            }
            realm = true;
        } else {
            return -Errno.EINVAL;
        }
        int ipa = (int) (type & KVM_VM_TYPE_ARM_IPA_SIZE_MASK);
        int limit = realm ? (int) (kernel.rmiFeatures0() & 0xFF) : IPA_LIMIT;
        if (ipa == 0) {
            ipa = 40;
        } else if (ipa > limit || ipa < 32) {
            return -Errno.EINVAL;
        }
        KvmVm vm = new KvmVm(this, realm, ipa);
        return p.installFd(vm);
    }
}
