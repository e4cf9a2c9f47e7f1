package dev.cca.vmm.virtio;

import dev.cca.vmm.device.GuestMemory;
import dev.cca.vmm.pci.MsiX;
import dev.cca.vmm.pci.PciDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The virtio 1.x PCI transport, modern only (virtio 1.x, 4.1): vendor 0x1af4, device 0x1040 + the virtio device
 * id, revision 1, and vendor-specific capabilities pointing into BAR0 (32-bit memory, 16 KiB): common
 * configuration at 0x0000, ISR status at 0x1000, device configuration at 0x2000, notifications at 0x3000 (4 bytes
 * per queue), plus the VIRTIO_PCI_CAP_PCI_CFG window. Interrupts are INTx: the ISR bit is set, the pin asserted,
 * and reading the ISR clears both. When the guest has an MSI controller (an ITS) the function also has an MSI-X
 * capability with one vector per queue plus one for configuration changes, its table at BAR1 offset 0 and its PBA
 * at BAR1 offset 0x800 (32-bit memory, 4 KiB); once the driver enables MSI-X, notifications go to the vectors
 * it put in msix_config and queue_msix_vector (none for NO_VECTOR) and the ISR and INTx are no longer used.
 *
 * <p>Features offered besides the device's: VIRTIO_F_VERSION_1, VIRTIO_RING_F_INDIRECT_DESC, and for realms
 * VIRTIO_F_ACCESS_PLATFORM (the guest must then bounce DMA through memory it shares; the transport refuses
 * FEATURES_OK from a realm's driver that does not accept it). A driver that breaks the protocol (a malformed
 * chain, a queue in memory it may not use) puts the device in DEVICE_NEEDS_RESET with a configuration-change
 * interrupt; the device ignores the queues until the driver resets it.
 */
public final class VirtioPciDevice extends PciDevice implements VirtioDevice.Context {
    private static final Logger LOG = LoggerFactory.getLogger(VirtioPciDevice.class);

    public static final int VENDOR = 0x1af4, DEVICE_BASE = 0x1040;
    public static final long F_RING_INDIRECT_DESC = 1L << 28, F_VERSION_1 = 1L << 32, F_ACCESS_PLATFORM = 1L << 33;
    public static final int STATUS_ACKNOWLEDGE = 1, STATUS_DRIVER = 2, STATUS_DRIVER_OK = 4, STATUS_FEATURES_OK = 8,
            STATUS_NEEDS_RESET = 0x40, STATUS_FAILED = 0x80;
    public static final int ISR_QUEUE = 1, ISR_CONFIG = 2;
    public static final int CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI_CFG = 5;
    public static final int COMMON_OFF = 0x0000, ISR_OFF = 0x1000, DEVICE_OFF = 0x2000, NOTIFY_OFF = 0x3000,
            BAR_SIZE = 0x4000, NOTIFY_MULTIPLIER = 4;
    /** struct virtio_pci_common_cfg. */
    public static final int DFSELECT = 0x00, DF = 0x04, GFSELECT = 0x08, GF = 0x0C, MSIX_CONFIG = 0x10,
            NUM_QUEUES = 0x12, DEVICE_STATUS = 0x14, CONFIG_GENERATION = 0x15, Q_SELECT = 0x16, Q_SIZE = 0x18,
            Q_MSIX_VECTOR = 0x1A, Q_ENABLE = 0x1C, Q_NOTIFY_OFF = 0x1E, Q_DESC = 0x20, Q_DRIVER = 0x28,
            Q_DEVICE = 0x30, COMMON_SIZE = 0x38;
    public static final int NO_VECTOR = 0xFFFF;
    /** With MSI-X: BAR1 holds the vector table at 0 and the pending bit array at PBA_OFF. */
    public static final int MSIX_BAR_SIZE = 0x1000, PBA_OFF = 0x800;

    private final VirtioDevice dev;
    private final Virtqueue[] queues;
    private final long offered;
    private final boolean realm;
    private int dfSelect, gfSelect, qSelect;
    private long driverFeatures;
    private int status;
    private int isr;
    private final int pciCfgCap;
    /** Malformed requests seen (for tests and the run's log). */
    private long protocolErrors;
    /** MSI-X (null without an MSI controller), its capability's offset, and the vectors the driver chose. */
    private final MsiX msix;
    private final int msixCap;
    private int msixConfig = NO_VECTOR;
    private final int[] queueVector;

    public VirtioPciDevice(VirtioDevice dev, GuestMemory mem, boolean realm) {
        this(dev, mem, realm, false);
    }

