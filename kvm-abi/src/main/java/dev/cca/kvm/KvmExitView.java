package dev.cca.kvm;

import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.uapi.Structs;

import java.util.LinkedHashMap;
import java.util.Map;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * A tracer's read-only view of the exit a vCPU's last KVM_RUN produced: {@code kvm_run.exit_reason} and the fields
 * of the exit union that reason uses, read from the kvm_run page the kernel filled. Like the kvm_exit tracepoint,
 * it has no effect on the vCPU.
 */
public final class KvmExitView {
    private KvmExitView() {
    }

    /** One exit: the vCPU id, the reason and its decoded fields (insertion-ordered, values are numbers). */
    public record Exit(int vcpu, int reason, String reasonName, Map<String, Long> fields) {
    }

    /** Whether {@code f} is a vCPU file. */
    public static boolean isVcpu(FileObject f) {
        return f instanceof KvmVcpu;
    }

    /** The vCPU id of a vCPU file, or -1. */
    public static int vcpuId(FileObject f) {
        return f instanceof KvmVcpu ? ((KvmVcpu) f).id : -1;
    }

    /** The exit recorded in {@code f}'s kvm_run, or null if {@code f} is not a vCPU file. */
    public static Exit exitOf(FileObject f) {
        if (!(f instanceof KvmVcpu)) {
            return null;
        }
        KvmVcpu v = (KvmVcpu) f;
        int reason = (int) v.runRead(Structs.RUN_EXIT_REASON, 4);
        Map<String, Long> m = new LinkedHashMap<>();
        switch (reason) {
            case KVM_EXIT_MMIO: {
                int len = (int) v.runRead(Structs.RUN_MMIO_LEN, 4);
                boolean write = v.runRead(Structs.RUN_MMIO_IS_WRITE, 1) != 0;
                m.put("phys_addr", v.runRead(Structs.RUN_MMIO_PHYS_ADDR, 8));
                m.put("len", (long) len);
                m.put("is_write", write ? 1L : 0L);
                if (write && len >= 1 && len <= 8) {
                    long data = v.runRead(Structs.RUN_MMIO_DATA, 8);
                    m.put("data", len == 8 ? data : data & ((1L << (8 * len)) - 1));
                }
                break;
            }
            case KVM_EXIT_SYSTEM_EVENT:
                m.put("type", v.runRead(Structs.RUN_SYSTEM_EVENT_TYPE, 4));
                m.put("ndata", v.runRead(Structs.RUN_SYSTEM_EVENT_NDATA, 4));
                m.put("data0", v.runRead(Structs.RUN_SYSTEM_EVENT_DATA, 8));
                break;
            case KVM_EXIT_MEMORY_FAULT:
                m.put("flags", v.runRead(Structs.RUN_MEMORY_FAULT_FLAGS, 8));
                m.put("gpa", v.runRead(Structs.RUN_MEMORY_FAULT_GPA, 8));
                m.put("size", v.runRead(Structs.RUN_MEMORY_FAULT_SIZE, 8));
                break;
            case KVM_EXIT_HYPERCALL:
                m.put("nr", v.runRead(Structs.RUN_HYPERCALL_NR, 8));
                break;
            case KVM_EXIT_INTERNAL_ERROR:
                m.put("suberror", v.runRead(Structs.RUN_INTERNAL_SUBERROR, 4));
                break;
            case KVM_EXIT_FAIL_ENTRY:
                m.put("hardware_entry_failure_reason", v.runRead(Structs.RUN_FAIL_ENTRY_REASON, 8));
                m.put("cpu", v.runRead(Structs.RUN_FAIL_ENTRY_CPU, 4));
                break;
            default:
                break;
        }
        return new Exit(v.id, reason, exitName(reason), m);
    }
}
