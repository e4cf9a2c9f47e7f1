package dev.cca.vmm.abitest;

import dev.cca.kvm.uapi.AbiProfile;
import dev.cca.kvm.uapi.Structs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * What the runner knows of the ABI: the C structures (field names as in the uapi headers, offsets from
 * {@link Structs}) and every ioctl with the structure its argument points to. Scenario files name ioctls and
 * fields; the runner lays the bytes out as a C VMM would.
 */
final class AbiCatalog {
    private AbiCatalog() {
    }

    /** A field of a C structure: {@code count} elements of {@code size} bytes at {@code offset}. */
    record Field(String name, int offset, int size, int count) {
    }

    /** A C structure. */
    static final class StructDef {
        final String name;
        final int size;
        final Map<String, Field> fields = new LinkedHashMap<>();

        StructDef(String name, int size) {
            this.name = name;
            this.size = size;
        }

        StructDef f(String field, int offset, int size) {
            return f(field, offset, size, 1);
        }

        StructDef f(String field, int offset, int size, int count) {
            fields.put(field, new Field(field, offset, size, count));
            return this;
        }

        /** The field (or array element, "features[1]") called {@code path}: {offset, size}. */
        int[] locate(String path, String where) {
            String name = path;
            int index = 0;
            int b = path.indexOf('[');
            if (b >= 0) {
                if (!path.endsWith("]")) {
                    throw new ScenarioException(where + ": bad field '" + path + "'");
                }
                name = path.substring(0, b);
                try {
                    index = Integer.parseInt(path.substring(b + 1, path.length() - 1).trim());
                } catch (NumberFormatException e) {
                    throw new ScenarioException(where + ": bad index in '" + path + "'");
                }
            }
            Field f = fields.get(name);
            if (f == null) {
                throw new ScenarioException(where + ": struct " + this.name + " has no field '" + name + "' (fields: "
                        + String.join(", ", fields.keySet()) + ")");
            }
            if (index < 0 || index >= f.count()) {
                throw new ScenarioException(where + ": index " + index + " is outside " + this.name + "." + name + "["
                        + f.count() + "]");
            }
            return new int[] {f.offset() + index * f.size(), f.size()};
        }
    }

    static final Map<String, StructDef> STRUCTS = new LinkedHashMap<>();

    private static StructDef struct(String name, int size) {
        StructDef s = new StructDef(name, size);
        STRUCTS.put(name, s);
        return s;
    }