    /** {@code withMsix}: the function has an MSI-X capability (the guest has an ITS). */
    public VirtioPciDevice(VirtioDevice dev, GuestMemory mem, boolean realm, boolean withMsix) {
        super(VENDOR, DEVICE_BASE + dev.deviceId(), dev.pciClass(), 1, VENDOR, DEVICE_BASE + dev.deviceId(), true);
        this.dev = dev;
        this.realm = realm;
        int[] sizes = dev.queueSizes();
        queues = new Virtqueue[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            queues[i] = new Virtqueue(mem, sizes[i]);
        }
        offered = (dev.features() & 0xFF_FFFFL) | F_VERSION_1 | F_RING_INDIRECT_DESC
                | (realm ? F_ACCESS_PLATFORM : 0);
        defineBar(0, new Bar(BAR_SIZE, false));
        cap(CAP_COMMON, COMMON_OFF, COMMON_SIZE, 16);
        int notify = cap(CAP_NOTIFY, NOTIFY_OFF, NOTIFY_MULTIPLIER * queues.length, 20);
        put(notify + 16, 4, NOTIFY_MULTIPLIER);
        cap(CAP_ISR, ISR_OFF, 1, 16);
        if (dev.configSize() > 0) {
            cap(CAP_DEVICE, DEVICE_OFF, dev.configSize(), 16);
        }
        pciCfgCap = cap(CAP_PCI_CFG, 0, 0, 20);
        put(pciCfgCap + 4, 1, 0);
        queueVector = new int[queues.length];
        java.util.Arrays.fill(queueVector, NO_VECTOR);
        if (withMsix) {
            msix = new MsiX(queues.length + 1);
            defineBar(1, new Bar(MSIX_BAR_SIZE, false));
            msixCap = addCapability(MsiX.CAP_ID, MsiX.CAP_LENGTH);
            put(msixCap + 2, 2, msix.control());
            put(msixCap + 4, 4, 1); // table: BAR1, offset 0
            put(msixCap + 8, 4, PBA_OFF | 1); // PBA: BAR1, offset 0x800
        } else {
            msix = null;
            msixCap = -1;
        }
    }

    /** The MSI-X state, or null without an MSI controller. */
    public MsiX msix() {
        return msix;
    }

    private int cap(int type, int offset, int length, int capLen) {
        int at = addCapability(0x09, capLen);
        put(at + 2, 1, capLen);
        put(at + 3, 1, type);
        put(at + 4, 1, 0); // BAR0
        put(at + 8, 4, offset);
        put(at + 12, 4, length);
        return at;
    }

    @Override
    public String name() {
        return dev.name();
    }

    public VirtioDevice device() {
        return dev;
    }

    public synchronized int status() {
        return status;
    }

    public synchronized long protocolErrors() {
        return protocolErrors;
    }

    // ---- VIRTIO_PCI_CAP_PCI_CFG: a window into BAR0 through configuration space --------------------------

    @Override
    protected Long registerRead(int off, int size) {
        if (off >= pciCfgCap + 16 && off < pciCfgCap + 20) {
            return pciCfgAccess(false, 0);
        }
        return null;
    }

    @Override
    protected boolean registerWrite(int off, int size, long value) {
        if (msix != null && off < msixCap + 4 && off + size > msixCap + 2) { // Message Control
            int ctrl = (int) get(msixCap + 2, 2);
            for (int i = 0; i < size; i++) {
                int o = off + i - (msixCap + 2);
                if (o == 0 || o == 1) {
                    ctrl = (ctrl & ~(0xFF << (8 * o))) | ((int) (value >>> (8 * i)) & 0xFF) << (8 * o);
                }
            }
            synchronized (this) {
                msix.writeControl(ctrl, this);
                put(msixCap + 2, 2, msix.control());
                if (msix.enabled()) {
                    setIntx(false); // MSI-X enabled: the function no longer uses INTx
                }
            }
            return true;
        }
        if (off >= pciCfgCap + 16 && off < pciCfgCap + 20) {
            pciCfgAccess(true, value);
            return true;
        }
        if (off >= pciCfgCap + 4 && off < pciCfgCap + 16 && off != pciCfgCap + 5) { // bar, offset, length
            for (int i = 0; i < size && off + i < pciCfgCap + 16; i++) {
                config[off + i] = (byte) (value >>> (8 * i));
            }
            return true;
        }
        return false;
    }

    private long pciCfgAccess(boolean write, long value) {
        int bar = (int) get(pciCfgCap + 4, 1);
        long offset = get(pciCfgCap + 8, 4);
        int len = (int) get(pciCfgCap + 12, 4);
        if (bar != 0 || (len != 1 && len != 2 && len != 4) || offset % len != 0 || offset + len > BAR_SIZE) {
            return 0;
        }
        if (write) {
            barWrite(0, offset, len, value);
            return 0;
        }
        return barRead(0, offset, len);
    }

