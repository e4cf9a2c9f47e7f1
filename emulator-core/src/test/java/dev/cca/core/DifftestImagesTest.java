package dev.cca.core;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The committed differential-test ELFs are what their sources build to (when the cross binutils exist). */
class DifftestImagesTest {
    @Test
    void committedProgramsMatchTheirSources(@TempDir Path out) throws IOException, InterruptedException {
        boolean haveAs = new ProcessBuilder("sh", "-c", "command -v aarch64-linux-gnu-as").start().waitFor() == 0;
        Assumptions.assumeTrue(haveAs,
                "aarch64-linux-gnu-as not installed (apt-get install binutils-aarch64-linux-gnu): not checked");
        Path dir = DifferentialSuiteTest.DIR;
        ProcessBuilder pb = new ProcessBuilder("sh", dir.resolve("build.sh").toString()).redirectErrorStream(true);
        pb.environment().put("DIFFTEST_OUT", out.toString());
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        try (Stream<Path> built = Files.list(out)) {
            for (Path f : (Iterable<Path>) built::iterator) {
                Path committed = dir.resolve("build").resolve(f.getFileName());
                assertArrayEquals(Files.readAllBytes(committed), Files.readAllBytes(f),
                        committed + " is stale: run src-test-images/difftest/build.sh");
            }
        }
    }
}
