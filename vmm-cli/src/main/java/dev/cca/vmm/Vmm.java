package dev.cca.vmm;

import dev.cca.core.platform.Pl011;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.vmm.image.LoadedImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cca.vmm.device.GuestMemory;
import dev.cca.vmm.device.IrqLine;
import dev.cca.vmm.device.MmioBus;
import dev.cca.vmm.pci.PciDevice;
import dev.cca.vmm.pci.PciHost;
import dev.cca.vmm.pci.PciTestDev;
import dev.cca.vmm.virtio.Virtio9p;
import dev.cca.vmm.virtio.VirtioBlk;
import dev.cca.vmm.virtio.VirtioConsole;
import dev.cca.vmm.virtio.VirtioPciDevice;
import dev.cca.vmm.virtio.VirtioRng;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * The VMM: sets up a VM through /dev/kvm (memory, vGIC, vCPUs), loads the guest image, and runs one thread per
 * vCPU in a plain loop over KVM exits, dispatching MMIO exits to the devices registered on its {@link MmioBus}
 * (the PL011 and, when asked for, the PCIe host bridge with its virtio functions; see {@link MemoryMap}). Like a C VMM it reaches the
 * kernel only through file descriptors, ioctl and mmap.
 */
public final class Vmm {
    private static final Logger LOG = LoggerFactory.getLogger(Vmm.class);

    /**
     * What to run: the image holds every boot file (kernel, initrd, device tree); the boot vCPU starts at its
     * entry with {@code x0} in X0 (the device tree's address).
     */
    public record Config(boolean realm, long memBytes, int cpus, LoadedImage kernel, OutputStream console, long x0,
                         DeviceOptions.Devices devices, boolean psciInVmm, RealmConfig realmConfig,
                         byte[] challenge) {
        public Config(boolean realm, long memBytes, int cpus, LoadedImage kernel, OutputStream console) {
            this(realm, memBytes, cpus, kernel, console, 0);
        }

        public Config(boolean realm, long memBytes, int cpus, LoadedImage kernel, OutputStream console, long x0) {
            this(realm, memBytes, cpus, kernel, console, x0, DeviceOptions.Devices.NONE, false, RealmConfig.NONE,
                    null);
        }
    }

    /**
     * The VMM's attestation service for realms (docs/attestation.md): SMCCC Vendor Specific Hypervisor Service
     * calls (SMC64) that a realm makes with RSI_HOST_CALL and KVM forwards to the VMM (SMCCC filter, FWD_TO_USER).
     * VMM_CHALLENGE returns X0 = 0 and the 64-byte challenge in X1..X8 (little-endian, as
     * RSI_ATTESTATION_TOKEN_INIT takes it); VMM_TOKEN(X1 = address, X2 = length) hands the VMM a token in memory
     * the realm shared (an unprotected-alias address), answered 0, or INVALID_PARAMETERS (-2) if the VMM cannot
     * read it there.
     */
    public static final long VMM_CHALLENGE = 0xC600_0100L, VMM_TOKEN = 0xC600_0101L;
    /** The largest token VMM_TOKEN accepts (an RMM's token buffer is one granule). */
    static final int MAX_TOKEN = 64 << 10;

    /**
     * What the VMM configures in a realm before it is created (KVM_CAP_ARM_RMI_CONFIG_REALM, the host's realm-config
     * profile): the hash algorithm (RMI encoding) when {@code hashAlgo} ≥ 0, the 64-byte RPV when not null.
     */
    public record RealmConfig(int hashAlgo, byte[] rpv) {
        public static final RealmConfig NONE = new RealmConfig(-1, null);
    }

    /** How a run ended. */
    public enum Outcome {
        POWER_OFF("guest powered off (PSCI SYSTEM_OFF)"),
        RESET("guest requested a reset (PSCI SYSTEM_RESET)"),
        CRASH("guest reported a crash (PSCI SYSTEM_EVENT crash)"),
        REALM_OFF("realm is off (REC_ENTER refused: realm in SYSTEM_OFF)"),
        STOPPED("stopped by the user"),
        /** KVM_EXIT_INTERNAL_ERROR: the vCPU cannot go on (its PE's stop report says why and where). */
        VCPU_FAILED("a vCPU cannot continue (KVM_EXIT_INTERNAL_ERROR)"),
        /** Every vCPU waits for an interrupt and nothing can send one (RunCommand's watchdog sees it). */
        ASLEEP("the guest sleeps and nothing can wake it: every vCPU waits for an interrupt (WFI) with none "
            + "pending and no timer armed"),
        INSTRUCTION_LIMIT("instruction limit reached"),
        TIMEOUT("timeout"),
        ERROR("error");

        public final String description;

        Outcome(String d) {
            this.description = d;
        }
    }

    public record Result(Outcome outcome, String detail) {
    }

