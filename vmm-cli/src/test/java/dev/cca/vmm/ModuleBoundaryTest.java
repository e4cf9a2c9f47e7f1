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
 * vmm-cli reaches kvm-abi only through file descriptors and ioctls: its sources import the host's process
 * interface (dev.cca.kvm.host) and the uapi (dev.cca.kvm.uapi), never the kernel objects behind the descriptors
 * (the classes of package dev.cca.kvm: KvmVm, KvmVcpu, RealmHost...).
 */
class ModuleBoundaryTest {
    @Test
    void vmmSourcesDoNotImportKernelInternals() throws Exception {
        Path src = Path.of(System.getProperty("user.dir"), "src/main/java");
        Pattern kernelClass = Pattern.compile("^import\\s+(static\\s+)?dev\\.cca\\.kvm\\.([A-Z]\\w*)", Pattern.MULTILINE);
        List<String> bad = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.walk(src)) {
            for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".java"))::iterator) {
                files++;
                Matcher m = kernelClass.matcher(Files.readString(f));
                while (m.find()) {
                    bad.add(src.relativize(f) + ": imports dev.cca.kvm." + m.group(2));
                }
            }
        }
        assertTrue(files > 10, "sources not found under " + src);
        assertTrue(bad.isEmpty(), "vmm-cli must reach KVM through Process.open/ioctl/mmap only:\n" + String.join("\n", bad));
    }
}