    static {
        struct("kvm_userspace_memory_region", Structs.MEMORY_REGION_SIZE).f("slot", 0, 4).f("flags", 4, 4)
                .f("guest_phys_addr", 8, 8).f("memory_size", 16, 8).f("userspace_addr", 24, 8);
        struct("kvm_userspace_memory_region2", Structs.MEMORY_REGION2_SIZE).f("slot", Structs.MR2_SLOT, 4)
                .f("flags", Structs.MR2_FLAGS, 4).f("guest_phys_addr", Structs.MR2_GUEST_PHYS_ADDR, 8)
                .f("memory_size", Structs.MR2_MEMORY_SIZE, 8).f("userspace_addr", Structs.MR2_USERSPACE_ADDR, 8)
                .f("guest_memfd_offset", Structs.MR2_GUEST_MEMFD_OFFSET, 8).f("guest_memfd", Structs.MR2_GUEST_MEMFD, 4)
                .f("pad1", Structs.MR2_PAD1, 4).f("pad2", Structs.MR2_PAD2, 8, 14);
        struct("kvm_create_guest_memfd", Structs.CREATE_GUEST_MEMFD_SIZE).f("size", Structs.CGM_SIZE, 8)
                .f("flags", Structs.CGM_FLAGS, 8).f("reserved", Structs.CGM_RESERVED, 8, 6);
        struct("kvm_memory_attributes", Structs.MEMORY_ATTRIBUTES_SIZE).f("address", Structs.MA_ADDRESS, 8)
                .f("size", Structs.MA_SIZE, 8).f("attributes", Structs.MA_ATTRIBUTES, 8).f("flags", Structs.MA_FLAGS, 8);
        struct("kvm_arm_rmi_populate", Structs.RMI_POPULATE_SIZE).f("base", Structs.POP_BASE, 8)
                .f("size", Structs.POP_SIZE, 8).f("source_uaddr", Structs.POP_SOURCE_UADDR, 8)
                .f("flags", Structs.POP_FLAGS, 4).f("reserved", Structs.POP_RESERVED, 4);
        struct("kvm_arm_rmi_psci_complete", Structs.RMI_PSCI_COMPLETE_SIZE)
                .f("target_mpidr", Structs.PC_TARGET_MPIDR, 8).f("psci_status", Structs.PC_PSCI_STATUS, 4)
                .f("padding", Structs.PC_PADDING, 4, 3);
        struct("kvm_vcpu_init", Structs.VCPU_INIT_SIZE).f("target", Structs.VI_TARGET, 4)
                .f("features", Structs.VI_FEATURES, 4, 7);
        struct("kvm_one_reg", Structs.ONE_REG_SIZE).f("id", Structs.OR_ID, 8).f("addr", Structs.OR_ADDR, 8);
        struct("kvm_enable_cap", Structs.ENABLE_CAP_SIZE).f("cap", Structs.EC_CAP, 4).f("flags", Structs.EC_FLAGS, 4)
                .f("args", Structs.EC_ARGS, 8, 4).f("pad", 40, 1, 64);
        struct("kvm_create_device", Structs.CREATE_DEVICE_SIZE).f("type", Structs.CD_TYPE, 4)
                .f("fd", Structs.CD_FD, 4).f("flags", Structs.CD_FLAGS, 4);
        struct("kvm_device_attr", Structs.DEVICE_ATTR_SIZE).f("flags", Structs.DA_FLAGS, 4)
                .f("group", Structs.DA_GROUP, 4).f("attr", Structs.DA_ATTR, 8).f("addr", Structs.DA_ADDR, 8);
        struct("kvm_smccc_filter", Structs.SMCCC_FILTER_SIZE).f("base", Structs.SF_BASE, 4)
                .f("nr_functions", Structs.SF_NR_FUNCTIONS, 4).f("action", Structs.SF_ACTION, 1)
                .f("pad", Structs.SF_PAD, 1, 15);
        struct("kvm_mp_state", Structs.MP_STATE_SIZE).f("mp_state", Structs.MPS_MP_STATE, 4);
        struct("kvm_vcpu_events", Structs.VCPU_EVENTS_SIZE)
                .f("exception.serror_pending", Structs.VE_SERROR_PENDING, 1)
                .f("exception.serror_has_esr", Structs.VE_SERROR_HAS_ESR, 1)
                .f("exception.ext_dabt_pending", Structs.VE_EXT_DABT_PENDING, 1)
                .f("exception.ext_iabt_pending", Structs.VE_EXT_IABT_PENDING, 1)
                .f("exception.pad", Structs.VE_PAD, 1, 4).f("exception.serror_esr", Structs.VE_SERROR_ESR, 8)
                .f("reserved", Structs.VE_RESERVED, 4, 12);
        struct("kvm_reg_list", Structs.REG_LIST_SIZE).f("n", Structs.RL_N, 8).f("reg", Structs.RL_REG, 8, 512);
        struct("int", 4).f("value", 0, 4);
        struct("kvm_irq_level", 8).f("irq", 0, 4).f("level", 4, 4);
        struct("u64", 8).f("value", 0, 8);
        struct("kvm_run", Structs.RUN_SIZE)
                .f("request_interrupt_window", Structs.RUN_REQUEST_INTERRUPT_WINDOW, 1)
                .f("immediate_exit", Structs.RUN_IMMEDIATE_EXIT, 1).f("exit_reason", Structs.RUN_EXIT_REASON, 4)
                .f("flags", Structs.RUN_FLAGS, 2)
                .f("mmio.phys_addr", Structs.RUN_MMIO_PHYS_ADDR, 8).f("mmio.data", Structs.RUN_MMIO_DATA, 8)
                .f("mmio.data8", Structs.RUN_MMIO_DATA, 1, 8)
                .f("mmio.len", Structs.RUN_MMIO_LEN, 4).f("mmio.is_write", Structs.RUN_MMIO_IS_WRITE, 1)
                .f("hypercall.nr", Structs.RUN_HYPERCALL_NR, 8).f("hypercall.args", Structs.RUN_HYPERCALL_ARGS, 8, 6)
                .f("hypercall.ret", Structs.RUN_HYPERCALL_RET, 8).f("hypercall.flags", Structs.RUN_HYPERCALL_FLAGS, 8)
                .f("system_event.type", Structs.RUN_SYSTEM_EVENT_TYPE, 4)
                .f("system_event.ndata", Structs.RUN_SYSTEM_EVENT_NDATA, 4)
                .f("system_event.data", Structs.RUN_SYSTEM_EVENT_DATA, 8, 16)
                .f("memory_fault.flags", Structs.RUN_MEMORY_FAULT_FLAGS, 8)
                .f("memory_fault.gpa", Structs.RUN_MEMORY_FAULT_GPA, 8)
                .f("memory_fault.size", Structs.RUN_MEMORY_FAULT_SIZE, 8)
                .f("arm_nisv.esr_iss", Structs.RUN_ARM_NISV_ESR_ISS, 8)
                .f("arm_nisv.fault_ipa", Structs.RUN_ARM_NISV_FAULT_IPA, 8)
                .f("internal.suberror", Structs.RUN_INTERNAL_SUBERROR, 4);
    }