    private final Libc libc;
    private final Config cfg;
    private final Pl011 uart;
    /** Every device the guest reaches by MMIO, by address (kvmtool's device registry). */
    private final MmioBus bus = new MmioBus();
    private PciHost pci;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    /** The devices' (and the attestation service's) view of guest RAM. */
    private final GuestMemory dma = new RamAccess();
    /** The token the realm handed over with VMM_TOKEN (the last one), or null. */
    private volatile byte[] token;
    /** For a realm: which pages of RAM the realm has shared with the host (the only ones devices may touch). */
    private final BitSet shared = new BitSet();
    private long irqScratch;
    private int kvm = -1;
    private int vm = -1;
    private int runSize;
    /** Where the VMM mapped guest RAM in its own address space. */
    private long ramUaddr;
    private final List<Integer> vcpuFds = new ArrayList<>();
    /** KVM offers a PMU (KVM_CAP_ARM_PMU_V3): every vCPU gets one. */
    private boolean pmu;
    /**
     * PSCI in the VMM (--psci user): the vCPUs whose CPU_OFF the VMM has handled (KVM_MP_STATE_STOPPED set), guarded
     * by itself. The RMM orders a vCPU's CPU_OFF before another vCPU's CPU_ON of it, but the two exits reach the VMM
     * on different threads: a CPU_ON must not mark the target runnable before the target's own thread has stopped
     * it, or that late STOPPED would leave the started vCPU asleep for ever.
     */
    private final java.util.Set<Integer> stoppedByVmm = new java.util.HashSet<>();
    /** How long a CPU_ON waits for its target's CPU_OFF to be handled; a target that is on (ALREADY_ON) never is. */
    private static final long CPU_OFF_HANDOFF_MILLIS = 200;
    private final List<Long> runMaps = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    /** The UART's SPI, once the VM exists: its level moves on any thread. */
    private volatile IrqLine uartLine = IrqLine.NONE;
    private final AtomicReference<Result> result = new AtomicReference<>();
    private volatile Outcome stopOutcome;

    public Vmm(Process process, Config cfg) {
        this.libc = new Libc(process);
        this.cfg = cfg;
        this.uart = new Pl011(cfg.console(), this::uartInterrupt);
        bus.register(MemoryMap.UART, MemoryMap.UART_SIZE, uart);
    }

