package dev.cca.vmm;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Standard input reaches the guest's PL011 and its interrupt (SPI 33 through KVM_IRQ_LINE), and standard output
 * carries the guest's console only.
 */
class ConsoleInputTest {
    static final Path ECHO = NormalVmTest.PLATFORM.resolve("uart-echo.elf");

    @Test
    void pipedInputIsReceivedByInterruptAndEchoedByTheGuest() {
        CliRunner r = CliRunner.runWithInput("hello, uart\n".getBytes(StandardCharsets.US_ASCII), "run", "-k",
                ECHO.toString(), "--timeout", "60s");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().startsWith("uart-echo: ready\nHELLO, UART\nuart-echo: interrupts 0x"), r.out());
        assertTrue(r.out().endsWith("\nuart-echo: PASS\n"), r.out());
        assertTrue(r.err().contains("ended:        guest powered off"), r.err());
    }

    @Test
    void inputLongerThanTheFifoArrivesWhole() {
        String line = "the quick brown fox jumps over the lazy dog ".repeat(40);
        CliRunner r = CliRunner.runWithInput((line + "\n").getBytes(StandardCharsets.US_ASCII), "run", "-k",
                ECHO.toString(), "--timeout", "60s");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains(line.toUpperCase(java.util.Locale.ROOT) + "\n"), r.out());
        assertTrue(r.out().contains("uart-echo: PASS"), r.out());
    }

    @Test
    void endOfInputDoesNotEndTheRunButAGuestLeftWaitingForInputIsReported() {
        // End of file does not stop the guest: it gets every byte. Then it waits for more in WFI with no timer
        // armed, and with the input ended nothing can wake it: the run ends with that report, before --timeout.
        CliRunner r = CliRunner.runWithInput("no newline".getBytes(StandardCharsets.US_ASCII), "run", "-k",
                ECHO.toString(), "--timeout", "60s");
        assertEquals(RunCommand.EXIT_ERROR, r.exit(), r.out() + r.err());
        assertEquals("uart-echo: ready\nNO NEWLINE", r.out(), "the guest got every byte and waits for more");
        assertTrue(r.err().contains("ended:        the guest sleeps and nothing can wake it"), r.err());
    }
}