    /** How an ioctl's argument is passed. */
    enum Arg { VALUE, STRUCT_IN, STRUCT_OUT, STRUCT_INOUT }

    /** An ioctl: its name, request number, argument kind and structure. */
    record Ioctl(String name, long request, Arg arg, String struct) {
    }

    private static final Map<String, Ioctl> IOCTLS = new LinkedHashMap<>();

    private static void io(String name, long req, Arg arg, String struct) {
        IOCTLS.put(name, new Ioctl(name, req, arg, struct));
    }

    static {
        io("KVM_GET_API_VERSION", KVM_GET_API_VERSION, Arg.VALUE, null);
        io("KVM_CREATE_VM", KVM_CREATE_VM, Arg.VALUE, null);
        io("KVM_CHECK_EXTENSION", KVM_CHECK_EXTENSION, Arg.VALUE, null);
        io("KVM_GET_VCPU_MMAP_SIZE", KVM_GET_VCPU_MMAP_SIZE, Arg.VALUE, null);
        io("KVM_CREATE_VCPU", KVM_CREATE_VCPU, Arg.VALUE, null);
        io("KVM_RUN", KVM_RUN, Arg.VALUE, null);
        io("KVM_SET_USER_MEMORY_REGION", KVM_SET_USER_MEMORY_REGION, Arg.STRUCT_IN, "kvm_userspace_memory_region");
        io("KVM_SET_USER_MEMORY_REGION2", KVM_SET_USER_MEMORY_REGION2, Arg.STRUCT_IN, "kvm_userspace_memory_region2");
        io("KVM_CREATE_GUEST_MEMFD", KVM_CREATE_GUEST_MEMFD, Arg.STRUCT_INOUT, "kvm_create_guest_memfd");
        io("KVM_SET_MEMORY_ATTRIBUTES", KVM_SET_MEMORY_ATTRIBUTES, Arg.STRUCT_IN, "kvm_memory_attributes");
        io("KVM_ENABLE_CAP", KVM_ENABLE_CAP, Arg.STRUCT_IN, "kvm_enable_cap");
        io("KVM_ARM_PREFERRED_TARGET", KVM_ARM_PREFERRED_TARGET, Arg.STRUCT_OUT, "kvm_vcpu_init");
        io("KVM_CREATE_DEVICE", KVM_CREATE_DEVICE, Arg.STRUCT_INOUT, "kvm_create_device");
        io("KVM_SET_DEVICE_ATTR", KVM_SET_DEVICE_ATTR, Arg.STRUCT_IN, "kvm_device_attr");
        io("KVM_GET_DEVICE_ATTR", KVM_GET_DEVICE_ATTR, Arg.STRUCT_IN, "kvm_device_attr");
        io("KVM_HAS_DEVICE_ATTR", KVM_HAS_DEVICE_ATTR, Arg.STRUCT_IN, "kvm_device_attr");
        io("KVM_ARM_RMI_POPULATE_IOW", KVM_ARM_RMI_POPULATE, Arg.STRUCT_IN, "kvm_arm_rmi_populate");
        io("KVM_ARM_RMI_POPULATE_IOWR", KVM_ARM_RMI_POPULATE_IOWR, Arg.STRUCT_INOUT, "kvm_arm_rmi_populate");
        io("KVM_GET_MP_STATE", KVM_GET_MP_STATE, Arg.STRUCT_OUT, "kvm_mp_state");
        io("KVM_SET_MP_STATE", KVM_SET_MP_STATE, Arg.STRUCT_IN, "kvm_mp_state");
        io("KVM_GET_VCPU_EVENTS", KVM_GET_VCPU_EVENTS, Arg.STRUCT_OUT, "kvm_vcpu_events");
        io("KVM_SET_VCPU_EVENTS", KVM_SET_VCPU_EVENTS, Arg.STRUCT_IN, "kvm_vcpu_events");
        io("KVM_GET_ONE_REG", KVM_GET_ONE_REG, Arg.STRUCT_IN, "kvm_one_reg");
        io("KVM_SET_ONE_REG", KVM_SET_ONE_REG, Arg.STRUCT_IN, "kvm_one_reg");
        io("KVM_ARM_VCPU_INIT", KVM_ARM_VCPU_INIT, Arg.STRUCT_IN, "kvm_vcpu_init");
        io("KVM_GET_REG_LIST", KVM_GET_REG_LIST, Arg.STRUCT_INOUT, "kvm_reg_list");
        io("KVM_ARM_VCPU_FINALIZE", KVM_ARM_VCPU_FINALIZE, Arg.STRUCT_IN, "int");
        io("KVM_IRQ_LINE", KVM_IRQ_LINE, Arg.STRUCT_IN, "kvm_irq_level");
        io("KVM_ARM_VCPU_RMI_PSCI_COMPLETE", KVM_ARM_VCPU_RMI_PSCI_COMPLETE, Arg.STRUCT_IN,
                "kvm_arm_rmi_psci_complete");
    }

    /**
     * The ioctl called {@code name} for a VMM built against {@code profile}'s header: KVM_ARM_RMI_POPULATE is the
     * profile's request ({@code _IOW} in v12, {@code _IOWR} in populate-progress); the _IOW/_IOWR names pin one.
     */
    static Ioctl ioctl(String name, AbiProfile profile) {
        if (name.equals("KVM_ARM_RMI_POPULATE")) {
            Ioctl i = IOCTLS.get(profile.populateWritesBack() ? "KVM_ARM_RMI_POPULATE_IOWR" : "KVM_ARM_RMI_POPULATE_IOW");
            return new Ioctl(name, i.request(), i.arg(), i.struct());
        }
        return IOCTLS.get(name);
    }

    /** The ioctl whose request number is {@code request}, or null. */
    static Ioctl byRequest(long request) {
        for (Ioctl i : IOCTLS.values()) {
            if (i.request() == request) {
                return i;
            }
        }
        return null;
    }

    static List<String> ioctlNames() {
        List<String> names = new ArrayList<>(IOCTLS.keySet());
        names.add("KVM_ARM_RMI_POPULATE");
        Collections.sort(names);
        return names;
    }
}
