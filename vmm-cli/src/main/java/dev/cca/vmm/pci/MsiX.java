package dev.cca.vmm.pci;

/**
 * The MSI-X state of a PCI function (PCI Local Bus 3.0, 6.8.2): the capability's Message Control (table size,
 * Function Mask, MSI-X Enable), the vector table (address, data and Vector Control per entry, every entry masked
 * at reset) and the Pending Bit Array, both in a BAR. {@link #fire} sends a vector's message through the host
 * bridge's {@link PciHost.MsiSink} with the function's requester ID, or sets its pending bit while it is masked;
 * unmasking sends what is pending. The owning {@link PciDevice} calls it under its own monitor.
 */
public final class MsiX {
    /** The capability ID and its length in configuration space. */
    public static final int CAP_ID = 0x11, CAP_LENGTH = 12;
    public static final int CTRL_ENABLE = 1 << 15, CTRL_FUNCTION_MASK = 1 << 14;
    private static final int ENTRY = 16;

    private final int vectors;
    private final long[] address;
    private final int[] data;
    private final boolean[] masked;
    private final boolean[] pending;
    private boolean enabled, functionMasked;

    public MsiX(int vectors) {
        if (vectors < 1 || vectors > 2048) {
            throw new IllegalArgumentException("MSI-X has 1 to 2048 vectors, asked for " + vectors);
        }
        this.vectors = vectors;
        address = new long[vectors];
        data = new int[vectors];
        masked = new boolean[vectors];
        pending = new boolean[vectors];
        reset();
    }

    public int vectors() {
        return vectors;
    }

    /** Bytes of BAR the table needs (16 per vector); the PBA goes after it, 8-byte aligned. */
    public int tableSize() {
        return vectors * ENTRY;
    }

    public int pbaSize() {
        return ((vectors + 63) / 64) * 8;
    }

    /** The function's reset: MSI-X disabled, every vector masked with a zero message, nothing pending. */
    public void reset() {
        enabled = false;
        functionMasked = false;
        for (int i = 0; i < vectors; i++) {
            address[i] = 0;
            data[i] = 0;
            masked[i] = true;
            pending[i] = false;
        }
    }

    public boolean enabled() {
        return enabled;
    }

    /** Message Control: table size - 1, Function Mask, MSI-X Enable. */
    public int control() {
        return (vectors - 1) | (functionMasked ? CTRL_FUNCTION_MASK : 0) | (enabled ? CTRL_ENABLE : 0);
    }

    /** A write of Message Control (only Enable and Function Mask are writable). */
    public void writeControl(int v, PciDevice dev) {
        enabled = (v & CTRL_ENABLE) != 0;
        functionMasked = (v & CTRL_FUNCTION_MASK) != 0;
        deliverPending(dev);
    }

    /** A read of {@code size} bytes at {@code off} in the table. */
    public long tableRead(long off, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | tableByte(off + i);
        }
        return v;
    }

    private int tableByte(long off) {
        if (off < 0 || off >= tableSize()) {
            return 0;
        }
        int n = (int) (off / ENTRY);
        int o = (int) (off % ENTRY);
        long word = o < 8 ? address[n] >>> (8 * o) : o < 12 ? data[n] >>> (8 * (o - 8)) : masked[n] ? 1 >>> (8 * (o - 12)) : 0;
        return (int) word & 0xFF;
    }

    /** A write of {@code size} bytes at {@code off} in the table; unmasking a pending vector sends it. */
    public void tableWrite(long off, int size, long value, PciDevice dev) {
        for (int i = 0; i < size; i++) {
            long o = off + i;
            if (o < 0 || o >= tableSize()) {
                continue;
            }
            int n = (int) (o / ENTRY);
            int b = (int) (o % ENTRY);
            int byteValue = (int) (value >>> (8 * i)) & 0xFF;
            if (b < 8) {
                long mask = 0xFFL << (8 * b);
                address[n] = (address[n] & ~mask) | ((long) byteValue << (8 * b));
            } else if (b < 12) {
                int shift = 8 * (b - 8);
                data[n] = (data[n] & ~(0xFF << shift)) | (byteValue << shift);
            } else if (b == 12) {
                masked[n] = (byteValue & 1) != 0;
            }
        }
        deliverPending(dev);
    }

    /** A read of the Pending Bit Array (read-only). */
    public long pbaRead(long off, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            long bit0 = (off + i) * 8;
            int b = 0;
            for (int k = 0; k < 8; k++) {
                long n = bit0 + k;
                if (n < vectors && pending[(int) n]) {
                    b |= 1 << k;
                }
            }
            v = (v << 8) | b;
        }
        return v;
    }

    /**
     * The function signals vector {@code n}: its message is sent now, or held pending while the vector or the
     * function is masked. Returns false if MSI-X is disabled or {@code n} is not a vector (nothing happens).
     */
    public boolean fire(int n, PciDevice dev) {
        if (!enabled || n < 0 || n >= vectors) {
            return false;
        }
        if (functionMasked || masked[n]) {
            pending[n] = true;
            return true;
        }
        dev.sendMsi(address[n], data[n]);
        return true;
    }

    private void deliverPending(PciDevice dev) {
        if (!enabled || functionMasked) {
            return;
        }
        for (int n = 0; n < vectors; n++) {
            if (pending[n] && !masked[n]) {
                pending[n] = false;
                dev.sendMsi(address[n], data[n]);
            }
        }
    }
}
