package dev.cca.vmm;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Debian's device tree compiler for tests: from PATH, or fetched by src-test-images/tools/get-dtc.sh. */
final class Dtc {
    private static String path;

    private Dtc() {
    }

    private static synchronized String dtc() throws IOException, InterruptedException {
        if (path == null) {
            Process p = new ProcessBuilder("sh", Path.of("..", "src-test-images", "tools", "get-dtc.sh").toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            boolean done = p.waitFor(120, TimeUnit.SECONDS);
            Assumptions.assumeTrue(done && p.exitValue() == 0,
                    "dtc is not installed and src-test-images/tools/get-dtc.sh could not fetch it (" + out
                            + "); install Debian's device-tree-compiler to run this check");
            String[] lines = out.split("\n");
            path = lines[lines.length - 1];
        }
        return path;
    }

    /** Decompiles a DTB to source; fails the test on any dtc warning or error. */
    static String decompile(Path dtb) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(dtc(), "-I", "dtb", "-O", "dts", dtb.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), err);
        assertEquals("", err.strip(), "dtc warnings");
        return out;
    }
}
