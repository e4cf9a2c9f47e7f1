package dev.cca.vmm;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The committed hello-realm.elf is what its source builds to (checked when the cross binutils are installed). */
class HelloRealmImageTest {
    @Test
    void committedImageMatchesItsSource(@TempDir Path out) throws IOException, InterruptedException {
        boolean haveAs = new ProcessBuilder("sh", "-c", "command -v aarch64-linux-gnu-as").start().waitFor() == 0;
        Assumptions.assumeTrue(haveAs,
                "aarch64-linux-gnu-as not installed (apt-get install binutils-aarch64-linux-gnu): not checked");
        Path dir = Path.of("..", "src-test-images", "hello-realm");
        Process p = new ProcessBuilder("sh", dir.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        assertArrayEquals(Files.readAllBytes(dir.resolve("hello-realm.elf")),
                Files.readAllBytes(out.resolve("hello-realm.elf")),
                "src-test-images/hello-realm/hello-realm.elf is stale: run src-test-images/hello-realm/build.sh");
    }
}
