package dev.cca.core.platform;

import dev.cca.core.mem.MmioDevice;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A PL011 UART (Arm PrimeCell UART r1p5, DDI 0183G), as seen by software: transmit, receive FIFO and interrupts.
 *
 * <p>Transmit: a write to UARTDR is sent to the output stream at once, so the transmit FIFO is always empty
 * (FR.TXFE) and never full, and the transmit interrupt (TXRIS) is raised by every character sent, as the FIFO
 * drops to empty below its trigger level.
 *
 * <p>Receive: a 16-entry FIFO (one entry when LCR_H.FEN is clear), read through UARTDR (data in bits 7:0, error
 * bits 11:8 always clear), with FR.RXFE/RXFF. The receive interrupt RXRIS is high while the FIFO holds at least the
 * IFLS trigger level; the receive timeout interrupt RTRIS rises when the FIFO holds data and the line is idle,
 * which in this model is at once (the other end sends what it may instantly), and falls when the FIFO is
 * emptied. ICR clears
 * raw status bits; MIS = RIS &amp; IMSC; the interrupt output (UARTINTR) is the OR of MIS, driven through
 * {@link IrqLine} whenever it changes (a level-sensitive line).
 *
 * <p>The other end of the line ({@link #receive}) honours hardware flow control: it sends only while the UART is
 * enabled to receive (CR.UARTEN and CR.RXE) and asserts request-to-send (CR.RTS, or CR.RTSEN with room in the
 * FIFO), so nothing it sends is dropped. Its bytes wait in a bounded buffer of the sender until then. Linux
 * raises RTS when the port is opened (after it has drained the FIFO in pl011_startup); a bare-metal guest that
 * polls the UART sets CR.RTS itself. Until the guest first writes CR, the UART is taken to be as the firmware
 * left it, ready to receive, and the other end sends while the FIFO has room: bare-metal programs that poll a UART
 * they never configure (kvm-unit-tests' getchar) then read their input, as on QEMU, whose PL011 receives whatever
 * CR holds.
 *
 * <p>Thread-safe: vCPU threads access the registers, another thread feeds received bytes.
 */
public final class Pl011 implements MmioDevice {
    static final int DR = 0x000, RSR = 0x004, FR = 0x018, IBRD = 0x024, FBRD = 0x028, LCR_H = 0x02C, CR = 0x030,
            IFLS = 0x034, IMSC = 0x038, RIS = 0x03C, MIS = 0x040, ICR = 0x044, DMACR = 0x048;
    static final int FR_RXFE = 1 << 4, FR_TXFF = 1 << 5, FR_RXFF = 1 << 6, FR_TXFE = 1 << 7;
    static final int CR_UARTEN = 1, CR_TXE = 1 << 8, CR_RXE = 1 << 9, CR_RTS = 1 << 11, CR_RTSEN = 1 << 14;
    static final int LCR_H_FEN = 1 << 4;
    /** Interrupt bits of IMSC, RIS, MIS and ICR. */
    public static final int INT_RX = 1 << 4, INT_TX = 1 << 5, INT_RT = 1 << 6;
    private static final int INT_ALL = 0x7FF;
    /** Receive FIFO depth of a revision 1 PL011 (PeriphID2 = 0x14); Linux reads the revision to size it. */
    public static final int FIFO_DEPTH = 16;
    /** Bytes the other end of the line holds while the UART does not accept them. */
    public static final int SENDER_BUFFER = 64 * 1024;
    private static final int[] ID = {0x11, 0x10, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1}; // PeriphID0-3, PCellID0-3

    /** The UART's interrupt output, wired to an interrupt controller (level-sensitive). */
    @FunctionalInterface
    public interface IrqLine {
        void set(boolean high);
    }

    private final OutputStream out;
    private final IrqLine irq;
    private int cr = CR_RXE | CR_TXE, lcrH, ibrd, fbrd, imsc, ifls = 0x12, dmacr, ris;
    /** Whether the guest has written CR: until then flow control is not applied ({@link #clearToSend}). */
    private boolean crWritten;
    private boolean line;
    private long bytesWritten;
    // The receive FIFO, a ring of FIFO_DEPTH entries.
    private final byte[] fifo = new byte[FIFO_DEPTH];
    private int head, count;
    // The sender's buffer: bytes the other end has not been allowed to send yet (a ring).
    private final byte[] pending = new byte[SENDER_BUFFER];
    private int pendingHead, pendingCount;
    private boolean closed;

    /** A UART whose interrupt output is not connected. */
    public Pl011(OutputStream out) {
        this(out, high -> { });
    }

    public Pl011(OutputStream out, IrqLine irq) {
        this.out = out;
        this.irq = irq;
    }

    public synchronized long read(long offset) {
        switch ((int) offset) {
            case DR: return readData();
            case RSR: return 0; // no framing, parity, break or overrun errors: flow control prevents overruns
            case FR: return (count == 0 ? FR_RXFE : 0) | (count >= depth() ? FR_RXFF : 0) | FR_TXFE;
            case IBRD: return ibrd;
            case FBRD: return fbrd;
            case LCR_H: return lcrH;
            case CR: return cr;
            case IFLS: return ifls;
            case IMSC: return imsc;
            case RIS: return ris;
            case MIS: return ris & imsc;
            case DMACR: return dmacr;
            default:
                if (offset >= 0xFE0 && offset < 0x1000) {
                    return ID[(int) (offset - 0xFE0) / 4];
                }
                return 0;
        }
    }

    public synchronized void write(long offset, long value) {
        switch ((int) offset) {
            case DR:
                try {
                    out.write((int) value & 0xFF);
                    if ((value & 0xFF) == '\n') {
                        out.flush();
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                bytesWritten++;
                ris |= INT_TX; // sent at once: the transmit FIFO is empty again, below any trigger level
                break;
            case IBRD: ibrd = (int) value & 0xFFFF; break;
            case FBRD: fbrd = (int) value & 0x3F; break;
            case LCR_H: lcrH = (int) value & 0xFF; break;
            case CR: cr = (int) value & 0xFF87; crWritten = true; break;
            case IFLS: ifls = (int) value & 0x3F; break;
            case IMSC: imsc = (int) value & INT_ALL; break;
            case ICR: ris &= ~(int) value; break;
            case DMACR: dmacr = (int) value & 7; break;
            default: break;
        }
        transfer();
    }

    private int readData() {
        if (count == 0) {
            return 0;
        }
        int b = fifo[head] & 0xFF;
        head = (head + 1) % FIFO_DEPTH;
        count--;
        transfer(); // room for the sender; updates RXRIS/RTRIS and the line
        return b;
    }

    private int depth() {
        return (lcrH & LCR_H_FEN) != 0 ? FIFO_DEPTH : 1;
    }

    /** The receive trigger level (IFLS.RXIFLSEL: 1/8, 1/4, 1/2, 3/4, 7/8 of the FIFO); 1 with the FIFO off. */
    private int rxTrigger() {
        if ((lcrH & LCR_H_FEN) == 0) {
            return 1;
        }
        switch ((ifls >> 3) & 7) {
            case 0: return FIFO_DEPTH / 8;
            case 1: return FIFO_DEPTH / 4;
            case 3: return FIFO_DEPTH * 3 / 4;
            case 4: return FIFO_DEPTH * 7 / 8;
            default: return FIFO_DEPTH / 2;
        }
    }

    /**
     * Whether the other end may send: room in the FIFO and, once the guest has configured the UART, enabled to
     * receive with RTS asserted.
     */
    private boolean clearToSend() {
        if (!crWritten) {
            return count < depth();
        }
        return (cr & CR_UARTEN) != 0 && (cr & CR_RXE) != 0 && (cr & (CR_RTS | CR_RTSEN)) != 0 && count < depth();
    }

    /** Moves what the sender holds into the FIFO while flow control allows, then updates the interrupts. */
    private void transfer() {
        boolean moved = false;
        while (pendingCount > 0 && clearToSend()) {
            fifo[(head + count) % FIFO_DEPTH] = pending[pendingHead];
            count++;
            pendingHead = (pendingHead + 1) % SENDER_BUFFER;
            pendingCount--;
            moved = true;
        }
        if (moved) {
            notifyAll(); // the sender's buffer has room
        }
        if (count >= rxTrigger()) {
            ris |= INT_RX;
        } else {
            ris &= ~INT_RX;
        }
        // The sender delivers instantly, so after a transfer the line is idle: data in the FIFO means the receive
        // timeout has expired (and expires again after an ICR while data remains, as the hardware's timer does).
        if (count == 0) {
            ris &= ~INT_RT;
        } else {
            ris |= INT_RT;
        }
        boolean high = (ris & imsc) != 0;
        if (high != line) {
            line = high;
            irq.set(high);
        }
    }

    /**
     * The other end of the line sends {@code len} bytes: they enter the receive FIFO as flow control allows,
     * the rest waits in the sender's buffer. Blocks while that buffer is full; returns false if the UART was
     * {@link #close() closed} first.
     */
    public synchronized boolean receive(byte[] b, int off, int len) throws InterruptedException {
        for (int i = 0; i < len; i++) {
            while (pendingCount == SENDER_BUFFER && !closed) {
                wait();
            }
            if (closed) {
                return false;
            }
            pending[(pendingHead + pendingCount) % SENDER_BUFFER] = b[off + i];
            pendingCount++;
            if (pendingCount == SENDER_BUFFER || i == len - 1) {
                transfer();
            }
        }
        return true;
    }

    /** Bytes sent by the other end that have not entered the FIFO yet (flow control holds them). */
    public synchronized int pendingBytes() {
        return pendingCount;
    }

    /** Ends the line: a {@link #receive} waiting for room returns. */
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    @Override
    public synchronized long read(long offset, int size) {
        return read(offset);
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        write(offset, value);
    }

    @Override
    public String name() {
        return "pl011";
    }

    public synchronized long bytesWritten() {
        return bytesWritten;
    }

    public synchronized void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
