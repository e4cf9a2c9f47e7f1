package dev.cca.vmm;

import dev.cca.core.cpu.Cpu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --engine} picks the engine of the run, and {@code --max-instructions} stops either engine at exactly that
 * count: the benchmark loop runs 2 million instructions, enough for the translator to translate its block at the
 * default threshold.
 */
class EngineOptionTest {
    private static final Path LOOP = Path.of("..", "src-test-images", "bench", "mips-loop.elf");
    private boolean defaultTranslation;

    @BeforeEach
    void remember() {
        defaultTranslation = Cpu.defaultTranslation();
    }

    @AfterEach
    void restore() {
        Cpu.setDefaultTranslation(defaultTranslation); // --engine sets the default of the PEs created afterwards
    }

    @ParameterizedTest
    @ValueSource(strings = {"jit", "interp"})
    void theEngineRunsTheLoopToExactlyTheLimit(String engine) {
        CliRunner r = CliRunner.run("run", "--engine", engine, "-k", LOOP.toString(), "--max-instructions", "2000000");
        assertEquals(RunCommand.EXIT_LIMIT, r.exit(), r.err());
        assertTrue(r.err().contains("ended:        instruction limit reached"), r.err());
        assertTrue(r.err().contains("\ninstructions: 2000000\n"), r.err());
        if (engine.equals("jit")) {
            assertTrue(r.err().matches("(?s).*\ntranslated: +[1-9][0-9]* blocks .*PE: [1-9][0-9]* block runs.*"),
                    r.err());
        } else {
            assertFalse(r.err().contains("translated:"), r.err());
        }
    }
}
