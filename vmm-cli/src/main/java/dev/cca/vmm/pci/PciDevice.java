package dev.cca.vmm.pci;

/**
 * A PCI function with a type 0 configuration header (PCI Local Bus 3.0, chapter 6): identification, the command
 * and status registers, up to six BARs sized and placed by the guest, the interrupt pin and line, and a
 * capability list that subclasses fill in above 0x40. Configuration space is 4 KiB (ECAM); above 0x100 it reads
 * as zero (no extended capabilities). Subclasses implement their BARs' registers with {@link #barRead} and
 * {@link #barWrite}, and raise INTx with {@link #setIntx}.
 *
 * <p>Accesses come from any vCPU thread; the function's state is guarded by its own monitor.
 */
public abstract class PciDevice {
    public static final int VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, STATUS = 0x06, REVISION = 0x08,
            CLASS_PROG = 0x09, HEADER_TYPE = 0x0E, BAR0 = 0x10, SUBSYSTEM_VENDOR_ID = 0x2C, SUBSYSTEM_ID = 0x2E,
            CAPABILITIES = 0x34, INTERRUPT_LINE = 0x3C, INTERRUPT_PIN = 0x3D;
    public static final int CMD_IO = 1, CMD_MEMORY = 2, CMD_MASTER = 4, CMD_INTX_DISABLE = 1 << 10;
    public static final int STATUS_INTX = 1 << 3, STATUS_CAP_LIST = 1 << 4;
    public static final int CONFIG_SIZE = 4096;
    /** The first byte of the capability area. */
    protected static final int CAP_START = 0x40;

    /** A BAR: its size (a power of two), and whether it decodes I/O or 32-bit memory space. */
    public record Bar(long size, boolean io) {
        public Bar {
            if (Long.bitCount(size) != 1 || size < (io ? 4 : 16)) {
                throw new IllegalArgumentException("BAR size must be a power of two, was " + size);
            }
        }
    }

    protected final byte[] config = new byte[CONFIG_SIZE];
    private final Bar[] bars = new Bar[6];
    private final int[] barRegs = new int[6];
    private int command;
    private boolean intxPending;
    /** Whether the pin is asserted: written under the monitor, read by the host bridge without it. */
    private volatile boolean intxAsserted;
    private int nextCap = CAP_START;
    private int lastCap = -1;
    /** Set by the host bridge when the function is plugged in. */
    private PciHost host;
    private int slot = -1;

    protected PciDevice(int vendor, int device, int classCode, int revision, int subsystemVendor, int subsystem,
                        boolean intx) {
        put(VENDOR_ID, 2, vendor);
        put(DEVICE_ID, 2, device);
        put(REVISION, 1, revision);
        put(CLASS_PROG, 3, classCode);
        put(HEADER_TYPE, 1, 0);
        put(SUBSYSTEM_VENDOR_ID, 2, subsystemVendor);
        put(SUBSYSTEM_ID, 2, subsystem);
        put(INTERRUPT_PIN, 1, intx ? 1 : 0); // INTA
    }

    /** A short name for logs and the device list ("virtio-blk", "pci-testdev"). */
    public abstract String name();

    /** Declares BAR {@code index}; call from the constructor. */
    protected final void defineBar(int index, Bar bar) {
        bars[index] = bar;
        barRegs[index] = bar.io() ? 1 : 0;
    }

    /**
     * Appends a capability of {@code length} bytes with id {@code id} to the list; returns its offset so that
     * the subclass can fill in the bytes after the id and next pointer.
     */
    protected final int addCapability(int id, int length) {
        int at = nextCap;
        if (at + length > 0x100) {
            throw new IllegalStateException("capabilities do not fit in the 256-byte header");
        }
        config[at] = (byte) id;
        config[at + 1] = 0;
        if (lastCap < 0) {
            put(CAPABILITIES, 1, at);
            put(STATUS, 2, STATUS_CAP_LIST);
        } else {
            config[lastCap + 1] = (byte) at;
        }
        lastCap = at;
        nextCap = (at + length + 3) & ~3;
        return at;
    }

    protected final void put(int off, int size, long v) {
        for (int i = 0; i < size; i++) {
            config[off + i] = (byte) (v >>> (8 * i));
        }
    }

