package dev.cca.kvm.uapi;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Recomputes every fact of {@link AbiLayout} with the arm64 cross compiler against the uapi headers it ships
 * ({@code <linux/kvm.h>}, {@code <asm/kvm.h>}); structures newer than those headers (guest_memfd, memory
 * attributes, the SMCCC filter, the v12 realm additions) are declared here as the kernel declares them. The
 * compiler evaluates the expressions into data ({@code -S}), so nothing needs to run on arm64. Skipped, with a
 * message, on machines without {@code aarch64-linux-gnu-gcc}.
 */
class GccLayoutTest {
    private static final String GCC = "aarch64-linux-gnu-gcc";

    /** Declarations the distribution's headers may not have yet (guarded so that newer headers win). */
    private static final String PRELUDE = String.join("\n",
            "#include <stddef.h>",
            "#include <linux/kvm.h>",
            "#ifndef KVM_SET_USER_MEMORY_REGION2",
            "struct kvm_userspace_memory_region2 { __u32 slot; __u32 flags; __u64 guest_phys_addr;",
            "  __u64 memory_size; __u64 userspace_addr; __u64 guest_memfd_offset; __u32 guest_memfd;",
            "  __u32 pad1; __u64 pad2[14]; };",
            "#define KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)",
            "#endif",
            "#ifndef KVM_SET_MEMORY_ATTRIBUTES",
            "struct kvm_memory_attributes { __u64 address; __u64 size; __u64 attributes; __u64 flags; };",
            "#define KVM_SET_MEMORY_ATTRIBUTES _IOW(KVMIO, 0xd2, struct kvm_memory_attributes)",
            "#define KVM_MEMORY_ATTRIBUTE_PRIVATE (1ULL << 3)",
            "#endif",
            "#ifndef KVM_CREATE_GUEST_MEMFD",
            "struct kvm_create_guest_memfd { __u64 size; __u64 flags; __u64 reserved[6]; };",
            "#define KVM_CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)",
            "#endif",
            "#ifndef KVM_EXIT_MEMORY_FAULT",
            "#define KVM_EXIT_MEMORY_FAULT 39",
            "#define KVM_MEMORY_EXIT_FLAG_PRIVATE (1ULL << 3)",
            "#endif",
            "struct memory_fault_view { __u64 flags; __u64 gpa; __u64 size; };",
            "#ifndef KVM_ARM_VM_SMCCC_CTRL",
            "struct kvm_smccc_filter { __u32 base; __u32 nr_functions; __u8 action; __u8 pad[15]; };",
            "#endif",
            "#ifndef KVM_CAP_ARM_RMI",
            "#define KVM_CAP_ARM_RMI 247",
            "struct kvm_arm_rmi_psci_complete { __u64 target_mpidr; __u32 psci_status; __u32 padding[3]; };",
            "#define KVM_ARM_VCPU_RMI_PSCI_COMPLETE _IOW(KVMIO, 0xd6, struct kvm_arm_rmi_psci_complete)",
            "struct kvm_arm_rmi_populate { __u64 base; __u64 size; __u64 source_uaddr; __u32 flags;",
            "  __u32 reserved; };",
            "#define KVM_ARM_RMI_POPULATE_FLAGS_MEASURE (1 << 0)",
            "#define KVM_ARM_RMI_POPULATE _IOW(KVMIO, 0xd7, struct kvm_arm_rmi_populate)",
            "#endif",
            "#define KVM_ARM_RMI_POPULATE_IOWR _IOWR(KVMIO, 0xd7, struct kvm_arm_rmi_populate)",
            "struct arm_rmi_config { __u32 cfg; union { __u8 rpv[64]; __u32 hash_algo; __u8 reserved[256]; }; };",
            "#ifndef KVM_VM_TYPE_ARM_REALM",
            "#define KVM_VM_TYPE_ARM_SHIFT 8",
            "#define KVM_VM_TYPE_ARM_MASK (0xfULL << KVM_VM_TYPE_ARM_SHIFT)",
            "#define KVM_VM_TYPE_ARM(_type) (((_type) << KVM_VM_TYPE_ARM_SHIFT) & KVM_VM_TYPE_ARM_MASK)",
            "#define KVM_VM_TYPE_ARM_REALM KVM_VM_TYPE_ARM(1)",
            "#endif",
            "");

    private static boolean compilerPresent() {
        try {
            Process p = new ProcessBuilder(GCC, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void everyStatedLayoutFactIsWhatGccComputes() throws Exception {
        assumeTrue(compilerPresent(), GCC + " is not installed: the C layout cannot be recomputed here "
                + "(Debian: apt-get install gcc-aarch64-linux-gnu); StructLayoutTest still checks the stated numbers");
        StringBuilder c = new StringBuilder(PRELUDE);
        List<AbiLayout.Fact> facts = AbiLayout.FACTS;
        for (int i = 0; i < facts.size(); i++) {
            c.append("const unsigned long long fact_").append(i).append(" = (unsigned long long)(")
                    .append(facts.get(i).cExpr()).append(");\n");
        }
        Path dir = Files.createTempDirectory("abi-layout");
        try {
            Path src = dir.resolve("layout.c");
            Path asm = dir.resolve("layout.s");
            Files.writeString(src, c.toString());
            Process p = new ProcessBuilder(GCC, "-S", "-O0", "-o", asm.toString(), src.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gcc did not finish");
            assertTrue(p.exitValue() == 0, () -> "gcc failed:\n" + out);
            Map<Integer, Long> values = parse(Files.readString(asm));
            List<String> wrong = new ArrayList<>();
            for (int i = 0; i < facts.size(); i++) {
                AbiLayout.Fact f = facts.get(i);
                Long v = values.get(i);
                if (v == null) {
                    wrong.add(f.name() + ": not found in the compiler output");
                } else if (v != f.stated()) {
                    wrong.add(String.format("%s: gcc says %#x, the model states %#x", f.name(), v, f.stated()));
                }
            }
            assertTrue(wrong.isEmpty(), () -> String.join("\n", wrong));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** {@code fact_N:} followed by {@code .xword VALUE} (or {@code .zero 8} for 0) in the assembly. */
    private static Map<Integer, Long> parse(String asm) {
        Map<Integer, Long> out = new HashMap<>();
        Matcher m = Pattern.compile(
                "(?m)^fact_(\\d+):\\s*\\n\\s*\\.(xword|dword|quad|zero)\\s+(-?\\d+|0x[0-9a-fA-F]+)")
                .matcher(asm);
        while (m.find()) {
            String v = m.group(3);
            long value = m.group(2).equals("zero") ? 0
                    : v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
            out.put(Integer.parseInt(m.group(1)), value);
        }
        return out;
    }
}
