package dev.cca.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Developer tool: runs one differential-test ELF on the emulator's bare machine and prints its UART output, for
 * comparing a verbose build of a program with QEMU's. Usage: java -cp target/classes:target/test-classes
 * dev.cca.core.DifftestRun program.elf [budget]
 */
public final class DifftestRun {
    private DifftestRun() {
    }

    public static void main(String[] args) throws IOException {
        long budget = args.length > 1 ? Long.parseLong(args[1]) : 2_000_000_000L;
        System.out.print(DifferentialSuiteTest.run(Files.readAllBytes(Path.of(args[0])), budget));
    }
}
