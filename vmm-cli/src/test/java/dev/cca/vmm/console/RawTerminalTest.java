package dev.cca.vmm.console;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RawTerminalTest {
    @Test
    void aTestJvmsPipedStandardInputIsNotATerminal() {
        // Surefire talks to the forked JVM through a pipe: stty -g fails there, so no raw mode is attempted.
        assertEquals(RawTerminal.Stdin.NOT_A_TERMINAL, RawTerminal.classify());
    }
}
