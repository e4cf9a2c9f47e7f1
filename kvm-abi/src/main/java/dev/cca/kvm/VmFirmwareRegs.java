package dev.cca.kvm;

import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;

import java.util.List;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * The firmware pseudo-registers (arch/arm64/kvm/hypercalls.c kvm_arm_get_fw_reg / kvm_arm_set_fw_reg): the
 * PSCI version a VM offers, the SMCCC workaround levels, and the hypercall feature bitmaps. The PSCI version and
 * the bitmaps are VM-wide. The emulated PEs are unaffected by the Spectre variants, so every workaround reads as
 * NOT_REQUIRED.
 */
final class VmFirmwareRegs {
    static final long PSCI_0_1 = 0x1, PSCI_0_2 = 0x2, PSCI_1_0 = 0x10000, PSCI_1_1 = 0x10001;
    private static final long WA1_NOT_REQUIRED = 2, WA2_NOT_AVAIL = 0, WA2_UNKNOWN = 1, WA2_AVAIL = 2,
            WA2_NOT_REQUIRED = 3, WA2_ENABLED = 1L << 4, WA3_NOT_REQUIRED = 2;
    private static final long FEATURE_LEVEL_MASK = 0xF;
    /** KVM_ARM_SMCCC_STD_FEATURES (TRNG 1.0), _STD_HYP_FEATURES (PV time), _VENDOR_HYP_FEATURES (FUNC_FEAT, PTP). */
    private static final long STD_FEATURES = 0x1, STD_HYP_FEATURES = 0x1, VENDOR_HYP_FEATURES = 0x3;

    private final KvmVm vm;
    long psciVersion = PSCI_1_1; // KVM_ARM_PSCI_LATEST
    long stdBmap = STD_FEATURES;
    long stdHypBmap = STD_HYP_FEATURES;
    long vendorHypBmap = VENDOR_HYP_FEATURES;

    VmFirmwareRegs(KvmVm vm) {
        this.vm = vm;
    }

    static List<Long> ids() {
        return List.of(REG_PSCI_VERSION, REG_SMCCC_ARCH_WORKAROUND_1, REG_SMCCC_ARCH_WORKAROUND_2,
                REG_SMCCC_ARCH_WORKAROUND_3, REG_STD_BMAP, REG_STD_HYP_BMAP, REG_VENDOR_HYP_BMAP);
    }

    /** kvm_psci_version(): what a vCPU with (or without) KVM_ARM_VCPU_PSCI_0_2 sees. */
    long psciVersion(KvmVcpu v) {
        return (v.features & (1L << KVM_ARM_VCPU_PSCI_0_2)) != 0 ? psciVersion : PSCI_0_1;
    }

    long get(KvmVcpu v, Process p, long id, long addr) {
        long val;
        if (id == REG_PSCI_VERSION) {
            val = psciVersion(v);
        } else if (id == REG_SMCCC_ARCH_WORKAROUND_1) {
            val = WA1_NOT_REQUIRED;
        } else if (id == REG_SMCCC_ARCH_WORKAROUND_2) {
            val = WA2_NOT_REQUIRED;
        } else if (id == REG_SMCCC_ARCH_WORKAROUND_3) {
            val = WA3_NOT_REQUIRED;
        } else if (id == REG_STD_BMAP) {
            val = stdBmap;
        } else if (id == REG_STD_HYP_BMAP) {
            val = stdHypBmap;
        } else if (id == REG_VENDOR_HYP_BMAP) {
            val = vendorHypBmap;
        } else {
            return -Errno.ENOENT;
        }
        return KvmVcpu.putU64(p, addr, val);
    }

    long set(KvmVcpu v, Process p, long id, long addr) {
        if (VcpuRegs.regSize(id) != 8) {
            return -Errno.ENOENT;
        }
        byte[] b = p.memory().copyFromUser(addr, 8);
        if (b == null) {
            return -Errno.EFAULT;
        }
        long val = new UserStruct(b).u64(0);
        synchronized (vm) {
            if (id == REG_PSCI_VERSION) {
                boolean wants02 = (v.features & (1L << KVM_ARM_VCPU_PSCI_0_2)) != 0;
                if (val == PSCI_0_1) {
                    if (wants02) {
                        return -Errno.EINVAL;
                    }
                } else if (val == PSCI_0_2 || val == PSCI_1_0 || val == PSCI_1_1) {
                    if (!wants02) {
                        return -Errno.EINVAL;
                    }
                } else {
                    return -Errno.EINVAL;
                }
                psciVersion = val;
                return 0;
            }
            if (id == REG_SMCCC_ARCH_WORKAROUND_1 || id == REG_SMCCC_ARCH_WORKAROUND_3) {
                long level = id == REG_SMCCC_ARCH_WORKAROUND_1 ? WA1_NOT_REQUIRED : WA3_NOT_REQUIRED;
                return (val & ~FEATURE_LEVEL_MASK) != 0 || level < val ? -Errno.EINVAL : 0;
            }
            if (id == REG_SMCCC_ARCH_WORKAROUND_2) {
                if ((val & ~(FEATURE_LEVEL_MASK | WA2_ENABLED)) != 0) {
                    return -Errno.EINVAL;
                }
                if ((val & WA2_ENABLED) != 0 && (val & FEATURE_LEVEL_MASK) != WA2_AVAIL) {
                    return -Errno.EINVAL;
                }
                long lvl = val & FEATURE_LEVEL_MASK;
                if (lvl != WA2_NOT_AVAIL && lvl != WA2_UNKNOWN && lvl != WA2_AVAIL && lvl != WA2_NOT_REQUIRED) {
                    return -Errno.EINVAL;
                }
                return 0; // the host level (NOT_REQUIRED) satisfies every request
            }
            long features;
            if (id == REG_STD_BMAP) {
                features = STD_FEATURES;
            } else if (id == REG_STD_HYP_BMAP) {
                features = STD_HYP_FEATURES;
            } else if (id == REG_VENDOR_HYP_BMAP) {
                features = VENDOR_HYP_FEATURES;
            } else {
                return -Errno.ENOENT;
            }
            if ((val & ~features) != 0) {
                return -Errno.EINVAL;
            }
            long current = id == REG_STD_BMAP ? stdBmap : id == REG_STD_HYP_BMAP ? stdHypBmap : vendorHypBmap;
            if (vm.hasRanOnce && val != current) {
                return -Errno.EBUSY;
            }
            if (id == REG_STD_BMAP) {
                stdBmap = val;
            } else if (id == REG_STD_HYP_BMAP) {
                stdHypBmap = val;
            } else {
                vendorHypBmap = val;
            }
            return 0;
        }
    }

    @Override
    public String toString() {
        return String.format("psci=%#x bmaps=%#x/%#x/%#x", psciVersion, stdBmap, stdHypBmap, vendorHypBmap);
    }
}