    // ---- BAR0 -------------------------------------------------------------------------------------------

    @Override
    protected synchronized long barRead(int bar, long off, int size) {
        if (bar == 1) {
            if (msix == null) {
                return 0;
            }
            return off < PBA_OFF ? msix.tableRead(off, size) : msix.pbaRead(off - PBA_OFF, size);
        }
        if (off < COMMON_SIZE) {
            return commonRead((int) off, size);
        }
        if (off == ISR_OFF) {
            int v = isr;
            isr = 0;
            setIntx(false);
            return v;
        }
        if (off >= DEVICE_OFF && off + size <= DEVICE_OFF + dev.configSize()) {
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = (v << 8) | (dev.configRead((int) (off - DEVICE_OFF) + i) & 0xFF);
            }
            return v;
        }
        return 0;
    }

    @Override
    protected synchronized void barWrite(int bar, long off, int size, long value) {
        if (bar == 1) {
            if (msix != null && off < PBA_OFF) {
                msix.tableWrite(off, size, value, this);
            }
            return;
        }
        if (off < COMMON_SIZE) {
            commonWrite((int) off, size, value);
        } else if (off >= DEVICE_OFF && off + size <= DEVICE_OFF + dev.configSize()) {
            for (int i = 0; i < size; i++) {
                dev.configWrite((int) (off - DEVICE_OFF) + i, (int) (value >>> (8 * i)) & 0xFF);
            }
        } else if (off >= NOTIFY_OFF && off < NOTIFY_OFF + (long) NOTIFY_MULTIPLIER * queues.length) {
            int q = (int) (off - NOTIFY_OFF) / NOTIFY_MULTIPLIER;
            kick(q);
        }
    }

    private Virtqueue selected() {
        return qSelect < queues.length ? queues[qSelect] : null;
    }

    private long commonRead(int off, int size) {
        Virtqueue q = selected();
        switch (off) {
            case DFSELECT: return dfSelect;
            case DF: return dfSelect < 2 ? (offered >>> (32 * dfSelect)) & 0xFFFF_FFFFL : 0;
            case GFSELECT: return gfSelect;
            case GF: return gfSelect < 2 ? (driverFeatures >>> (32 * gfSelect)) & 0xFFFF_FFFFL : 0;
            case MSIX_CONFIG: return msixConfig;
            case NUM_QUEUES: return queues.length;
            case DEVICE_STATUS: return status; // config_generation, the byte above, stays 0
            case CONFIG_GENERATION: return 0;
            case Q_SELECT: return qSelect;
            case Q_SIZE: return q == null ? 0 : q.size();
            case Q_MSIX_VECTOR: return q == null ? NO_VECTOR : queueVector[qSelect];
            case Q_ENABLE: return q != null && q.enabled() ? 1 : 0;
            case Q_NOTIFY_OFF: return q == null ? 0 : qSelect;
            case Q_DESC: return q == null ? 0 : part(q.desc(), size, 0);
            case Q_DESC + 4: return q == null ? 0 : part(q.desc(), size, 4);
            case Q_DRIVER: return q == null ? 0 : part(q.driver(), size, 0);
            case Q_DRIVER + 4: return q == null ? 0 : part(q.driver(), size, 4);
            case Q_DEVICE: return q == null ? 0 : part(q.device(), size, 0);
            case Q_DEVICE + 4: return q == null ? 0 : part(q.device(), size, 4);
            default: return 0;
        }
    }

    private static long part(long v, int size, int from) {
        long x = v >>> (8 * from);
        return size >= 8 ? x : x & ((1L << (8 * size)) - 1);
    }

    private static long merge(long old, long value, int size, int from) {
        long mask = (size >= 8 ? -1L : (1L << (8 * size)) - 1) << (8 * from);
        return (old & ~mask) | ((value << (8 * from)) & mask);
    }

    private void commonWrite(int off, int size, long value) {
        Virtqueue q = selected();
        boolean setup = (status & STATUS_DRIVER_OK) == 0 || q == null || !q.enabled();
        switch (off) {
            case DFSELECT: dfSelect = (int) value; break;
            case GFSELECT: gfSelect = (int) value; break;
            case GF:
                if (gfSelect < 2 && (status & STATUS_FEATURES_OK) == 0) {
                    driverFeatures = merge(driverFeatures, value & 0xFFFF_FFFFL, 4, 4 * gfSelect);
                }
                break;
            case DEVICE_STATUS: writeStatus((int) value & 0xFF); break;
            case MSIX_CONFIG: msixConfig = vector((int) value & 0xFFFF); break;
            case Q_MSIX_VECTOR:
                if (q != null) {
                    queueVector[qSelect] = vector((int) value & 0xFFFF);
                }
                break;
            case Q_SELECT: qSelect = (int) value & 0xFFFF; break;
            case Q_SIZE:
                if (q != null) {
                    q.setSize((int) value & 0xFFFF);
                }
                break;
            case Q_ENABLE:
                if (q != null && (value & 1) != 0 && !q.enabled()) {
                    q.enable();
                }
                break;
            case Q_DESC: case Q_DESC + 4:
                if (q != null && setup) {
                    q.setDesc(merge(q.desc(), value, size, off - Q_DESC));
                }
                break;
            case Q_DRIVER: case Q_DRIVER + 4:
                if (q != null && setup) {
                    q.setDriver(merge(q.driver(), value, size, off - Q_DRIVER));
                }
                break;
            case Q_DEVICE: case Q_DEVICE + 4:
                if (q != null && setup) {
                    q.setDevice(merge(q.device(), value, size, off - Q_DEVICE));
                }
                break;
            default: break; // read-only fields
        }
    }

    /** A vector the driver asks for: kept if the function has it, else NO_VECTOR (the driver reads that back). */
    private int vector(int v) {
        return msix != null && v < msix.vectors() ? v : NO_VECTOR;
    }

    /** Notifies the driver: through MSI-X once it enabled it (vector NO_VECTOR: no notification), else INTx. */
    private void interrupt(int isrBit, int vector) {
        if (msix != null && msix.enabled()) {
            if (vector != NO_VECTOR) {
                msix.fire(vector, this);
            }
            return;
        }
        isr |= isrBit;
        setIntx(true);
    }

    private void writeStatus(int v) {
        if (v == 0) {
            reset();
            return;
        }
        if ((v & STATUS_FEATURES_OK) != 0 && (status & STATUS_FEATURES_OK) == 0) {
            boolean ok = (driverFeatures & ~offered) == 0 && (driverFeatures & F_VERSION_1) != 0
                    && (!realm || (driverFeatures & F_ACCESS_PLATFORM) != 0);
            if (!ok) {
                LOG.warn("{}: driver features {} refused (offered {})", dev.name(),
                        Long.toHexString(driverFeatures), Long.toHexString(offered));
                v &= ~STATUS_FEATURES_OK;
            }
        }
        // NEEDS_RESET is the device's to set; the driver cannot clear it without a reset.
        status = (v & ~STATUS_NEEDS_RESET) | (status & STATUS_NEEDS_RESET);
    }

    private void reset() {
        status = 0;
        driverFeatures = 0;
        dfSelect = gfSelect = qSelect = 0;
        for (Virtqueue q : queues) {
            q.reset();
        }
        isr = 0;
        msixConfig = NO_VECTOR;
        java.util.Arrays.fill(queueVector, NO_VECTOR);
        setIntx(false);
        dev.reset();
    }

    /** A notification for queue {@code q}: the device takes what the driver made available. */
    private void kick(int q) {
        if ((status & STATUS_DRIVER_OK) == 0 || (status & STATUS_NEEDS_RESET) != 0 || !queues[q].enabled()) {
            return;
        }
        try {
            dev.notify(q, this);
        } catch (VirtioException | GuestMemory.GuestMemoryException e) {
            needsReset(q, e.getMessage());
        }
    }

    /** Input that arrived outside a notification (console input): the device takes its queue like a kick. */
    public synchronized void deliver(int q) {
        kick(q);
    }

    private void needsReset(int q, String why) {
        protocolErrors++;
        if (protocolErrors <= 8) {
            LOG.warn("{} (slot {}) queue {}: {}; the device needs a reset", dev.name(), slot(), q, why);
        }
        status |= STATUS_NEEDS_RESET;
        if ((status & STATUS_DRIVER_OK) != 0) {
            interrupt(ISR_CONFIG, msixConfig);
        }
    }

    // ---- VirtioDevice.Context ----------------------------------------------------------------------------

    @Override
    public Virtqueue.Chain next(int q) {
        return queues[q].next();
    }

    @Override
    public Virtqueue queue(int q) {
        return queues[q];
    }

    @Override
    public void used(int q, Virtqueue.Chain c, int written) {
        if (queues[q].push(c, written)) {
            interrupt(ISR_QUEUE, queueVector[q]);
        }
    }

    @Override
    public long features() {
        return driverFeatures;
    }
}
