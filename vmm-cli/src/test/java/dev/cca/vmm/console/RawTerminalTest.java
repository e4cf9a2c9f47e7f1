package dev.cca.vmm.console;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RawTerminalTest {
    @Test
    void aTestJvmsPipedStandardInputIsNotATerminal() {
        // Surefire talks to the forked JVM through a pipe: stty -g fails there, so no raw mode is attempted.
        assertEquals(RawTerminal.Stdin.NOT_A_TERMINAL, RawTerminal.classify());
    }

    @Test
    void aPipedStandardInputIsToldFromProcWithoutStartingStty() throws java.io.IOException {
        java.nio.file.Path fd0 = java.nio.file.Path.of("/proc/self/fd/0");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isSymbolicLink(fd0), "no /proc/self/fd here");
        String target = java.nio.file.Files.readSymbolicLink(fd0).toString();
        org.junit.jupiter.api.Assumptions.assumeTrue(target.startsWith("pipe:"), "standard input is " + target);
        assertEquals(false, RawTerminal.mayBeTerminal());
    }
}
