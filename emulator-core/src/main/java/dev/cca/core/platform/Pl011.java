package dev.cca.core.platform;

import dev.cca.core.mem.MmioDevice;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A PL011 UART (Arm PrimeCell UART, DDI 0183), transmit side: writes to UARTDR go to an output stream; UARTFR
 * reports an empty transmit FIFO and an empty receive FIFO; the identification registers read as a PL011.
 * Used as a device on a bare machine's bus and by the VMM, which emulates it on MMIO exits.
 */
public final class Pl011 implements MmioDevice {
    static final int DR = 0x000, FR = 0x018, IBRD = 0x024, FBRD = 0x028, LCR_H = 0x02C, CR = 0x030,
            IMSC = 0x038, RIS = 0x03C, MIS = 0x040, ICR = 0x044;
    private static final int FR_RXFE = 1 << 4, FR_TXFE = 1 << 7;
    private static final int[] ID = {0x11, 0x10, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1}; // PeriphID0-3, PCellID0-3

    private final OutputStream out;
    private int cr = 0x300, lcrH, ibrd, fbrd, imsc;
    private long bytesWritten;

    public Pl011(OutputStream out) {
        this.out = out;
    }

    public long read(long offset) {
        switch ((int) offset) {
            case DR: return 0;
            case FR: return FR_RXFE | FR_TXFE;
            case IBRD: return ibrd;
            case FBRD: return fbrd;
            case LCR_H: return lcrH;
            case CR: return cr;
            case IMSC: return imsc;
            case RIS:
            case MIS: return 0;
            default:
                if (offset >= 0xFE0 && offset < 0x1000) {
                    return ID[(int) (offset - 0xFE0) / 4];
                }
                return 0;
        }
    }

    public void write(long offset, long value) {
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
                break;
            case IBRD: ibrd = (int) value; break;
            case FBRD: fbrd = (int) value; break;
            case LCR_H: lcrH = (int) value; break;
            case CR: cr = (int) value; break;
            case IMSC: imsc = (int) value; break;
            default: break;
        }
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

    public long bytesWritten() {
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
