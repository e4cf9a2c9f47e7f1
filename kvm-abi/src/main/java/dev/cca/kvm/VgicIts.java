package dev.cca.kvm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * The emulated GICv3 ITS (arch/arm64/kvm/vgic/vgic-its.c): the control frame (GITS_CTLR, IIDR, TYPER, CBASER,
 * CWRITER, CREADR, BASER0-7, the ID registers) and the translation frame (GITS_TRANSLATER), the command queue in
 * guest memory, and the translation of (DeviceID, EventID) to an LPI of the {@link Vgic} at a collection's target
 * redistributor.
 *
 * <p>As in KVM: GITS_TYPER reports physical LPIs, 16 DeviceID and EventID bits, 16-bit collection IDs (CIL = 0),
 * 8-byte ITT entries and PTA = 0 (a collection's target is a vCPU id). BASER0 is the device table and BASER1 the
 * collection table, both 8-byte entries with 64 KiB pages, flat or (Indirect) two-level; BASER2-7 are RAZ/WI.
 * The mappings the commands make are kept in KVM (as vgic-its.c keeps its device, ITE and collection lists): guest
 * memory is read for the commands themselves, for the validity checks of IDs against the tables (the device
 * table's level-1 entries of an indirect table, an ITT entry's page) and for the LPI configuration, and written
 * only by a table save, which this host does not implement.
 *
 * <p>Commands are processed synchronously when GITS_CWRITER (or GITS_CTLR) is written. A command that fails
 * (an unmapped device or interrupt, an ID out of range, a command that cannot be read) is skipped and GITS_CREADR
 * moves past it, as Linux's vgic-its does: GITS_CREADR.Stalled is not implemented. The error it would have
 * reported (the E_ITS_* codes of vgic-its.c) is logged at debug level and counted ({@link #errors()}). A CPU write
 * to GITS_TRANSLATER is ignored, as in KVM: it carries no DeviceID; devices' MSIs come through KVM_SIGNAL_MSI
 * ({@link #signalMsi}).
 */
final class VgicIts {
    private static final Logger LOG = LoggerFactory.getLogger(VgicIts.class);

    /** Two 64 KiB frames: control (ITS_base) and translation. */
    static final long SIZE = 0x2_0000;
    static final int GITS_CTLR = 0x0000, GITS_IIDR = 0x0004, GITS_TYPER = 0x0008, GITS_CBASER = 0x0080,
            GITS_CWRITER = 0x0088, GITS_CREADR = 0x0090, GITS_BASER = 0x0100, GITS_TRANSLATER = 0x1_0040;
    static final int CMD_MOVI = 0x01, CMD_INT = 0x03, CMD_CLEAR = 0x04, CMD_SYNC = 0x05, CMD_MAPD = 0x08,
            CMD_MAPC = 0x09, CMD_MAPTI = 0x0A, CMD_MAPI = 0x0B, CMD_INV = 0x0C, CMD_INVALL = 0x0D, CMD_MOVALL = 0x0E,
            CMD_DISCARD = 0x0F;
    /** Command errors, as vgic-its.c names them (the GIC architecture's SError codes). */
    static final int E_MAPD_DEVICE_OOR = 0x01_0801, E_MAPD_ITTSIZE_OOR = 0x01_0802,
            E_MAPC_PROCNUM_OOR = 0x01_0902, E_MAPC_COLLECTION_OOR = 0x01_0903,
            E_MAPTI_UNMAPPED_DEVICE = 0x01_0a04, E_MAPTI_ID_OOR = 0x01_0a05, E_MAPTI_PHYSICALID_OOR = 0x01_0a06,
            E_INV_UNMAPPED_INTERRUPT = 0x01_0c07, E_INVALL_UNMAPPED_COLLECTION = 0x01_0d09,
            E_MOVI_UNMAPPED_INTERRUPT = 0x01_0107, E_MOVI_UNMAPPED_COLLECTION = 0x01_0109,
            E_INT_UNMAPPED_INTERRUPT = 0x01_0307, E_CLEAR_UNMAPPED_INTERRUPT = 0x01_0507,
            E_DISCARD_UNMAPPED_INTERRUPT = 0x01_0f07, E_MOVALL_PROCNUM_OOR = 0x01_0e01,
            E_UNKNOWN_COMMAND = 0x01_00ff, E_UNREADABLE_COMMAND = 0x01_00fe, E_LPIS_DISABLED = 0x01_00fd;

    static final int DEVBITS = 16, IDBITS = 16, ESZ = 8;
    static final long TYPER = 1L /* PLPIS */ | (long) (ESZ - 1) << 4 | (long) (IDBITS - 1) << 8
            | (long) (DEVBITS - 1) << 13;
    /** Implementer Arm, product KVM (0x4b), revision 0. */
    static final int IIDR = 0x4B00_043B;
    static final long BASER_VALID = 1L << 63, BASER_INDIRECT = 1L << 62;
    static final int BASER_TYPE_DEVICE = 1, BASER_TYPE_COLLECTION = 4;
    /** Entry size and type are read-only; the page size is always 64 KiB (2). */
    private static final long BASER_RO = (0x1FL << 48) | (7L << 56) | (3L << 8);
    /** Reset value: inner RaWb cacheable, inner shareable, 64 KiB pages, 8-byte entries. */
    private static final long BASER_INITIAL = (7L << 59) | (1L << 10) | (2L << 8) | ((long) (ESZ - 1) << 48);
    private static final long CBASER_VALID = 1L << 63;
    /** GITS_CBASER's writable fields: Valid, caches, address [51:16] (64 KiB aligned), shareability, size. */
    private static final long CBASER_MASK = CBASER_VALID | (7L << 59) | (7L << 53) | 0x000F_FFFF_FFFF_0000L
            | (3L << 10) | 0xFF;
    private static final long COLLECTION_NOT_MAPPED = -1;

    private final KvmVm vm;
    private final KvmGuestMemory mem;
    long base = -1;

    private boolean enabled;
    private long cbaser, cwriter, creadr;
    private long baserDevice = BASER_INITIAL | ((long) BASER_TYPE_DEVICE << 56);
    private long baserColl = BASER_INITIAL | ((long) BASER_TYPE_COLLECTION << 56);
    private final Map<Integer, Device> devices = new HashMap<>();
    private final Map<Integer, Collection> collections = new HashMap<>();
    private long errors;
    private int lastError;

    /** A mapped device: its ITT and the translations (ITEs) by EventID. */
    private static final class Device {
        final long ittAddr;
        final int eventBits;
        final Map<Integer, Ite> ites = new HashMap<>();

        Device(long ittAddr, int eventBits) {
            this.ittAddr = ittAddr;
            this.eventBits = eventBits;
        }
    }

    private static final class Collection {
        final int id;
        long target = COLLECTION_NOT_MAPPED;

        Collection(int id) {
            this.id = id;
        }
    }

    /** An interrupt translation entry: its collection (null once unmapped) and the LPI. */
    private static final class Ite {
        Collection collection;
        final Vgic.Irq irq;

        Ite(Collection c, Vgic.Irq irq) {
            this.collection = c;
            this.irq = irq;
        }
    }

    VgicIts(KvmVm vm, KvmGuestMemory mem) {
        this.vm = vm;
        this.mem = mem;
    }

    /** Puts the two frames on the VM's in-kernel bus at {@code at} (vgic_register_its_iodev). */
    void register(IoBus bus, long at) {
        base = at;
        bus.register(new Frame());
    }

    /** The ITS's MMIO region on the in-kernel bus; KVM_SIGNAL_MSI finds the ITS through it. */
    final class Frame implements IoBus.Device {
        VgicIts its() {
            return VgicIts.this;
        }

        @Override
        public long base() {
            return base;
        }

        @Override
        public long size() {
            return SIZE;
        }

        @Override
        public long read(KvmVcpu vcpu, long gpa, int len) {
            return VgicIts.this.read((int) (gpa - base), len);
        }

        @Override
        public void write(KvmVcpu vcpu, long gpa, int len, long value) {
            VgicIts.this.write((int) (gpa - base), len, value);
        }
    }

    /** The command errors so far (skipped commands), and the last one's code. */
    synchronized long errors() {
        return errors;
    }

    synchronized int lastError() {
        return lastError;
    }

    // ---- registers ----------------------------------------------------------------------------------------

    private static long part(long reg, int off, int len) {
        long v = reg >>> (8 * (off & 7));
        return len >= 8 ? v : v & ((1L << (8 * len)) - 1);
    }

    private static long update(long reg, int off, int len, long v) {
        if (len >= 8) {
            return v;
        }
        int shift = 8 * (off & 7);
        long mask = ((1L << (8 * len)) - 1) << shift;
        return (reg & ~mask) | ((v << shift) & mask);
    }

    /** A 32- or 64-bit access to a 64-bit register (KVM: VGIC_ACCESS_32bit | VGIC_ACCESS_64bit). */
    private static boolean ok64(int off, int len) {
        return (len == 8 && (off & 7) == 0) || (len == 4 && (off & 3) == 0);
    }

    synchronized long read(int off, int len) {
        switch (off & ~7) {
            case GITS_CTLR: // CTLR and IIDR share the doubleword
                if (len != 4) {
                    return 0;
                }
                if (off == GITS_CTLR) {
                    return (enabled ? 1 : 0) | (creadr == cwriter ? 1L << 31 : 0); // Enabled, Quiescent
                }
                return IIDR;
            case GITS_TYPER:
                return ok64(off, len) ? part(TYPER, off, len) : 0;
            case GITS_CBASER:
                return ok64(off, len) ? part(cbaser, off, len) : 0;
            case GITS_CWRITER:
                return ok64(off, len) ? part(cwriter, off, len) : 0;
            case GITS_CREADR:
                return ok64(off, len) ? part(creadr, off, len) : 0;
            default:
                break;
        }
        if (off >= GITS_BASER && off < GITS_BASER + 64) {
            if (!ok64(off, len)) {
                return 0;
            }
            int n = (off - GITS_BASER) / 8;
            return n == 0 ? part(baserDevice, off, len) : n == 1 ? part(baserColl, off, len) : 0;
        }
        if (len == 4 && off >= 0xFFD0 && off < 0x1_0000) {
            switch (off) {
                case 0xFFD0: return 0x40; // PIDR4: a 64 KiB software-visible page
                case 0xFFE0: return 0x92; // PIDR0
                case 0xFFE4: return 0xB4; // PIDR1
                case 0xFFE8: return 0x3B; // PIDR2: GICv3
                case 0xFFF0: return 0x0D;
                case 0xFFF4: return 0xF0;
                case 0xFFF8: return 0x05;
                case 0xFFFC: return 0xB1;
                default: return 0;
            }
        }
        return 0; // GITS_TRANSLATER and reserved space: RAZ
    }

    synchronized void write(int off, int len, long v) {
        if (off == GITS_CTLR && len == 4) {
            writeCtlr(v);
            return;
        }
        if ((off & ~7) == GITS_CBASER && ok64(off, len)) {
            if (!enabled) { // read-only while the ITS is enabled
                cbaser = update(cbaser, off, len, v) & CBASER_MASK;
                creadr = 0;
                cwriter = 0;
            }
            return;
        }
        if ((off & ~7) == GITS_CWRITER && ok64(off, len)) {
            long w = update(cwriter, off, len, v) & 0xF_FFE0L; // ITS_CMD_OFFSET: bits [19:5]
            if (w >= queueSize()) {
                return;
            }
            cwriter = w;
            processCommands();
            return;
        }
        if (off >= GITS_BASER && off < GITS_BASER + 16 && ok64(off, len)) {
            if (enabled) {
                return;
            }
            boolean device = off < GITS_BASER + 8;
            long old = device ? baserDevice : baserColl;
            long reg = (update(old, off, len, v) & ~BASER_RO)
                    | (BASER_INITIAL & BASER_RO) | ((long) (device ? BASER_TYPE_DEVICE : BASER_TYPE_COLLECTION) << 56);
            if (device) {
                baserDevice = reg;
                if ((reg & BASER_VALID) == 0) {
                    freeDevices();
                }
            } else {
                baserColl = reg;
                if ((reg & BASER_VALID) == 0) {
                    collections.clear();
                    for (Device d : devices.values()) {
                        for (Ite ite : d.ites.values()) {
                            ite.collection = null;
                        }
                    }
                }
            }
        }
        // GITS_TRANSLATER from a CPU carries no DeviceID: ignored (vgic_mmio_write_wi). Reserved space: WI.
    }

    private void writeCtlr(long v) {
        boolean en = (v & 1) != 0;
        if (!enabled && en && ((baserDevice & BASER_VALID) == 0 || (baserColl & BASER_VALID) == 0
                || (cbaser & CBASER_VALID) == 0)) {
            return; // enabling without valid tables and queue is ignored (KVM: "goto out")
        }
        enabled = en;
        processCommands();
    }

    private long queueSize() {
        return ((cbaser & 0xFF) + 1) << 12;
    }

    // ---- the command queue --------------------------------------------------------------------------------

    /** vgic_its_process_commands(): every command from GITS_CREADR to GITS_CWRITER, in order. */
    private void processCommands() {
        if (!enabled || (cbaser & CBASER_VALID) == 0) {
            return;
        }
        long queue = cbaser & 0x000F_FFFF_FFFF_F000L;
        long size = queueSize();
        while (cwriter != creadr) {
            byte[] cmd = mem.read(queue + creadr, 32);
            int err = cmd == null ? E_UNREADABLE_COMMAND : handle(cmd);
            if (err != 0) {
                errors++;
                lastError = err;
                if (LOG.isDebugEnabled()) {
                    LOG.debug(String.format("ITS command at %#x (%s) skipped: error %#x", queue + creadr,
                            cmd == null ? "unreadable" : String.format("%#04x", cmd[0] & 0xFF), err));
                }
            }
            creadr += 32;
            if (creadr >= size) {
                creadr = 0;
            }
        }
    }

    private static long dw(byte[] cmd, int i) {
        long v = 0;
        for (int b = 7; b >= 0; b--) {
            v = (v << 8) | (cmd[8 * i + b] & 0xFF);
        }
        return v;
    }

    /** vgic_its_handle_command(): 0, or the command's error. */
    int handle(byte[] cmd) {
        long d0 = dw(cmd, 0), d1 = dw(cmd, 1), d2 = dw(cmd, 2), d3 = dw(cmd, 3);
        int code = (int) (d0 & 0xFF);
        int deviceId = (int) (d0 >>> 32);
        int eventId = (int) d1;
        int icid = (int) (d2 & 0xFFFF);
        boolean valid = (d2 >>> 63) != 0;
        switch (code) {
            case CMD_MAPD: return mapd(deviceId, (int) (d1 & 0x1F) + 1, d2 & 0x000F_FFFF_FFFF_FF00L, valid);
            case CMD_MAPC: return mapc(icid, (d2 >>> 16) & 0xF_FFFF_FFFFL, valid);
            case CMD_MAPTI: return mapti(deviceId, eventId, d1 >>> 32, icid);
            case CMD_MAPI: return mapti(deviceId, eventId, eventId & 0xFFFF_FFFFL, icid);
            case CMD_MOVI: return movi(deviceId, eventId, icid);
            case CMD_DISCARD: return discard(deviceId, eventId);
            case CMD_CLEAR: return clear(deviceId, eventId);
            case CMD_INV: return inv(deviceId, eventId);
            case CMD_INVALL: return invall(icid);
            case CMD_INT: return trigger(deviceId, eventId);
            case CMD_SYNC: return 0; // the commands before it have all taken effect
            case CMD_MOVALL: return movall((d2 >>> 16) & 0xF_FFFF_FFFFL, (d3 >>> 16) & 0xF_FFFF_FFFFL);
            default: return E_UNKNOWN_COMMAND; // VMAPP & co: no GICv4
        }
    }

    private Vgic vgic() {
        return vm.irqchip;
    }

    private boolean vcpuExists(long id) {
        synchronized (vm) {
            return id >= 0 && id < Integer.MAX_VALUE && vm.vcpus.containsKey((int) id);
        }
    }

    /**
     * vgic_its_check_id(): whether {@code id} has an entry in the table of {@code baser}: inside a flat table, or
     * inside a valid level-2 page of an indirect one (its level-1 entry read from guest memory).
     */
    private boolean checkId(long baser, long id) {
        if ((baser & BASER_VALID) == 0) {
            return false;
        }
        long l1Size = ((baser & 0xFF) + 1) * 0x1_0000L;
        long tableBase = (baser & 0x0000_FFFF_FFFF_0000L) | (((baser >>> 12) & 0xF) << 48);
        if ((baser & BASER_INDIRECT) == 0) {
            return id < l1Size / ESZ;
        }
        long index = id / (0x1_0000L / ESZ);
        if (index >= l1Size / 8) {
            return false;
        }
        boolean[] ok = new boolean[1];
        long l1 = mem.read64(tableBase + index * 8, ok);
        return ok[0] && (l1 >>> 63) != 0;
    }

    private Ite findIte(int deviceId, int eventId) {
        Device d = devices.get(deviceId);
        return d == null ? null : d.ites.get(eventId);
    }

    private static boolean mapped(Collection c) {
        return c != null && c.target != COLLECTION_NOT_MAPPED;
    }

    private void freeDevice(Device d) {
        Vgic g = vgic();
        for (Ite ite : d.ites.values()) {
            if (g != null) {
                g.putLpi(ite.irq);
            }
        }
        d.ites.clear();
    }

    private void freeDevices() {
        for (Device d : devices.values()) {
            freeDevice(d);
        }
        devices.clear();
    }

    private int mapd(int deviceId, int eventBits, long ittAddr, boolean valid) {
        if (!checkId(baserDevice, deviceId & 0xFFFF_FFFFL)) {
            return E_MAPD_DEVICE_OOR;
        }
        if (valid && eventBits > IDBITS) {
            return E_MAPD_ITTSIZE_OOR;
        }
        Device old = devices.remove(deviceId);
        if (old != null) {
            freeDevice(old); // MAPD on a mapped device replaces it, dropping its translations
        }
        if (valid) {
            devices.put(deviceId, new Device(ittAddr, eventBits));
        }
        return 0;
    }

    private int mapc(int icid, long target, boolean valid) {
        Vgic g = vgic();
        if (!valid) {
            collections.remove(icid);
            for (Device d : devices.values()) {
                for (Ite ite : d.ites.values()) {
                    if (ite.collection != null && ite.collection.id == icid) {
                        ite.collection = null;
                    }
                }
            }
            return 0;
        }
        if (!vcpuExists(target)) {
            return E_MAPC_PROCNUM_OOR;
        }
        Collection c = collections.get(icid);
        if (c == null) {
            if (!checkId(baserColl, icid)) {
                return E_MAPC_COLLECTION_OOR;
            }
            c = new Collection(icid);
            collections.put(icid, c);
            c.target = target;
            return 0;
        }
        c.target = target;
        // update_affinity_collection(): the collection's LPIs follow it.
        for (Device d : devices.values()) {
            for (Ite ite : d.ites.values()) {
                if (ite.collection == c && g != null) {
                    g.setLpiTarget(ite.irq, (int) target);
                }
            }
        }
        return 0;
    }

    private int mapti(int deviceId, int eventId, long lpi, int icid) {
        Vgic g = vgic();
        Device d = devices.get(deviceId);
        if (d == null) {
            return E_MAPTI_UNMAPPED_DEVICE;
        }
        if (g == null || lpi < dev.cca.core.cpu.GicCpuInterface.LPI_MIN || lpi >= g.maxLpis()) {
            return E_MAPTI_PHYSICALID_OOR;
        }
        long ev = eventId & 0xFFFF_FFFFL;
        if (ev >= (1L << d.eventBits) || !mem.visible(d.ittAddr + ev * ESZ)) {
            return E_MAPTI_ID_OOR; // vgic_its_check_event_id(): the ITT entry must be in guest memory
        }
        if (d.ites.containsKey(eventId)) {
            return 0; // already mapped: ignored, as KVM does
        }
        Collection c = collections.get(icid);
        if (c == null) {
            if (!checkId(baserColl, icid)) {
                return E_MAPC_COLLECTION_OOR;
            }
            c = new Collection(icid); // an unmapped collection, mapped by a later MAPC
            collections.put(icid, c);
        }
        int target = mapped(c) ? (int) c.target : -1;
        d.ites.put(eventId, new Ite(c, g.addLpi((int) lpi, target)));
        return 0;
    }

    private int movi(int deviceId, int eventId, int icid) {
        Ite ite = findIte(deviceId, eventId);
        if (ite == null) {
            return E_MOVI_UNMAPPED_INTERRUPT;
        }
        if (!mapped(ite.collection)) {
            return E_MOVI_UNMAPPED_COLLECTION;
        }
        Collection c = collections.get(icid);
        if (!mapped(c)) {
            return E_MOVI_UNMAPPED_COLLECTION;
        }
        ite.collection = c;
        vgic().setLpiTarget(ite.irq, (int) c.target);
        return 0;
    }

    private int discard(int deviceId, int eventId) {
        Ite ite = findIte(deviceId, eventId);
        if (ite == null || !mapped(ite.collection)) {
            return E_DISCARD_UNMAPPED_INTERRUPT;
        }
        devices.get(deviceId).ites.remove(eventId);
        vgic().putLpi(ite.irq);
        return 0;
    }

    private int clear(int deviceId, int eventId) {
        Ite ite = findIte(deviceId, eventId);
        if (ite == null) {
            return E_CLEAR_UNMAPPED_INTERRUPT;
        }
        vgic().clearLpi(ite.irq);
        return 0;
    }

    private int inv(int deviceId, int eventId) {
        Ite ite = findIte(deviceId, eventId);
        if (ite == null) {
            return E_INV_UNMAPPED_INTERRUPT;
        }
        vgic().invalidateLpis(ite.irq, -1);
        return 0;
    }

    private int invall(int icid) {
        Collection c = collections.get(icid);
        if (!mapped(c) || vgic() == null) {
            return E_INVALL_UNMAPPED_COLLECTION;
        }
        vgic().invalidateLpis(null, (int) c.target);
        return 0;
    }

    private int movall(long from, long to) {
        if (!vcpuExists(from) || !vcpuExists(to) || vgic() == null) {
            return E_MOVALL_PROCNUM_OOR;
        }
        if (from != to) {
            vgic().moveAllLpis((int) from, (int) to);
        }
        return 0;
    }

    /** vgic_its_trigger_msi(): INT, or an MSI for (deviceId, eventId). 0, an error, or E_LPIS_DISABLED. */
    private int trigger(int deviceId, int eventId) {
        Ite ite = findIte(deviceId, eventId);
        if (ite == null || !mapped(ite.collection)) {
            return E_INT_UNMAPPED_INTERRUPT;
        }
        return vgic().pendLpi(ite.irq) ? 0 : E_LPIS_DISABLED;
    }

    /**
     * An MSI write of {@code eventId} by device {@code deviceId} to GITS_TRANSLATER (vgic_its_inject_msi): 1 if an
     * LPI was made pending, 0 if the ITS has no translation for it (KVM_SIGNAL_MSI's "blocked"), -EBUSY if the
     * ITS is disabled or the target redistributor has LPIs disabled.
     */
    synchronized long signalMsi(int deviceId, int eventId) {
        if (!enabled) {
            return -dev.cca.kvm.uapi.Errno.EBUSY;
        }
        int r = trigger(deviceId, eventId);
        if (r == 0) {
            return 1;
        }
        return r == E_LPIS_DISABLED ? -dev.cca.kvm.uapi.Errno.EBUSY : 0;
    }
}