    protected final long get(int off, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (config[off + i] & 0xFF);
        }
        return v;
    }

    // ---- configuration space ----------------------------------------------------------------------------------

    /** A configuration read of 1, 2 or 4 bytes at {@code off} (any alignment inside the 4 KiB). */
    public final synchronized long readConfig(int off, int size) {
        if (off >= CAP_START && off < 0x100) {
            Long special = registerRead(off, size);
            if (special != null) {
                return special;
            }
        }
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (configByte(off + i) & 0xFF);
        }
        return v;
    }

    private int configByte(int off) {
        if (off < 0 || off >= 0x100) {
            return 0;
        }
        if (off >= BAR0 && off < BAR0 + 24) {
            return barRegs[(off - BAR0) / 4] >>> (8 * (off & 3));
        }
        if (off == COMMAND || off == COMMAND + 1) {
            return command >>> (8 * (off - COMMAND));
        }
        if (off == STATUS) {
            return (config[STATUS] & ~STATUS_INTX) | (intxPending ? STATUS_INTX : 0);
        }
        if (off >= CAP_START) {
            return capabilityRead(off);
        }
        return config[off];
    }

    /** A configuration write of 1, 2 or 4 bytes; read-only and reserved bits keep their value. */
    public final void writeConfig(int off, int size, long value) {
        boolean intxChanged;
        synchronized (this) {
            if (!(off >= CAP_START && off < 0x100 && registerWrite(off, size, value))) {
                for (int i = 0; i < size; i++) {
                    writeConfigByte(off + i, (int) (value >>> (8 * i)) & 0xFF);
                }
            }
            intxChanged = recomputeIntx();
        }
        if (intxChanged) {
            updateIntx();
        }
    }

    private void writeConfigByte(int off, int b) {
        if (off < 0 || off >= 0x100) {
            return;
        }
        if (off >= BAR0 && off < BAR0 + 24) {
            int i = (off - BAR0) / 4;
            Bar bar = bars[i];
            if (bar == null) {
                return;
            }
            int shift = 8 * (off & 3);
            int reg = (barRegs[i] & ~(0xFF << shift)) | (b << shift);
            // The address bits below the BAR's size are hard-wired to zero: writing all ones reads back the size.
            barRegs[i] = (reg & (int) ~(bar.size() - 1) & (bar.io() ? ~3 : ~15)) | (bar.io() ? 1 : 0);
            return;
        }
        if (off == COMMAND || off == COMMAND + 1) {
            int shift = 8 * (off - COMMAND);
            int c = (command & ~(0xFF << shift)) | (b << shift);
            command = c & (CMD_IO | CMD_MEMORY | CMD_MASTER | CMD_INTX_DISABLE);
            return;
        }
        if (off == 0x0C || off == 0x0D || off == INTERRUPT_LINE) { // cache line size, latency timer, line
            config[off] = (byte) b;
            return;
        }
        if (off >= CAP_START) {
            capabilityWrite(off, b);
        }
    }

    /**
     * A whole access to a register in the capability area that is not plain bytes (a window into a BAR): the
     * value, or null to read the bytes with {@link #capabilityRead}.
     */
    protected Long registerRead(int off, int size) {
        return null;
    }

    /** A whole write to such a register: true if handled, false to write the bytes with {@link #capabilityWrite}. */
    protected boolean registerWrite(int off, int size, long value) {
        return false;
    }

    /** A byte of the capability area (0x40..0xFF); subclasses with registers there override it. */
    protected int capabilityRead(int off) {
        return config[off];
    }

    /** A byte written to the capability area; read-only by default. */
    protected void capabilityWrite(int off, int b) {
    }

    // ---- BARs ---------------------------------------------------------------------------------------------

    /** BAR {@code i}'s guest-assigned base (CPU address for memory, port number for I/O), or -1 if not decoding. */
    final synchronized long barBase(int i) {
        Bar bar = bars[i];
        if (bar == null || (command & (bar.io() ? CMD_IO : CMD_MEMORY)) == 0) {
            return -1;
        }
        return (barRegs[i] & (bar.io() ? ~3L : ~15L)) & 0xFFFF_FFFFL;
    }

    final Bar bar(int i) {
        return bars[i];
    }

    /** A read of {@code size} bytes at {@code off} into BAR {@code bar}. */
    protected abstract long barRead(int bar, long off, int size);

    /** A write of {@code size} bytes at {@code off} into BAR {@code bar}. */
    protected abstract void barWrite(int bar, long off, int size, long value);

    // ---- INTx ---------------------------------------------------------------------------------------------

    /** The function's interrupt condition; the pin is asserted while it holds and INTx is not disabled. */
    protected final void setIntx(boolean pending) {
        boolean changed;
        synchronized (this) {
            intxPending = pending;
            changed = recomputeIntx();
        }
        if (changed) {
            updateIntx();
        }
    }

    private boolean recomputeIntx() {
        boolean a = intxPending && (command & CMD_INTX_DISABLE) == 0 && config[INTERRUPT_PIN] != 0;
        boolean changed = a != intxAsserted;
        intxAsserted = a;
        return changed;
    }

    /** Whether the INTx pin is asserted (no lock: the host bridge reads it under its own). */
    final boolean intxAsserted() {
        return intxAsserted;
    }

    /** Whether the function may master the bus (Bus Master Enable): a function sends no MSI without it. */
    protected final synchronized boolean busMaster() {
        return (command & CMD_MASTER) != 0;
    }

    /** Sends an MSI write through the host bridge (MSI-X fires it), if bus mastering is enabled. */
    final void sendMsi(long address, int data) {
        PciHost h = host;
        if (h != null && busMaster()) {
            h.sendMsi(this, address, data);
        }
    }

    private void updateIntx() {
        PciHost h = host;
        if (h != null) {
            h.intxChanged(this);
        }
    }

    /** The INTx pin, 1 (INTA) to 4 (INTD), or 0 for none. */
    final int interruptPin() {
        return config[INTERRUPT_PIN];
    }

    final void plug(PciHost h, int s) {
        this.host = h;
        this.slot = s;
    }

    public final int slot() {
        return slot;
    }

    /** The vendor and device id, "1af4:1042". */
    public final String ids() {
        return String.format("%04x:%04x", get(VENDOR_ID, 2), get(DEVICE_ID, 2));
    }
}
