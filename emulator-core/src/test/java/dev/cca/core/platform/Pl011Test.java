package dev.cca.core.platform;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.cca.core.platform.Pl011.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Pl011Test {
    private final ByteArrayOutputStream tx = new ByteArrayOutputStream();
    private final List<Boolean> levels = new ArrayList<>();
    private final Pl011 uart = new Pl011(tx, levels::add);

    private void send(String s) throws InterruptedException {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        assertTrue(uart.receive(b, 0, b.length));
    }

    private boolean rxEmpty() {
        return (uart.read(FR) & FR_RXFE) != 0;
    }

    private String drain() {
        StringBuilder b = new StringBuilder();
        while (!rxEmpty()) {
            b.append((char) uart.read(DR));
        }
        return b.toString();
    }

    /** What Linux's pl011_startup and set_mctrl leave: enabled, FIFOs on, RX and RT interrupts unmasked, RTS. */
    private void openLikeLinux() {
        uart.write(LCR_H, LCR_H_FEN | 0x60);
        uart.write(CR, CR_UARTEN | CR_TXE | CR_RXE);
        uart.write(IMSC, INT_RX | INT_RT);
        uart.write(CR, CR_UARTEN | CR_TXE | CR_RXE | CR_RTS);
    }

    @Test
    void resetStateReportsAnEmptyReceiveFifoAndTheArmIdentification() {
        assertEquals(FR_RXFE | FR_TXFE, uart.read(FR));
        assertEquals(0x300, uart.read(CR));
        assertEquals(0x12, uart.read(IFLS));
        assertEquals(0x14, uart.read(0xFE8)); // PeriphID2: revision 1, a 16-deep FIFO
        assertEquals(0, uart.read(DR));
    }

    @Test
    void inputWaitsUntilTheReceiverIsEnabledAndAssertsRts() throws Exception {
        uart.write(CR, CR_TXE | CR_RXE); // the guest configures the UART, still disabled
        send("hi");
        assertTrue(rxEmpty(), "UARTEN clear: nothing is sent");
        uart.write(CR, CR_UARTEN | CR_TXE | CR_RXE);
        assertTrue(rxEmpty(), "RTS not asserted: the other end waits (Linux drains the FIFO before raising it)");
        assertEquals(2, uart.pendingBytes());
        uart.write(CR, CR_UARTEN | CR_TXE | CR_RXE | CR_RTS);
        assertEquals("hi", drain());
        assertEquals(0, uart.pendingBytes());
    }

    /** kvm-unit-tests' getchar polls FR and reads DR of a UART it never configures (CR at its reset value). */
    @Test
    void aUartTheGuestNeverConfiguredReceivesOneCharacterAtATime() throws Exception {
        send("k\n");
        assertFalse(rxEmpty(), "CR never written: the UART receives as the firmware left it");
        assertEquals('k', uart.read(DR));
        assertEquals('\n', uart.read(DR));
        assertTrue(rxEmpty());
        uart.write(CR, CR_TXE | CR_RXE);
        send("x");
        assertTrue(rxEmpty(), "once configured, flow control applies: UARTEN clear");
    }

    @Test
    void withoutFifosOneCharacterIsHeldAndTheRestWaitsForRoom() throws Exception {
        uart.write(CR, CR_UARTEN | CR_RXE | CR_RTS);
        send("abc");
        assertEquals(FR_RXFF | FR_TXFE, uart.read(FR), "a one-entry holding register is full");
        assertEquals('a', uart.read(DR));
        assertEquals('b', uart.read(DR));
        assertEquals('c', uart.read(DR));
        assertTrue(rxEmpty());
    }

    @Test
    void theFifoHoldsSixteenCharactersAndNothingIsLost() throws Exception {
        uart.write(LCR_H, LCR_H_FEN);
        uart.write(CR, CR_UARTEN | CR_RXE | CR_RTS);
        String text = "0123456789abcdefghijklmnopqrstuvwxyz";
        send(text);
        assertTrue((uart.read(FR) & FR_RXFF) != 0);
        assertEquals(text.length() - FIFO_DEPTH, uart.pendingBytes());
        assertEquals(text, drain());
    }

    @Test
    void receiveInterruptFollowsTheTriggerLevelAndTimeoutFollowsAnyData() throws Exception {
        openLikeLinux(); // IFLS reset value: receive trigger at 1/2, 8 characters
        assertEquals(List.of(), levels);
        send("abc");
        assertEquals(INT_RT, uart.read(RIS) & (INT_RX | INT_RT), "below the trigger level: receive timeout only");
        assertEquals(List.of(true), levels, "the line rises");
        send("defghij");
        assertEquals(INT_RX | INT_RT, uart.read(MIS));
        for (int i = 0; i < 3; i++) {
            uart.read(DR);
        }
        assertEquals(INT_RT, uart.read(MIS), "below 8 again: RXRIS falls");
        drain();
        assertEquals(0, uart.read(MIS));
        assertEquals(List.of(true, false), levels, "one rise and one fall: a level interrupt");
    }

    @Test
    void maskedInterruptsShowInRisButDoNotDriveTheLine() throws Exception {
        uart.write(LCR_H, LCR_H_FEN);
        uart.write(CR, CR_UARTEN | CR_RXE | CR_RTS);
        send("x");
        assertEquals(INT_RT, uart.read(RIS));
        assertEquals(0, uart.read(MIS));
        assertEquals(List.of(), levels);
        uart.write(IMSC, INT_RT);
        assertEquals(List.of(true), levels);
    }

    @Test
    void transmitRaisesTxRisWhichIcrClears() {
        uart.write(CR, CR_UARTEN | CR_TXE);
        uart.write(DR, 'A');
        assertEquals("A", tx.toString(StandardCharsets.ISO_8859_1));
        assertEquals(INT_TX, uart.read(RIS));
        uart.write(IMSC, INT_TX);
        assertEquals(List.of(true), levels);
        uart.write(ICR, INT_TX);
        assertEquals(0, uart.read(RIS));
        assertEquals(List.of(true, false), levels);
    }

    @Test
    void aFullSenderBufferBlocksUntilTheGuestReadsOrTheLineCloses() throws Exception {
        uart.write(CR, CR_TXE | CR_RXE); // configured, receiver disabled: the other end waits
        byte[] big = new byte[SENDER_BUFFER + 1];
        boolean[] result = new boolean[1];
        Thread sender = new Thread(() -> {
            try {
                result[0] = uart.receive(big, 0, big.length);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        sender.start();
        sender.join(200);
        assertTrue(sender.isAlive(), "blocked: the guest accepts nothing and the buffer is full");
        uart.close();
        sender.join(5000);
        assertFalse(sender.isAlive());
        assertFalse(result[0], "the line closed before everything was sent");
    }
}
