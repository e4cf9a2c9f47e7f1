package dev.cca.vmm;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vmm-cli reaches kvm-abi only through file descriptors and ioctls: its sources name the host's process interface
 * (Process, UserMemory), CcaHost (to boot a platform) and the uapi (dev.cca.kvm.uapi), never the kernel objects
 * behind the descriptors (KvmVm, KvmVcpu, RealmHost, HostKernel's internals...). Two kinds of tool are the
 * exceptions, each confined to its package: the ABI test runner (dev.cca.vmm.abitest) may name RmiTestPort, the
 * kernel's raw-RMI test interface, and the tracer and debuggers (dev.cca.vmm.trace, dev.cca.vmm.debug) may name
 * the kernel's read-only observation points (KernelObserver, the HostKernel they attach to, FileObject,
 * KvmExitView).
 */
class ModuleBoundaryTest {
    private static final Pattern KVM_REF = Pattern.compile("\\bdev\\.cca\\.kvm\\.([A-Za-z_][\\w.]*)");
    private static final List<String> ALLOWED = List.of("uapi.", "host.Process", "host.UserMemory", "host.CcaHost");
    private static final List<String> TEST_PORT = List.of("host.RmiTestPort");
    private static final List<String> OBSERVATION = List.of("host.KernelObserver", "host.HostKernel",
            "host.FileObject", "KvmExitView");

    private static boolean allowed(List<String> list, String name) {
        return list.stream().anyMatch(a -> a.endsWith(".") ? name.startsWith(a) : name.equals(a)
                || name.startsWith(a + "."));
    }

    @Test
    void vmmSourcesDoNotReachKernelInternals() throws Exception {
        Path src = Path.of(System.getProperty("user.dir"), "src/main/java");
        List<String> bad = new ArrayList<>();
        int files = 0;
        int refs = 0;
        try (Stream<Path> s = Files.walk(src)) {
            for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".java"))::iterator) {
                files++;
                String rel = src.relativize(f).toString().replace('\\', '/');
                boolean abiTest = rel.startsWith("dev/cca/vmm/abitest/");
                boolean observer = rel.startsWith("dev/cca/vmm/trace/") || rel.startsWith("dev/cca/vmm/debug/");
                Matcher m = KVM_REF.matcher(Files.readString(f));
                while (m.find()) {
                    refs++;
                    String name = m.group(1);
                    boolean ok = allowed(ALLOWED, name) || (abiTest && allowed(TEST_PORT, name))
                            || (observer && allowed(OBSERVATION, name));
                    if (!ok) {
                        bad.add(src.relativize(f) + ": dev.cca.kvm." + name);
                    }
                }
            }
        }
        assertTrue(files > 10, "sources not found under " + src);
        assertTrue(refs > 5, "no references to kvm-abi found: the pattern is wrong");
        assertTrue(bad.isEmpty(), "vmm-cli must reach KVM through Process.open/ioctl/mmap only:\n" + String.join("\n", bad));
    }
}
