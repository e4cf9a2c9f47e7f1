package dev.cca.vmm;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The committed realm interrupt test guests are what their sources build to (checked when binutils are there). */
class RealmGicImagesTest {
    static final Path DIR = Path.of("..", "src-test-images", "realm-gic");

    @Test
    void committedImagesMatchTheirSources(@TempDir Path out) throws IOException, InterruptedException {
        boolean haveAs = new ProcessBuilder("sh", "-c", "command -v aarch64-linux-gnu-as").start().waitFor() == 0;
        Assumptions.assumeTrue(haveAs,
                "aarch64-linux-gnu-as not installed (apt-get install binutils-aarch64-linux-gnu): not checked");
        Process p = new ProcessBuilder("sh", DIR.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        for (String g : new String[] {"realm-sgi.elf", "realm-timer.elf"}) {
            assertArrayEquals(Files.readAllBytes(DIR.resolve(g)), Files.readAllBytes(out.resolve(g)),
                    "src-test-images/realm-gic/" + g + " is stale: run src-test-images/realm-gic/build.sh");
        }
    }
}
