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
    /** KVM_COALESCED_MMIO_PAGE_OFFSET, returned for KVM_CAP_COALESCED_MMIO. */
    static final int COALESCED_MMIO_PAGE_OFFSET = 1;

    final HostKernel kernel;

    public KvmDevice(HostKernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public String name() {
        return "/dev/kvm";
    }

    /** kvm_dev_ioctl(): anything it does not know goes to kvm_arch_dev_ioctl, which answers EINVAL on arm64. */
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
        return -Errno.EINVAL;
    }

    /**
     * kvm_vm_ioctl_check_extension_generic, then kvm_vm_ioctl_check_extension (arm64) with the v12 realm filter
     * (patches 08, 29, 32): a realm VM sees only an allowlist of architecture capabilities. {@code vm} is null for
     * /dev/kvm. The capability number is a {@code long} argument; values that are not a known cap answer 0.
     */
    long checkExtension(KvmVm vm, long cap) {
        // Generic capabilities, answered before the architecture (and its realm filter) is asked.
        switch ((int) cap) {
            case KVM_CAP_USER_MEMORY:
            case KVM_CAP_USER_MEMORY2:
            case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
            case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
            case KVM_CAP_INTERNAL_ERROR_DATA:
            case KVM_CAP_CHECK_EXTENSION_VM:
            case KVM_CAP_ENABLE_CAP_VM:
            case KVM_CAP_HALT_POLL:
            case KVM_CAP_BINARY_STATS_FD:
            case KVM_CAP_SYSTEM_EVENT_DATA:
            case KVM_CAP_DEVICE_CTRL:
            case KVM_CAP_GUEST_MEMFD:
            case KVM_CAP_SIGNAL_MSI: // CONFIG_HAVE_KVM_MSI
                if (cap == (int) cap) {
                    return 1;
                }
                break;
            case KVM_CAP_COALESCED_MMIO:
                if (cap == (int) cap) {
                    return COALESCED_MMIO_PAGE_OFFSET;
                }
                break;
            case KVM_CAP_NR_MEMSLOTS:
                if (cap == (int) cap) {
                    return KvmVm.USER_MEM_SLOTS;
                }
                break;
            case KVM_CAP_MEMORY_ATTRIBUTES:
                // kvm_supported_mem_attributes(): PRIVATE for /dev/kvm and for VMs with private memory (realms).
                if (cap == (int) cap) {
                    return vm == null || vm.backend.hasPrivateMem() ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
                }
                break;
            default:
                break;
        }
        if (cap != (int) cap) {
            return 0;
        }
        if (vm != null && !vm.backend.capabilityAllowed((int) cap)) {
            return 0;
        }
        switch ((int) cap) {
            case KVM_CAP_IRQCHIP:
                return 1; // vgic_present
            case KVM_CAP_SYNC_MMU:
            case KVM_CAP_ONE_REG:
            case KVM_CAP_ARM_PSCI:
            case KVM_CAP_ARM_PSCI_0_2:
            case KVM_CAP_READONLY_MEM:
            case KVM_CAP_MP_STATE:
            case KVM_CAP_IMMEDIATE_EXIT:
            case KVM_CAP_VCPU_EVENTS:
            case KVM_CAP_ARM_NISV_TO_USER:
            case KVM_CAP_ARM_INJECT_EXT_DABT:
            case KVM_CAP_ARM_SYSTEM_SUSPEND:
            case KVM_CAP_ARM_SET_DEVICE_ADDR:
            case KVM_CAP_ARM_USER_IRQ:
                return 1;
            case KVM_CAP_NR_VCPUS:
                return Math.min(kernel.platform.machine.cpuCount(), KvmVm.MAX_VCPUS);
            case KVM_CAP_MAX_VCPUS:
            case KVM_CAP_MAX_VCPU_ID:
                return KvmVm.MAX_VCPUS;
            case KVM_CAP_MSI_DEVID:
                // vgic.msis_require_devid: set by creating an ITS.
                return vm == null ? -Errno.EINVAL : vm.its != null ? 1 : 0;
            case KVM_CAP_GUEST_DEBUG_HW_BPS:
                return ((kernel.platform.machine.cpu(0).sr[dev.cca.core.cpu.SysRegs.ID_AA64DFR0_EL1] >>> 12) & 0xF) + 1;
            case KVM_CAP_GUEST_DEBUG_HW_WPS:
                return ((kernel.platform.machine.cpu(0).sr[dev.cca.core.cpu.SysRegs.ID_AA64DFR0_EL1] >>> 20) & 0xF) + 1;
            case KVM_CAP_ARM_VM_IPA_SIZE:
                return IPA_LIMIT;
            case KVM_CAP_ARM_RMI:
                return kernel.rmiAvailable() ? 1 : 0;
            case KVM_CAP_ARM_PMU_V3:    // kvm_supports_guest_pmuv3(): the PE's PMUv3p5
                return 1;
            case KVM_CAP_ARM_EL1_32BIT: // no AArch32 at EL1
            case KVM_CAP_ARM_SVE:       // no SVE
            case KVM_CAP_ARM_PTRAUTH_ADDRESS:
            case KVM_CAP_ARM_PTRAUTH_GENERIC:
            case KVM_CAP_STEAL_TIME:    // no pvtime (and never for realms, patch 29)
            case KVM_CAP_ARM_MTE:
            default:
                return 0;
        }
    }

    /** kvm_dev_ioctl_create_vm / kvm_arch_init_vm (v12 patch 09) / kvm_init_ipa_range (patch 07). */
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
