package dev.cca.kvm;

import dev.cca.core.cpu.Pmu;
import dev.cca.core.cpu.SysRegs;
import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.AbiProfile;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.KvmUapi;
import dev.cca.kvm.uapi.Structs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * A VM file descriptor (virt/kvm/kvm_main.c kvm_vm_ioctl, arch/arm64/kvm/arm.c kvm_arch_vm_ioctl). Checks are
 * made in the kernel's order so that the same misuse gives the same errno; a request arm64 KVM does not know is
 * answered with EINVAL (kvm_arch_vm_ioctl's default).
 */
public final class KvmVm implements FileObject {
    /** KVM_MAX_VCPUS on arm64 (VGIC_V3_MAX_CPUS), also KVM_MAX_VCPU_IDS. */
    static final int MAX_VCPUS = 512;
    /** KVM_MEM_SLOTS_NUM = SHRT_MAX; user slots are 0..32766 (KVM_CAP_NR_MEMSLOTS). */
    static final int USER_MEM_SLOTS = 32767;
    /** KVM_MEM_MAX_NR_PAGES. */
    private static final long MEM_MAX_NR_PAGES = (1L << 31) - 1;
    /** TASK_SIZE of a 48-bit VA arm64 process: access_ok() limit for userspace_addr. */
    private static final long TASK_SIZE = 1L << 48;
    private static final long PAGE = 4096;

    final KvmDevice dev;
    /** The VM type, fixed at KVM_CREATE_VM. */
    final VmBackend backend;
    final int ipaBits;
    private final List<Memslot> slots = new ArrayList<>();
    /** Guest frame numbers with KVM_MEMORY_ATTRIBUTE_PRIVATE. */
    private final RangeSet privateGfns = new RangeSet();
    final Map<Integer, KvmVcpu> vcpus = new TreeMap<>();
    final SmcccFilter smcccFilter = new SmcccFilter();
    /** In-kernel MMIO devices (kvm_io_bus): accesses to them never exit to user space. */
    final IoBus ioBus = new IoBus();
    VgicDevice vgic;
    /** The ITS device (KVM_DEV_TYPE_ARM_VGIC_ITS), or null: with it the vGIC has LPIs (vgic_dist.has_its). */
    volatile VgicItsDevice its;
    /** The emulated GIC once KVM_DEV_ARM_VGIC_CTRL_INIT (or a realm's first run) initialised it, else null. */
    volatile Vgic irqchip;
    /** Where the VM's vCPU threads block in WFI (kvm_vcpu_block). */
    final VcpuWait waits;
    /** KVM_ARCH_FLAG_HAS_RAN_ONCE: some vCPU completed its first-run initialisation. */
    volatile boolean hasRanOnce;
    /** kvm->arch.vcpu_features: fixed by the first KVM_ARM_VCPU_INIT, shared by every vCPU. */
    long vcpuFeatures;
    boolean vcpuFeaturesConfigured;
    /** kvm->arch.nr_pmu_counters: PMCR_EL0.N of the VM's vCPUs (a VMM lowers it with SET_ONE_REG PMCR_EL0). */
    int nrPmuCounters = Pmu.COUNTERS;
    /** The firmware pseudo-registers (PSCI version, SMCCC bitmaps), VM-wide. */
    final VmFirmwareRegs firmware = new VmFirmwareRegs(this);
    /** ID_AA64DFR0_EL1 as the VM's vCPUs see it (a VM-wide ID register); null until first read. */
    private Long idAa64dfr0;
    /** VM capabilities enabled with KVM_ENABLE_CAP. */
    boolean nisvToUser;
    boolean systemSuspend;
    long haltPollNs;
    /** References to the VM: its own fd plus every vCPU, guest_memfd and device file (kvm_get_kvm). */
    private int users = 1;
    private boolean destroyed;

    KvmVm(KvmDevice dev, boolean realm, int ipaBits) {
        this.dev = dev;
        this.ipaBits = ipaBits;
        this.waits = new VcpuWait(this);
        this.backend = VmBackend.create(this, realm);
    }

    /** SMCCC calls (hypercalls.c) and PSCI (psci.c), the same code for both VM types. */
    final Hypercalls hypercalls = new Hypercalls(this);
    final KvmPsci psci = new KvmPsci(this);

    /** kvm_vcpu_kick() for vCPU {@code id}: out of its guest (normal VM or REC) and out of its wait. */
    void kick(int id) {
        backend.kick(id);
    }

    /** MPIDR_HWID_BITMASK: Aff3 and Aff2..Aff0. */
    static final long MPIDR_HWID_BITMASK = 0xFF_00FF_FFFFL;

    /** kvm_mpidr_to_vcpu(): the vCPU whose affinity is {@code mpidr} (other bits ignored), or null. */
    KvmVcpu vcpuByMpidr(long mpidr) {
        mpidr &= MPIDR_HWID_BITMASK;
        synchronized (this) {
            for (KvmVcpu c : vcpus.values()) {
                if (c.mpidr == mpidr) {
                    return c;
                }
            }
        }
        return null;
    }

    /** Creates the emulated GIC and puts its registers on the in-kernel bus (vgic_init + map_resources). */
    synchronized Vgic createIrqchip(long distBase, long redistBase, int nrIrqs) {
        if (irqchip == null) {
            Vgic g = new Vgic(this, distBase, redistBase, nrIrqs, this::kick);
            g.register(ioBus);
            irqchip = g;
        }
        return irqchip;
    }

    AbiProfile profile() {
        return dev.kernel.profile();
    }

    @Override
    public String name() {
        return "anon_inode:kvm-vm";
    }

    /** The IPA bit that selects the unprotected (shared) alias of a realm's address space. */
    long sharedBit() {
        return 1L << (ipaBits - 1);
    }

    @Override
    public long ioctl(Process p, long request, long arg) {
        if (request == KVM_CHECK_EXTENSION) {
            return dev.checkExtension(this, arg);
        }
        if (request == KVM_CREATE_VCPU) {
            return createVcpu(p, arg);
        }
        if (request == KVM_SET_USER_MEMORY_REGION || request == KVM_SET_USER_MEMORY_REGION2) {
            return setMemoryRegion(p, arg, request == KVM_SET_USER_MEMORY_REGION2);
        }
        if (request == KVM_CREATE_GUEST_MEMFD) {
            return createGuestMemfd(p, arg);
        }
        if (request == KVM_SET_MEMORY_ATTRIBUTES) {
            return setMemoryAttributes(p, arg);
        }
        if (request == KVM_ENABLE_CAP) {
            return enableCap(p, arg);
        }
        if (request == KVM_CREATE_DEVICE) {
            return createDevice(p, arg);
        }
        if (request == KVM_ARM_PREFERRED_TARGET) {
            UserStruct s = UserStruct.ofSize(Structs.VCPU_INIT_SIZE).put32(Structs.VI_TARGET, KVM_ARM_TARGET_GENERIC_V8);
            return p.memory().copyToUser(arg, s.bytes()) ? 0 : -Errno.EFAULT;
        }
        if (request == KVM_IRQ_LINE) {
            byte[] raw = p.memory().copyFromUser(arg, 8);
            if (raw == null) {
                return -Errno.EFAULT;
            }
            Vgic g = irqchip;
            if (g == null) {
                return -Errno.ENXIO; // no in-kernel irqchip initialised yet
            }
            return g.irqLine(new UserStruct(raw).u32(0), new UserStruct(raw).u32(4));
        }
        if (request == KVM_SIGNAL_MSI) {
            return signalMsi(p, arg);
        }
        if (request == KVM_HAS_DEVICE_ATTR || request == KVM_SET_DEVICE_ATTR) {
            return deviceAttr(p, arg, request);
        }
        if (request == profile().populateRequest()) {
            return populate(p, arg);
        }
        return -Errno.EINVAL;
    }

    // ---- KVM_CREATE_VCPU -------------------------------------------------------------------------------------

    /** kvm_vm_ioctl_create_vcpu + kvm_arch_vcpu_precreate. */
    private long createVcpu(Process p, long id) {
        if (Long.compareUnsigned(id, MAX_VCPUS) >= 0) {
            return -Errno.EINVAL;
        }
        synchronized (this) {
            if (vcpus.size() >= MAX_VCPUS) {
                return -Errno.EINVAL;
            }
            if (vgic != null && vgic.initialized) {
                return -Errno.EBUSY; // the vGIC is sized: no more redistributors can be added
            }
            if (vcpus.containsKey((int) id)) {
                return -Errno.EEXIST;
            }
            KvmVcpu v = KvmVcpu.create(this, (int) id);
            if (v == null) {
                return -Errno.ENOMEM;
            }
            vcpus.put((int) id, v);
            users++;
            return p.installFd(v);
        }
    }

    // ---- KVM_SET_USER_MEMORY_REGION(2) -----------------------------------------------------------------------

    /** kvm_vm_ioctl_set_memory_region / kvm_set_memory_region / kvm_arch_prepare_memory_region, in their order. */
    private long setMemoryRegion(Process p, long arg, boolean v2) {
        byte[] raw = p.memory().copyFromUser(arg, v2 ? Structs.MEMORY_REGION2_SIZE : Structs.MEMORY_REGION_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        if (!v2) {
            byte[] full = new byte[Structs.MEMORY_REGION2_SIZE];
            System.arraycopy(raw, 0, full, 0, raw.length);
            raw = full;
        }
        UserStruct m = new UserStruct(raw);
        long slotArg = m.u32(Structs.MR2_SLOT);
        int flags = (int) m.u32(Structs.MR2_FLAGS);
        long gpa = m.u64(Structs.MR2_GUEST_PHYS_ADDR);
        long size = m.u64(Structs.MR2_MEMORY_SIZE);
        long uaddr = m.u64(Structs.MR2_USERSPACE_ADDR);
        long gmemOffset = m.u64(Structs.MR2_GUEST_MEMFD_OFFSET);
        int gmemFd = (int) m.u32(Structs.MR2_GUEST_MEMFD);
        boolean gmemFlag = (flags & KVM_MEM_GUEST_MEMFD) != 0;
        // check_memory_region_flags(): v1 knows only LOG_DIRTY_PAGES and READONLY.
        int valid = KVM_MEM_LOG_DIRTY_PAGES;
        if (v2 && backend.hasPrivateMem()) {
            valid |= KVM_MEM_GUEST_MEMFD; // kvm_arch_has_private_mem()
        }
        if (gmemFlag) {
            valid &= ~KVM_MEM_LOG_DIRTY_PAGES; // no dirty logging of private memory
        } else {
            valid |= KVM_MEM_READONLY;
        }
        if ((flags & ~valid) != 0) {
            return -Errno.EINVAL;
        }
        if ((size & (PAGE - 1)) != 0 || (gpa & (PAGE - 1)) != 0) {
            return -Errno.EINVAL;
        }
        // The address must be page aligned, untagged (TBI byte clear) and within the task (access_ok).
        if ((uaddr & (PAGE - 1)) != 0 || (uaddr >>> 56) != 0 || Long.compareUnsigned(uaddr, TASK_SIZE) > 0
                || Long.compareUnsigned(size, TASK_SIZE - uaddr) > 0) {
            return -Errno.EINVAL;
        }
        if (gmemFlag && ((gmemOffset & (PAGE - 1)) != 0 || Long.compareUnsigned(gmemOffset + size, gmemOffset) < 0)) {
            return -Errno.EINVAL;
        }
        int asId = (int) (slotArg >>> 16);
        int id = (int) (slotArg & 0xFFFF);
        if (asId != 0 || id >= USER_MEM_SLOTS) {
            return -Errno.EINVAL;
        }
        if (Long.compareUnsigned(gpa + size, gpa) < 0) {
            return -Errno.EINVAL;
        }
        if ((size >>> 12) > MEM_MAX_NR_PAGES) {
            return -Errno.EINVAL;
        }
        synchronized (this) {
            Memslot old = slot(id);
            if (size == 0) {
                if (old == null) {
                    return -Errno.EINVAL;
                }
                slots.remove(old);
                backend.unmapRange(old.gpa, old.size);
                if (old.gmem != null) {
                    old.gmem.unbind(old.gmemOffset, old.size);
                }
                return 0;
            }
            boolean move = false;
            if (old != null) {
                // Private memslots are immutable (they can only be deleted); others may change flags or move.
                if (gmemFlag) {
                    return -Errno.EINVAL;
                }
                if (old.userspaceAddr != uaddr || old.size != size
                        || ((old.flags ^ flags) & KVM_MEM_READONLY) != 0) {
                    return -Errno.EINVAL;
                }
                if (old.gpa != gpa) {
                    move = true;
                } else if (old.flags == flags) {
                    return 0;
                } else {
                    old.flags = flags;
                    backend.unmapRange(old.gpa, old.size); // remapped with the new permissions on demand
                    return 0;
                }
            }
            for (Memslot s : slots) {
                if (s != old && Long.compareUnsigned(gpa, s.end()) < 0 && Long.compareUnsigned(s.gpa, gpa + size) < 0) {
                    return -Errno.EEXIST;
                }
            }
            GuestMemfd gmem = null;
            if (gmemFlag) {
                FileObject f = p.file(gmemFd);
                if (f == null) {
                    return -Errno.EBADF;
                }
                if (!(f instanceof GuestMemfd) || ((GuestMemfd) f).vm != this) {
                    return -Errno.EINVAL;
                }
                gmem = (GuestMemfd) f;
                if (gmemOffset < 0 || Long.compareUnsigned(gmemOffset + size, gmem.size) > 0) {
                    return -Errno.EINVAL;
                }
                if (!gmem.bind(gmemOffset, size)) {
                    return -Errno.EEXIST;
                }
            }
            // kvm_arch_prepare_memory_region(): the slot must lie in the VM's IPA space.
            if (Long.compareUnsigned(gpa + size, 1L << ipaBits) > 0) {
                if (gmem != null) {
                    gmem.unbind(gmemOffset, size);
                }
                return -Errno.EFAULT;
            }
            if (move) {
                slots.remove(old);
                backend.unmapRange(old.gpa, old.size);
            }
            slots.add(new Memslot(id, flags, gpa, size, uaddr, gmem, gmemOffset));
            return 0;
        }
    }

    private Memslot slot(int id) {
        for (Memslot s : slots) {
            if (s.id == id) {
                return s;
            }
        }
        return null;
    }

    /** The memslot containing guest physical address {@code gpa}, or null. */
    synchronized Memslot findSlot(long gpa) {
        for (Memslot s : slots) {
            if (s.contains(gpa)) {
                return s;
            }
        }
        return null;
    }

    synchronized List<Memslot> slots() {
        return new ArrayList<>(slots);
    }

    // ---- guest_memfd and memory attributes -------------------------------------------------------------------

    /** kvm_gmem_create(). */
    private long createGuestMemfd(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.CREATE_GUEST_MEMFD_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        long size = s.u64(Structs.CGM_SIZE);
        long flags = s.u64(Structs.CGM_FLAGS);
        if (flags != 0) {
            return -Errno.EINVAL; // no GUEST_MEMFD_FLAG_MMAP: realm memory is never mapped by user space
        }
        if (size <= 0 || (size & (PAGE - 1)) != 0) {
            return -Errno.EINVAL;
        }
        GuestMemfd g = new GuestMemfd(this, size);
        synchronized (this) {
            users++;
        }
        return p.installFd(g);
    }

    /** kvm_vm_ioctl_set_mem_attributes(). */
    private long setMemoryAttributes(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.MEMORY_ATTRIBUTES_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        long address = s.u64(Structs.MA_ADDRESS);
        long size = s.u64(Structs.MA_SIZE);
        long attrs = s.u64(Structs.MA_ATTRIBUTES);
        long flags = s.u64(Structs.MA_FLAGS);
        if (size == 0 || Long.compareUnsigned(address + size, address) < 0) {
            return -Errno.EINVAL;
        }
        if ((address & (PAGE - 1)) != 0 || (size & (PAGE - 1)) != 0) {
            return -Errno.EINVAL;
        }
        long supported = backend.hasPrivateMem() ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
        if (flags != 0 || (attrs & ~supported) != 0) {
            return -Errno.EINVAL;
        }
        long start = address >>> 12;
        long end = (address + size) >>> 12;
        if (end == 0) {
            end = 1L << 52; // address + size wrapped to exactly 2^64
        }
        boolean toPrivate = (attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE) != 0;
        if (toPrivate) {
            privateGfns.add(start, end);
        } else {
            privateGfns.remove(start, end);
        }
        backend.attributesChanged(start << 12, end << 12, toPrivate);
        return 0;
    }

    /** True if {@code gpa} has KVM_MEMORY_ATTRIBUTE_PRIVATE (kvm_mem_is_private). */
    boolean isPrivate(long gpa) {
        return privateGfns.contains(gpa >>> 12);
    }

    // ---- KVM_ENABLE_CAP --------------------------------------------------------------------------------------

    /** kvm_vm_ioctl_enable_cap_generic, then kvm_vm_ioctl_enable_cap (arm64). */
    private long enableCap(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.ENABLE_CAP_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        long cap = s.u32(Structs.EC_CAP);
        long flags = s.u32(Structs.EC_FLAGS);
        long arg0 = s.u64(Structs.EC_ARGS);
        if (cap == KVM_CAP_HALT_POLL) {
            if (flags != 0 || arg0 != (arg0 & 0xFFFF_FFFFL)) {
                return -Errno.EINVAL;
            }
            haltPollNs = arg0;
            return 0;
        }
        if (flags != 0) {
            return -Errno.EINVAL;
        }
        synchronized (this) {
            if (cap == KVM_CAP_ARM_NISV_TO_USER) {
                nisvToUser = true;
                return 0;
            }
            if (cap == KVM_CAP_ARM_SYSTEM_SUSPEND) {
                systemSuspend = true;
                return 0;
            }
            if (cap == KVM_CAP_ARM_RMI && profile().realmConfig()) {
                // kvm_realm_enable_cap() of v8-v10, under the VM lock: realms only, one action.
                return backend.configureRealm(p, arg0, s.u64(Structs.EC_ARGS + 8));
            }
        }
        // KVM_CAP_ARM_MTE (no MTE on this host), KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE and the rest cannot be enabled.
        return -Errno.EINVAL;
    }

    // ---- KVM_CREATE_DEVICE -----------------------------------------------------------------------------------

    /** kvm_ioctl_create_device(). */
    private long createDevice(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.CREATE_DEVICE_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        long type = s.u32(Structs.CD_TYPE);
        boolean test = (s.u32(Structs.CD_FLAGS) & KVM_CREATE_DEVICE_TEST) != 0;
        // Device types this host registers: the GICv3 and its ITS (no GICv2 emulation, no VFIO device).
        if (type != KVM_DEV_TYPE_ARM_VGIC_V3 && type != KVM_DEV_TYPE_ARM_VGIC_ITS) {
            return -Errno.ENODEV;
        }
        if (test) {
            return 0;
        }
        FileObject created;
        synchronized (this) {
            if (type == KVM_DEV_TYPE_ARM_VGIC_ITS) {
                // vgic_its_create(): one ITS per VM here; it reads guest memory through this process's memslots.
                if (its != null) {
                    return -Errno.EEXIST;
                }
                its = new VgicItsDevice(this, new KvmGuestMemory(this, p.memory()));
                created = its;
            } else {
                if (vgic != null) {
                    return -Errno.EEXIST;
                }
                if (hasRanOnce) {
                    return -Errno.EBUSY; // kvm_vgic_create(): a vCPU has already run
                }
                vgic = new VgicDevice(this);
                created = vgic;
            }
            users++;
        }
        int fd = p.installFd(created);
        s.put32(Structs.CD_FD, fd);
        if (!p.memory().copyToUser(arg, s.bytes())) {
            return -Errno.EFAULT; // the fd stays installed, as in kvm_vm_ioctl
        }
        return 0;
    }

    /**
     * KVM_SIGNAL_MSI (kvm_send_userspace_msi, vgic_its_inject_msi): the ITS whose frame holds the address
     * translates (devid, data). 1 delivered, 0 blocked (no translation), or a negative errno.
     */
    private long signalMsi(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.MSI_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct m = new UserStruct(raw);
        long flags = m.u32(Structs.MSI_FLAGS);
        if (irqchip == null || (flags & ~KVM_MSI_VALID_DEVID) != 0) {
            return -Errno.EINVAL; // no in-kernel irqchip, or unknown flags
        }
        if (its == null) {
            return -Errno.ENODEV; // kvm_set_msi(): MSIs need an ITS
        }
        if ((flags & KVM_MSI_VALID_DEVID) == 0) {
            return -Errno.EINVAL; // vgic_msi_to_its(): the ITS needs the DeviceID
        }
        long address = m.u32(Structs.MSI_ADDRESS_LO) | (m.u32(Structs.MSI_ADDRESS_HI) << 32);
        IoBus.Device d = ioBus.find(address, 4);
        if (!(d instanceof VgicIts.Frame)) {
            return -Errno.EINVAL; // not an ITS's doorbell
        }
        return ((VgicIts.Frame) d).its().signalMsi((int) m.u32(Structs.MSI_DEVID), (int) m.u32(Structs.MSI_DATA));
    }

    // ---- VM device attributes: the SMCCC filter -------------------------------------------------------------

    /** kvm_vm_has_attr / kvm_vm_set_attr (KVM_ARM_VM_SMCCC_CTRL only). */
    private long deviceAttr(Process p, long arg, long request) {
        DeviceAttrRequest a = DeviceAttrRequest.parse(p, request, arg);
        if (a.error != 0) {
            return a.error;
        }
        if (a.group != KVM_ARM_VM_SMCCC_CTRL || a.attr != KVM_ARM_VM_SMCCC_FILTER) {
            return -Errno.ENXIO;
        }
        if (!a.set) {
            return 0;
        }
        byte[] f = p.memory().copyFromUser(a.addr, Structs.SMCCC_FILTER_SIZE);
        if (f == null) {
            return -Errno.EFAULT;
        }
        UserStruct fs = new UserStruct(f);
        long base = fs.u32(Structs.SF_BASE);
        long nr = fs.u32(Structs.SF_NR_FUNCTIONS);
        int action = fs.u8(Structs.SF_ACTION);
        long r = SmcccFilter.validate(base, nr, action, fs.zero(Structs.SF_PAD, Structs.SMCCC_FILTER_SIZE - Structs.SF_PAD));
        if (r < 0) {
            return r;
        }
        synchronized (this) {
            if (hasRanOnce) {
                return -Errno.EBUSY;
            }
            return smcccFilter.insert(base, nr, action);
        }
    }

    // ---- KVM_ARM_RMI_POPULATE --------------------------------------------------------------------------------

    private long populate(Process p, long arg) {
        return backend.populate(p, arg, profile().populateWritesBack());
    }

    // ---- ID_AA64DFR0_EL1 (VM-wide ID register, v12 patches 38-39) --------------------------------------------

    static final int DFR0_DEBUGVER = 0, DFR0_PMUVER = 8, DFR0_BRPS = 12, DFR0_WRPS = 20, DFR0_CTX_CMPS = 28;
    /** Fields a VMM may lower (FTR_LOWER_SAFE); every other field must keep its value. */
    private static final long DFR0_WRITABLE = (0xFL << DFR0_DEBUGVER) | (0xFL << DFR0_PMUVER) | (0xFL << DFR0_BRPS)
            | (0xFL << DFR0_WRPS) | (0xFL << DFR0_CTX_CMPS);

    private static long field(long v, int shift) {
        return (v >>> shift) & 0xF;
    }

    /** read_sanitised_id_aa64dfr0_el1(), with the realm's breakpoint and watchpoint counts from the RMM. */
    private long resetIdAa64dfr0() {
        long v = dev.kernel.platform.machine.cpu(0).sr[SysRegs.ID_AA64DFR0_EL1];
        v &= ~(0xFL << 4); // no trace unit
        return backend.sanitiseIdAa64dfr0(v);
    }

    synchronized long idAa64dfr0() {
        if (idAa64dfr0 == null) {
            idAa64dfr0 = resetIdAa64dfr0();
        }
        // PMUVer reads 0 when the vCPUs have no PMU (KVM_ARM_VCPU_PMU_V3 not given to KVM_ARM_VCPU_INIT).
        return hasPmu() ? idAa64dfr0 : idAa64dfr0 & ~(0xFL << DFR0_PMUVER);
    }

    /** kvm_vcpu_has_pmu() for every vCPU of the VM: they all have the features of the first KVM_ARM_VCPU_INIT. */
    boolean hasPmu() {
        return vcpuFeaturesConfigured && (vcpuFeatures & (1L << KvmUapi.KVM_ARM_VCPU_PMU_V3)) != 0;
    }

    /** set_id_aa64dfr0_el1() + set_id_reg(): immutable once a vCPU ran or the realm descriptor exists. */
    long setIdAa64dfr0(Process p, long addr) {
        byte[] b = p.memory().copyFromUser(addr, 8);
        if (b == null) {
            return -Errno.EFAULT;
        }
        long val = new UserStruct(b).u64(0);
        long bps = field(val, DFR0_BRPS), wps = field(val, DFR0_WRPS), ctx = field(val, DFR0_CTX_CMPS);
        if (field(val, DFR0_DEBUGVER) < 6 || bps == 0 || wps == 0 || ctx > bps) {
            return -Errno.EINVAL;
        }
        synchronized (this) {
            long current = idAa64dfr0();
            if (hasRanOnce || backend.idRegistersFixed()) {
                return val == current ? 0 : -Errno.EBUSY;
            }
            long limit = resetIdAa64dfr0();
            if (!hasPmu()) {
                limit &= ~(0xFL << DFR0_PMUVER);
            }
            for (int shift : new int[] {DFR0_DEBUGVER, DFR0_PMUVER, DFR0_BRPS, DFR0_WRPS, DFR0_CTX_CMPS}) {
                if (field(val, shift) > field(limit, shift)) {
                    return -Errno.E2BIG; // arm64_check_features(): more than the host (or RMM) offers
                }
            }
            if ((val & ~DFR0_WRITABLE) != (limit & ~DFR0_WRITABLE)) {
                return -Errno.E2BIG;
            }
            idAa64dfr0 = val;
            return 0;
        }
    }

    // ---- lifetime --------------------------------------------------------------------------------------------

    /** A file that refers to this VM (vCPU, guest_memfd, device) was closed for the last time. */
    void childReleased() {
        put();
    }

    @Override
    public void release() {
        put();
    }

    private void put() {
        boolean destroy;
        synchronized (this) {
            users--;
            destroy = users == 0 && !destroyed;
            if (destroy) {
                destroyed = true;
            }
        }
        if (destroy) {
            backend.destroy();
        }
    }

    /**
     * A description of the VM's state as user space could observe it (memslots, attributes, vCPUs, realm
     * state, filter): tests compare it before and after an ioctl to check that a failed call changed nothing.
     */
    synchronized String abiState() {
        StringBuilder sb = new StringBuilder();
        sb.append("realm=").append(backend.hasPrivateMem()).append(" ipa=").append(ipaBits).append('\n');
        for (Memslot s : slots) {
            sb.append(String.format("slot %d flags=%#x gpa=%#x size=%#x uaddr=%#x gmem=%s off=%#x%n", s.id, s.flags,
                    s.gpa, s.size, s.userspaceAddr, s.gmem == null ? "-" : Integer.toHexString(System.identityHashCode(s.gmem)),
                    s.gmemOffset));
        }
        sb.append("private=").append(privateGfns).append('\n');
        for (KvmVcpu v : vcpus.values()) {
            sb.append("vcpu ").append(v.abiState()).append('\n');
        }
        sb.append("vgic=").append(vgic == null ? "-" : vgic.distBase + "/" + vgic.redistBase + "/" + vgic.nrIrqs + "/"
                + vgic.initialized).append('\n');
        sb.append("features=").append(vcpuFeaturesConfigured ? Long.toString(vcpuFeatures) : "-").append(' ')
                .append(firmware).append(" dfr0=").append(idAa64dfr0()).append('\n');
        sb.append("filter=").append(smcccFilter).append(" caps=").append(nisvToUser).append(systemSuspend)
                .append(haltPollNs).append(" ran=").append(hasRanOnce).append('\n');
        sb.append(backend.abiState());
        return sb.toString();
    }
}