    /** Creates the VM and loads the image; then {@link #run()} starts it. */
    public void setUp() throws ErrnoException {
        kvm = libc.open("/dev/kvm");
        if (cfg.realm() && libc.ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_RMI, "KVM_CHECK_EXTENSION") == 0) {
            throw new ErrnoException("KVM_CAP_ARM_RMI: this host cannot run realms", Errno.ENODEV);
        }
        int ipa = MemoryMap.ipaBits(cfg.memBytes(), cfg.realm());
        long type = (cfg.realm() ? KVM_VM_TYPE_ARM_REALM : KVM_VM_TYPE_ARM_NORMAL) | ipa;
        vm = (int) libc.ioctl(kvm, KVM_CREATE_VM, type, "KVM_CREATE_VM");
        LOG.info("created {} VM with a {}-bit IPA space", cfg.realm() ? "realm" : "normal", ipa);
        if (cfg.realm()) {
            configureRealm(cfg.realmConfig());
        }
        setUpMemory();
        runSize = (int) libc.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
        // vCPUs before the vGIC is initialised, as kvmtool does: the GIC has one redistributor per vCPU.
        pmu = libc.ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PMU_V3, "KVM_CHECK_EXTENSION") != 0;
        for (int i = 0; i < cfg.cpus(); i++) {
            setUpVcpu(i);
        }
        setUpGic(); // after the vCPUs: KVM refuses KVM_CREATE_VCPU once the vGIC is initialised (EBUSY)
        if (pmu) {
            setUpPmu();
        }
        irqScratch = libc.mmap(4096, -1, "mmap kvm_irq_level");
        uartLine = spiLine(MemoryMap.SPI_UART);
        setUpDevices();
        if (cfg.psciInVmm()) {
            forwardPsci();
        }
        if (cfg.realm() && cfg.challenge() != null) {
            forwardToVmm(VMM_CHALLENGE, 2); // the attestation service
        }
        load(cfg.kernel());
    }

    /**
     * KVM_ENABLE_CAP(KVM_CAP_ARM_RMI, CONFIG_REALM, &struct arm_rmi_config) for each item asked for, as kvmtool's
     * realm_configure_parameters() did on v8-v10 kernels. A v12 kernel has no such call (EINVAL).
     */
    private void configureRealm(RealmConfig rc) throws ErrnoException {
        if (rc.hashAlgo() >= 0) {
            long c = libc.struct2(Structs.RMI_CONFIG_SIZE);
            libc.mem.write32(c + Structs.RC_CFG, ARM_RMI_CONFIG_HASH_ALGO);
            libc.mem.write32(c + Structs.RC_HASH_ALGO, rc.hashAlgo());
            enableRealmConfig(c, "hash algorithm");
            LOG.info("realm configured: measurement algorithm {}", rc.hashAlgo() == 1 ? "SHA-512" : "SHA-256");
        }
        if (rc.rpv() != null) {
            long c = libc.struct2(Structs.RMI_CONFIG_SIZE);
            libc.mem.write32(c + Structs.RC_CFG, ARM_RMI_CONFIG_RPV);
            libc.mem.writeBytes(c + Structs.RC_RPV, rc.rpv(), 0, ARM_RMI_CONFIG_RPV_SIZE);
            enableRealmConfig(c, "RPV");
            LOG.info("realm configured: personalization value {}", java.util.HexFormat.of().formatHex(rc.rpv()));
        }
    }

    private void enableRealmConfig(long config, String what) throws ErrnoException {
        long e = libc.struct(Structs.ENABLE_CAP_SIZE);
        libc.mem.write32(e + Structs.EC_CAP, (int) KVM_CAP_ARM_RMI);
        libc.mem.write64(e + Structs.EC_ARGS, KVM_CAP_ARM_RMI_CONFIG_REALM);
        libc.mem.write64(e + Structs.EC_ARGS + 8, config);
        long r = libc.proc.ioctl(vm, KVM_ENABLE_CAP, e);
        if (r == -Errno.EINVAL) {
            throw new ErrnoException("KVM_ENABLE_CAP(KVM_CAP_ARM_RMI, CONFIG_REALM) for the " + what
                    + ": this host kernel cannot configure a realm (the v12 ABI has no such call; "
                    + "the realm-config ABI profile has it, docs/abi.md)", Errno.EINVAL);
        }
        if (r < 0) {
            throw new ErrnoException("KVM_ENABLE_CAP(KVM_CAP_ARM_RMI, CONFIG_REALM) for the " + what, (int) -r);
        }
    }

    /** The PCI host bridge and its devices, when the configuration has any. */
    private void setUpDevices() throws ErrnoException {
        DeviceOptions.Devices d = cfg.devices();
        if (!d.pci()) {
            return;
        }
        pci = d.its() ? new PciHost(this::spiLine, this::signalMsi) : new PciHost(this::spiLine);
        boolean msix = pci.hasMsi();
        GuestMemory mem = dma;
        try {
            for (DeviceOptions.Disk disk : d.disks()) {
                VirtioBlk blk = new VirtioBlk(disk.path(), disk.readOnly());
                closeables.add(blk);
                pci.add(new VirtioPciDevice(blk, mem, cfg.realm(), msix));
            }
        } catch (java.io.IOException e) {
            throw new ErrnoException("--disk: " + e.getMessage(), Errno.EIO);
        }
        if (d.rng()) {
            pci.add(new VirtioPciDevice(new VirtioRng(), mem, cfg.realm(), msix));
        }
        if (d.virtioConsole()) {
            VirtioConsole con = new VirtioConsole(cfg.console());
            VirtioPciDevice dev = new VirtioPciDevice(con, mem, cfg.realm(), msix);
            con.onInput(() -> dev.deliver(VirtioConsole.RECEIVEQ));
            pci.add(dev);
            virtioConsole = con;
        }
        try {
            for (DeviceOptions.Share sh : d.shares()) {
                Virtio9p p9 = new Virtio9p(sh.dir(), sh.tag());
                closeables.add(p9::reset);
                pci.add(new VirtioPciDevice(p9, mem, cfg.realm(), msix));
            }
        } catch (java.io.IOException e) {
            throw new ErrnoException("--9p: " + e.getMessage(), Errno.EIO);
        }
        if (d.pciTestdev()) {
            pci.add(new PciTestDev());
        }
        pci.register(bus);
        for (PciDevice p : pci.devices()) {
            LOG.info("PCI 00:{}.0 {} {}", String.format("%02x", p.slot()), p.ids(), p.name());
        }
    }

    /** KVM_IRQ_LINE for one SPI on the VM's fd. */
    private IrqLine spiLine(int intid) {
        long irq = ((long) KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | intid;
        return level -> {
            synchronized (shared) {
                libc.mem.write32(irqScratch, (int) irq);
                libc.mem.write32(irqScratch + 4, level ? 1 : 0);
                long r = libc.proc.ioctl(vm, KVM_IRQ_LINE, irqScratch);
                if (r < 0 && irqErrors++ == 0) {
                    LOG.warn("{}", new ErrnoException("KVM_IRQ_LINE(INTID " + intid + ")", (int) -r).getMessage());
                }
            }
        };
    }

    /**
     * A PCI function's MSI write: KVM_SIGNAL_MSI on the VM's fd with the requester ID as the device ID (the device
     * tree's msi-map is the identity), as kvmtool does. A message the ITS has no translation for is dropped by
     * KVM (0); errors are logged once.
     */
    private void signalMsi(long address, int data, int requesterId) {
        long m = libc.struct(Structs.MSI_SIZE);
        libc.mem.write32(m + Structs.MSI_ADDRESS_LO, (int) address);
        libc.mem.write32(m + Structs.MSI_ADDRESS_HI, (int) (address >>> 32));
        libc.mem.write32(m + Structs.MSI_DATA, data);
        libc.mem.write32(m + Structs.MSI_FLAGS, KVM_MSI_VALID_DEVID);
        libc.mem.write32(m + Structs.MSI_DEVID, requesterId);
        long r = libc.proc.ioctl(vm, KVM_SIGNAL_MSI, m);
        if (r < 0 && msiErrors++ == 0) {
            LOG.warn("{}", new ErrnoException(String.format("KVM_SIGNAL_MSI(devid %#x, data %d)", requesterId, data),
                    (int) -r).getMessage());
        }
    }

    private volatile int msiErrors;
    private int irqErrors;
    private volatile VirtioConsole virtioConsole;

    /**
     * Guest RAM as the devices' DMA sees it: through the VMM's own mapping of the memslot. A realm's addresses
     * may carry the unprotected bit (its DMA addresses do); only pages the realm shared are reachable.
     */
    private final class RamAccess implements GuestMemory {
        private long offset(long gpa, int len) {
            long a = gpa;
            if (cfg.realm()) {
                a &= ~(1L << (MemoryMap.ipaBits(cfg.memBytes(), true) - 1));
            }
            long off = a - MemoryMap.RAM;
            if (len < 0 || off < 0 || off > cfg.memBytes() || cfg.memBytes() - off < len) {
                throw new GuestMemoryException(String.format("%#x+%#x is outside guest RAM", gpa, len));
            }
            if (cfg.realm() && len > 0) {
                synchronized (shared) {
                    for (long p = off >>> 12; p <= (off + len - 1) >>> 12; p++) {
                        if (!shared.get((int) p)) {
                            throw new GuestMemoryException(String.format(
                                    "%#x+%#x is realm memory the realm has not shared", gpa, len));
                        }
                    }
                }
            }
            return ramUaddr + off;
        }

        @Override
        public void read(long gpa, byte[] dst, int off, int len) {
            libc.mem.readBytes(offset(gpa, len), dst, off, len);
        }

        @Override
        public void write(long gpa, byte[] src, int off, int len) {
            libc.mem.writeBytes(offset(gpa, len), src, off, len);
        }
    }

    private void setUpMemory() throws ErrnoException {
        long shared = libc.mmap(cfg.memBytes(), -1, "mmap guest RAM");
        ramUaddr = shared;
        long a = libc.struct(Structs.MEMORY_REGION2_SIZE);
        libc.mem.write64(a + Structs.MR2_GUEST_PHYS_ADDR, MemoryMap.RAM);
        libc.mem.write64(a + Structs.MR2_MEMORY_SIZE, cfg.memBytes());
        libc.mem.write64(a + Structs.MR2_USERSPACE_ADDR, shared);
        if (cfg.realm()) {
            long g = libc.struct2(Structs.CREATE_GUEST_MEMFD_SIZE);
            libc.mem.write64(g + Structs.CGM_SIZE, cfg.memBytes());
            int gmem = (int) libc.ioctl(vm, KVM_CREATE_GUEST_MEMFD, g, "KVM_CREATE_GUEST_MEMFD");
            libc.mem.write32(a + Structs.MR2_FLAGS, KVM_MEM_GUEST_MEMFD);
            libc.mem.write32(a + Structs.MR2_GUEST_MEMFD, gmem);
        }
        libc.ioctl(vm, KVM_SET_USER_MEMORY_REGION2, a, "KVM_SET_USER_MEMORY_REGION2");
        if (cfg.realm()) {
            long m = libc.struct(Structs.MEMORY_ATTRIBUTES_SIZE);
            libc.mem.write64(m + Structs.MA_ADDRESS, MemoryMap.RAM);
            libc.mem.write64(m + Structs.MA_SIZE, cfg.memBytes());
            libc.mem.write64(m + Structs.MA_ATTRIBUTES, KVM_MEMORY_ATTRIBUTE_PRIVATE);
            libc.ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, m, "KVM_SET_MEMORY_ATTRIBUTES");
        }
    }

    private void setUpGic() throws ErrnoException {
        long d = libc.struct(Structs.CREATE_DEVICE_SIZE);
        libc.mem.write32(d + Structs.CD_TYPE, KVM_DEV_TYPE_ARM_VGIC_V3);
        libc.ioctl(vm, KVM_CREATE_DEVICE, d, "KVM_CREATE_DEVICE(GICv3)");
        int gic = libc.mem.read32(d + Structs.CD_FD);
        setDeviceAttr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, MemoryMap.GIC_DIST);
        setDeviceAttr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, MemoryMap.GIC_REDIST);
        setDeviceAttr(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0);
        if (cfg.devices().its()) {
            d = libc.struct(Structs.CREATE_DEVICE_SIZE);
            libc.mem.write32(d + Structs.CD_TYPE, KVM_DEV_TYPE_ARM_VGIC_ITS);
            libc.ioctl(vm, KVM_CREATE_DEVICE, d, "KVM_CREATE_DEVICE(ITS)");
            int its = libc.mem.read32(d + Structs.CD_FD);
            setDeviceAttr(its, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, MemoryMap.GIC_ITS);
            setDeviceAttr(its, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0);
        }
    }

    /**
     * The PL011's interrupt output changed: drive its SPI with KVM_IRQ_LINE on the VM, as kvmtool does for its
     * UART. Called with the UART's lock held, so levels reach KVM in the order the device produced them.
     */
    private void uartInterrupt(boolean high) {
        uartLine.set(high);
    }

    /**
     * Sends bytes to the guest's console (the other end of the UART's line): they enter its receive FIFO as the
     * guest lets them. Blocks while the line's buffer is full; false once the run has ended.
     */
    public boolean consoleInput(byte[] b, int off, int len) throws InterruptedException {
        VirtioConsole con = virtioConsole;
        if (con != null) { // --console virtio: the input goes to hvc0
            con.input(java.util.Arrays.copyOfRange(b, off, off + len));
            return result.get() == null;
        }
        return uart.receive(b, off, len);
    }

    /**
     * Asks KVM to forward the realm's PSCI calls (the Standard Secure Service calls 0x00-0x1F, SMC32 and SMC64) to
     * the VMM as KVM_EXIT_HYPERCALL, with the SMCCC filter (a VM attribute; before any vCPU runs).
     */
    private void forwardPsci() throws ErrnoException {
        for (long base : new long[] {PSCI_BASE_32, PSCI_BASE_64}) {
            forwardToVmm(base, 0x20);
        }
    }

    /** An SMCCC filter range [base, base + n) with action FWD_TO_USER: those calls exit as KVM_EXIT_HYPERCALL. */
    private void forwardToVmm(long base, int n) throws ErrnoException {
        long f = libc.struct2(Structs.SMCCC_FILTER_SIZE);
        libc.mem.write32(f + Structs.SF_BASE, (int) base);
        libc.mem.write32(f + Structs.SF_NR_FUNCTIONS, n);
        libc.mem.write(f + Structs.SF_ACTION, 1, KVM_SMCCC_FILTER_FWD_TO_USER);
        long a = libc.struct(Structs.DEVICE_ATTR_SIZE);
        libc.mem.write32(a + Structs.DA_GROUP, KVM_ARM_VM_SMCCC_CTRL);
        libc.mem.write64(a + Structs.DA_ATTR, KVM_ARM_VM_SMCCC_FILTER);
        libc.mem.write64(a + Structs.DA_ADDR, f);
        libc.ioctl(vm, KVM_SET_DEVICE_ATTR, a, "KVM_SET_DEVICE_ATTR(SMCCC filter)");
    }

    /** VMM_CHALLENGE and VMM_TOKEN (see {@link #VMM_CHALLENGE}); the result goes to the caller's X0.. */
    private void attestationCall(int fd, long fid) throws ErrnoException {
        if (fid == VMM_CHALLENGE) {
            java.nio.ByteBuffer c = java.nio.ByteBuffer.wrap(cfg.challenge()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            setReg(fd, REG_X0, 0);
            for (int i = 1; i <= 8; i++) {
                setReg(fd, REG_X0 + 2L * i, c.getLong());
            }
            return;
        }
        long addr = getReg(fd, REG_X0 + 2);
        long len = getReg(fd, REG_X0 + 4);
        long status = PSCI_INVALID_PARAMETERS; // SMCCC's INVALID_PARAMETER
        if (len > 0 && len <= MAX_TOKEN) {
            byte[] t = new byte[(int) len];
            try {
                dma.read(addr, t, 0, t.length);
                token = t;
                status = 0;
                LOG.info("the realm handed over an attestation token: {} bytes at {}", len, String.format("%#x", addr));
            } catch (GuestMemory.GuestMemoryException e) {
                LOG.warn("VMM_TOKEN: {}", e.getMessage());
            }
        }
        setReg(fd, REG_X0, status);
    }

    /** The attestation token the realm handed over (VMM_TOKEN), or null. */
    public byte[] token() {
        return token;
    }

    private void setDeviceAttr(int fd, int group, long attr, long value) throws ErrnoException {
        long v = libc.struct2(8);
        libc.mem.write64(v, value);
        long a = libc.struct(Structs.DEVICE_ATTR_SIZE);
        libc.mem.write32(a + Structs.DA_GROUP, group);
        libc.mem.write64(a + Structs.DA_ATTR, attr);
        libc.mem.write64(a + Structs.DA_ADDR, v);
        libc.ioctl(fd, KVM_SET_DEVICE_ATTR, a, "KVM_SET_DEVICE_ATTR");
    }

    /**
     * Each vCPU's PMU (KVM_ARM_VCPU_PMU_V3_CTRL, after the vGIC is initialised, as kvmtool's pmu__generate_fdt_nodes
     * does): the overflow interrupt is PPI 23, as the device tree's arm,armv8-pmuv3 node says.
     */
    private void setUpPmu() throws ErrnoException {
        for (int fd : vcpuFds) {
            setDeviceAttr(fd, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, MemoryMap.PPI_PMU);
            setDeviceAttr(fd, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_INIT, 0);
        }
    }

    private void setUpVcpu(int id) throws ErrnoException {
        int fd = (int) libc.ioctl(vm, KVM_CREATE_VCPU, id, "KVM_CREATE_VCPU");
        long init = libc.struct(Structs.VCPU_INIT_SIZE);
        libc.ioctl(vm, KVM_ARM_PREFERRED_TARGET, init, "KVM_ARM_PREFERRED_TARGET");
        long features = 1L << KVM_ARM_VCPU_PSCI_0_2;
        if (pmu) {
            features |= 1L << KVM_ARM_VCPU_PMU_V3;
        }
        if (id != 0) {
            features |= 1L << KVM_ARM_VCPU_POWER_OFF; // secondaries wait for PSCI CPU_ON
            synchronized (stoppedByVmm) {
                stoppedByVmm.add(id);
            }
        }
        libc.mem.write32(init + Structs.VI_FEATURES, (int) features);
        libc.ioctl(fd, KVM_ARM_VCPU_INIT, init, "KVM_ARM_VCPU_INIT");
        vcpuFds.add(fd);
        runMaps.add(libc.mmap(runSize, fd, "mmap kvm_run"));
    }

    private void setReg(int fd, long id, long value) throws ErrnoException {
        long v = libc.struct2(8);
        libc.mem.write64(v, value);
        long r = libc.struct(Structs.ONE_REG_SIZE);
        libc.mem.write64(r + Structs.OR_ID, id);
        libc.mem.write64(r + Structs.OR_ADDR, v);
        libc.ioctl(fd, KVM_SET_ONE_REG, r, "KVM_SET_ONE_REG");
    }

    /**
     * Copies the image into guest memory: for a realm through KVM_ARM_RMI_POPULATE (measured, sorted by address,
     * looping on partial progress), for a normal VM into the shared RAM mapping. Sets the boot vCPU's PC.
     */
    private void load(LoadedImage image) throws ErrnoException {
        // Merge the image's pages into contiguous page ranges so that no page is populated twice.
        List<long[]> ranges = new ArrayList<>();
        for (LoadedImage.Segment s : image.segments()) {
            long start = s.gpa() & ~0xFFFL;
            long end = (s.end() + 0xFFF) & ~0xFFFL;
            if (!ranges.isEmpty() && start <= ranges.get(ranges.size() - 1)[1]) {
                long[] last = ranges.get(ranges.size() - 1);
                last[1] = Math.max(last[1], end);
            } else {
                ranges.add(new long[] {start, end});
            }
        }
        for (long[] r : ranges) {
            long size = r[1] - r[0];
            long buf = libc.mmap(size, -1, "mmap image buffer");
            for (LoadedImage.Segment s : image.segments()) {
                if (s.gpa() >= r[0] && s.gpa() < r[1]) {
                    libc.mem.writeBytes(buf + (s.gpa() - r[0]), s.bytes(), 0, s.bytes().length);
                }
            }
            if (cfg.realm()) {
                populate(r[0], size, buf);
            } else {
                // A normal VM's RAM is the VMM's own mapping: copy the image into it.
                byte[] page = new byte[(int) Math.min(size, 1 << 20)];
                for (long off = 0; off < size; off += page.length) {
                    int n = (int) Math.min(page.length, size - off);
                    libc.mem.readBytes(buf + off, page, 0, n);
                    libc.mem.writeBytes(ramUaddr + (r[0] - MemoryMap.RAM) + off, page, 0, n);
                }
            }
            libc.proc.munmap(buf, size);
        }
        setReg(vcpuFds.get(0), REG_PC, image.entry());
        setReg(vcpuFds.get(0), REG_X0, cfg.x0());
    }

    private void populate(long base, long size, long src) throws ErrnoException {
        while (size > 0) {
            long a = libc.struct(Structs.RMI_POPULATE_SIZE);
            libc.mem.write64(a + Structs.POP_BASE, base);
            libc.mem.write64(a + Structs.POP_SIZE, size);
            libc.mem.write64(a + Structs.POP_SOURCE_UADDR, src);
            libc.mem.write32(a + Structs.POP_FLAGS, KVM_ARM_RMI_POPULATE_FLAGS_MEASURE);
            long done = libc.ioctl(vm, KVM_ARM_RMI_POPULATE, a, "KVM_ARM_RMI_POPULATE");
            if (done == 0) {
                throw new ErrnoException("KVM_ARM_RMI_POPULATE made no progress", Errno.EIO);
            }
            base += done;
            src += done;
            size -= done;
        }
    }

    /** Starts the vCPU threads and waits until the guest stops; returns how it ended. */
    public Result run() throws InterruptedException {
        for (int i = 0; i < vcpuFds.size(); i++) {
            final int idx = i;
            Thread t = new Thread(() -> vcpuLoop(idx), "vcpu-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        uart.close();
        uart.flush();
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing a device: {}", e.toString());
            }
        }
        Result r = result.get();
        if (r == null && realmOff) {
            return new Result(Outcome.REALM_OFF, "every vCPU");
        }
        return r != null ? r : new Result(Outcome.ERROR, "no vCPU reported an outcome");
    }

    /** Stops the guest from another thread (timeout, limit, user interrupt): signals every vCPU thread. */
    public void stop(Outcome why) {
        stopOutcome = why;
        for (Thread t : threads) {
            libc.proc.signal(t);
        }
    }

    /** Some vCPU found the realm off (KVM_EXIT_SHUTDOWN) and ended its thread. */
    private volatile boolean realmOff;

    private void finish(Result r) {
        if (result.compareAndSet(null, r)) {
            for (Thread t : threads) {
                if (t != Thread.currentThread()) {
                    libc.proc.signal(t);
                }
            }
        }
    }

    private void vcpuLoop(int idx) {
        int fd = vcpuFds.get(idx);
        long run = runMaps.get(idx);
        try {
            while (result.get() == null) {
                long r = libc.proc.ioctl(fd, KVM_RUN, 0);
                int reason = libc.mem.read32(run + Structs.RUN_EXIT_REASON);
                if (r < 0) {
                    int errno = (int) -r;
                    if (errno == Errno.EINTR) {
                        if (stopOutcome != null) {
                            finish(new Result(stopOutcome, ""));
                        }
                        continue;
                    }
                    if (errno == Errno.EFAULT && reason == KVM_EXIT_MEMORY_FAULT) {
                        convertMemory(run);
                        continue;
                    }
                    finish(new Result(Outcome.ERROR, new ErrnoException("KVM_RUN on vCPU " + idx, errno).getMessage()));
                    return;
                }
                switch (reason) {
                    case KVM_EXIT_MMIO:
                        mmio(run);
                        break;
                    case KVM_EXIT_HYPERCALL: {
                        Outcome o = hypercall(idx, run);
                        if (o != null) {
                            finish(new Result(o, "vCPU " + idx));
                            return;
                        }
                        break;
                    }
                    case KVM_EXIT_SYSTEM_EVENT: {
                        int type = libc.mem.read32(run + Structs.RUN_SYSTEM_EVENT_TYPE);
                        Outcome o = type == KVM_SYSTEM_EVENT_SHUTDOWN ? Outcome.POWER_OFF
                                : type == KVM_SYSTEM_EVENT_RESET ? Outcome.RESET : Outcome.CRASH;
                        finish(new Result(o, "vCPU " + idx));
                        return;
                    }
                    case KVM_EXIT_SHUTDOWN:
                        // The realm is off: another vCPU's PSCI SYSTEM_OFF raced with this vCPU's REC entry. That
                        // vCPU reports the system event; this one's thread ends (kvmtool does the same).
                        realmOff = true;
                        return;
                    case KVM_EXIT_INTERNAL_ERROR:
                        finish(new Result(Outcome.VCPU_FAILED, "vCPU " + idx));
                        return;
                    default:
                        finish(new Result(Outcome.ERROR, "vCPU " + idx + ": unexpected " + exitName(reason)));
                        return;
                }
            }
        } catch (ErrnoException e) {
            finish(new Result(Outcome.ERROR, e.getMessage()));
        } catch (RuntimeException e) {
            LOG.debug("vCPU {} failed", idx, e);
            finish(new Result(Outcome.ERROR, "vCPU " + idx + ": " + e));
        }
    }

    static final long PSCI_BASE_32 = 0x8400_0000L, PSCI_BASE_64 = 0xC400_0000L;
    static final long PSCI_CPU_OFF = 0x8400_0002L, PSCI_CPU_ON = 0x3L, PSCI_AFFINITY_INFO = 0x4L,
            PSCI_SYSTEM_OFF = 0x8400_0008L, PSCI_SYSTEM_RESET = 0x8400_0009L;
    static final long PSCI_SUCCESS = 0, PSCI_NOT_SUPPORTED = -1, PSCI_INVALID_PARAMETERS = -2;

    /**
     * KVM_EXIT_HYPERCALL: a realm's PSCI call forwarded to the VMM (the SMCCC filter of --psci user, or the
     * psci-user ABI profile). The RMM already decided what it could: the VMM names the target vCPU with
     * KVM_ARM_VCPU_RMI_PSCI_COMPLETE on the caller's fd (the RMM then writes the caller's result: SUCCESS,
     * ALREADY_ON, ON or OFF) and powers a started vCPU on with KVM_SET_MP_STATE, as KVM does for in-kernel PSCI.
     * Returns how the run ends, or null to run on.
     */
    private Outcome hypercall(int idx, long run) throws ErrnoException {
        long fid = libc.mem.read64(run + Structs.RUN_HYPERCALL_NR) & 0xFFFF_FFFFL;
        int fd = vcpuFds.get(idx);
        if (!cfg.realm()) {
            throw new ErrnoException(String.format("vCPU %d: KVM_EXIT_HYPERCALL %#x: PSCI in the VMM is only "
                    + "modelled for realms", idx, fid), Errno.ENOSYS);
        }
        if ((fid == VMM_CHALLENGE || fid == VMM_TOKEN) && cfg.challenge() != null) {
            attestationCall(fd, fid);
            return null;
        }
        long fn = fid & ~(1L << 30); // SMC32 and SMC64 forms alike
        if (fid == PSCI_SYSTEM_OFF) {
            return Outcome.POWER_OFF;
        }
        if (fid == PSCI_SYSTEM_RESET) {
            return Outcome.RESET;
        }
        if (fid == PSCI_CPU_OFF) {
            synchronized (stoppedByVmm) {
                setMpState(fd, KVM_MP_STATE_STOPPED); // the RMM made the REC not runnable; KVM_RUN now sleeps
                stoppedByVmm.add(idx);
                stoppedByVmm.notifyAll();
            }
            return null;
        }
        if (fn == (PSCI_BASE_32 | PSCI_CPU_ON) || fn == (PSCI_BASE_32 | PSCI_AFFINITY_INFO)) {
            long mpidr = getReg(fd, REG_X0 + 2); // X1: each core register is 2 ids apart (u64 pairs)
            if ((fid & (1L << 30)) == 0) {
                mpidr &= 0xFFFF_FFFFL;
            }
            int target = vcpuByMpidr(mpidr);
            if (target < 0) {
                // The RMM checked the MPIDR against its RECs: a vCPU it knows the VMM has not created.
                throw new ErrnoException(String.format("vCPU %d: PSCI %#x for MPIDR %#x, which no vCPU has",
                        idx, fid, mpidr), Errno.EINVAL);
            }
            long c = libc.struct(Structs.RMI_PSCI_COMPLETE_SIZE);
            libc.mem.write64(c + Structs.PC_TARGET_MPIDR, mpidr);
            libc.mem.write32(c + Structs.PC_PSCI_STATUS, (int) PSCI_SUCCESS);
            libc.ioctl(fd, KVM_ARM_VCPU_RMI_PSCI_COMPLETE, c, "KVM_ARM_VCPU_RMI_PSCI_COMPLETE");
            if (fn == (PSCI_BASE_32 | PSCI_CPU_ON)) {
                // A target that was on stays on (the RMM answered ALREADY_ON); one that was off now runs, once its
                // own thread has handled its CPU_OFF (secondaries that never ran are stopped from the start).
                synchronized (stoppedByVmm) {
                    long end = System.nanoTime() + CPU_OFF_HANDOFF_MILLIS * 1_000_000L;
                    for (long left = end - System.nanoTime(); !stoppedByVmm.contains(target) && left > 0;
                            left = end - System.nanoTime()) {
                        try {
                            stoppedByVmm.wait(Math.max(1, left / 1_000_000L));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            break;
                        }
                    }
                    setMpState(vcpuFds.get(target), KVM_MP_STATE_RUNNABLE);
                    stoppedByVmm.remove(target);
                }
            }
            return null;
        }
        // Other PSCI calls that reach the VMM (CPU_SUSPEND, ...): answered as kvmtool answers unknown calls.
        setReg(fd, REG_X0, PSCI_NOT_SUPPORTED);
        return null;
    }

    /** The vCPU whose MPIDR is {@code mpidr}: KVM gives vCPU i Aff0 = i % 16, Aff1 = i / 16. */
    private int vcpuByMpidr(long mpidr) {
        if ((mpidr & ~0xFF_00FF_FFFFL) != 0 || (mpidr & 0xFF) >= 16 || (mpidr >>> 16 & 0xFF) != 0) {
            return -1;
        }
        int i = (int) ((mpidr >>> 8 & 0xFF) * 16 + (mpidr & 0xFF));
        return i < vcpuFds.size() ? i : -1;
    }

    private void setMpState(int fd, int state) throws ErrnoException {
        long m = libc.struct(Structs.MP_STATE_SIZE);
        libc.mem.write32(m + Structs.MPS_MP_STATE, state);
        libc.ioctl(fd, KVM_SET_MP_STATE, m, "KVM_SET_MP_STATE");
    }

    private void mmio(long run) {
        long addr = libc.mem.read64(run + Structs.RUN_MMIO_PHYS_ADDR);
        int len = libc.mem.read32(run + Structs.RUN_MMIO_LEN);
        boolean write = libc.mem.read(run + Structs.RUN_MMIO_IS_WRITE, 1) != 0;
        if (write) {
            bus.write(addr, len, libc.mem.read(run + Structs.RUN_MMIO_DATA, len));
        } else {
            libc.mem.write(run + Structs.RUN_MMIO_DATA, 8, bus.read(addr, len));
        }
    }

    /** KVM_EXIT_MEMORY_FAULT: convert the range to what the guest accessed (private or shared), as kvmtool does. */
    private void convertMemory(long run) {
        long flags = libc.mem.read64(run + Structs.RUN_MEMORY_FAULT_FLAGS);
        long gpa = libc.mem.read64(run + Structs.RUN_MEMORY_FAULT_GPA);
        long size = libc.mem.read64(run + Structs.RUN_MEMORY_FAULT_SIZE);
        long m = libc.struct(Structs.MEMORY_ATTRIBUTES_SIZE);
        libc.mem.write64(m + Structs.MA_ADDRESS, gpa);
        libc.mem.write64(m + Structs.MA_SIZE, size);
        libc.mem.write64(m + Structs.MA_ATTRIBUTES, (flags & KVM_MEMORY_EXIT_FLAG_PRIVATE) != 0
                ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0);
        long r = libc.proc.ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, m);
        if (r < 0) {
            throw new IllegalStateException(new ErrnoException("KVM_SET_MEMORY_ATTRIBUTES", (int) -r).getMessage());
        }
        long first = (gpa - MemoryMap.RAM) >> 12;
        long pages = (size + 0xFFF) >> 12;
        if (first >= 0 && first + pages <= cfg.memBytes() >> 12) {
            synchronized (shared) {
                shared.set((int) first, (int) (first + pages), (flags & KVM_MEMORY_EXIT_FLAG_PRIVATE) == 0);
            }
        }
    }

    /**
     * Where vCPU {@code idx} is, read with KVM_GET_ONE_REG after the run (PC and PSTATE's exception level), or
     * null for a realm (the host cannot see a realm's registers) or when the registers cannot be read.
     */
    public String vcpuLocation(int idx) {
        if (cfg.realm() || idx >= vcpuFds.size()) {
            return null;
        }
        long pc = getReg(vcpuFds.get(idx), REG_PC);
        long pstate = getReg(vcpuFds.get(idx), REG_PSTATE);
        if (pc == -1 && pstate == -1) {
            return null;
        }
        return String.format("pc=%#x EL%d%s", pc, (pstate >>> 2) & 3, (pstate & 1) != 0 ? "h" : "t");
    }

    private long getReg(int fd, long id) {
        long v = libc.struct2(8);
        long r = libc.struct(Structs.ONE_REG_SIZE);
        libc.mem.write64(r + Structs.OR_ID, id);
        libc.mem.write64(r + Structs.OR_ADDR, v);
        return libc.proc.ioctl(fd, KVM_GET_ONE_REG, r) < 0 ? -1 : libc.mem.read64(v);
    }

    /** Bytes the guest wrote to its console (the PL011 and, with --console virtio, hvc0). */
    public long consoleBytes() {
        return uart.bytesWritten() + (virtioConsole != null ? virtioConsole.bytesWritten() : 0);
    }

    /** The PCI functions of the guest (empty without PCI devices). */
    public List<PciDevice> pciDevices() {
        return pci == null ? List.of() : pci.devices();
    }

    public List<Thread> vcpuThreads() {
        return threads;
    }
}
