package dev.cca.vmm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** README.md shows the output of `./cca run`: its RIM must be the one the embedded realm really gets. */
class ReadmeExampleTest {
    @Test
    void readmeShowsTheDefaultRealmsActualRim() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher m = Pattern.compile("RIM \\(SHA-256\\): ([0-9a-f]{64})").matcher(readme);
        assertTrue(m.find(), "README.md shows a run summary with the RIM");
        CliRunner r = CliRunner.run("run");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("RIM (SHA-256): " + m.group(1)),
                "README.md's example RIM " + m.group(1) + " is stale; ./cca run prints:\n" + r.err());
    }
}
