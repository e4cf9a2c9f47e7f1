package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.GenericTimer;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.mem.Pas;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.PeScheduler;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.host.UserMemory;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * The realm half of a VM as the v12 KVM patches implement it (arch/arm64/kvm/rmi.c, rmi-exit.c): the realm is
 * created on the first KVM_ARM_RMI_POPULATE (or first run), RTTs are created on demand, RECs are created and the
 * realm is activated on the first KVM_RUN, and REC exits become kvm_run exits. Every RMM operation is an RMI call
 * by SMC. Error paths return the errno the kernel returns, in the kernel's order.
 */
final class RealmHost {
    enum State { NONE, NEW, ACTIVE, DYING, DEAD }

    private static final Logger LOG = LoggerFactory.getLogger(RealmHost.class);
    private static final long PAGE = 4096;
    private static final int RTT_MAX_LEVEL = 3;
    /** Instructions a REC runs before the host tick forces an exit (the host timer interrupt). */
    static final long TICK_INSTRUCTIONS = 4_000_000;
    private static final int VMID_BITS = 8;
    /** Stage-2 attributes of an unprotected mapping (realm_map_non_secure): Normal WB (FWB), S2AP RW. */
    static final long UNPROTECTED_ATTRS = (6L << 2) | (1L << 6) | (1L << 7);
    /** MPIDR_HWID_BITMASK: Aff3 and Aff2..Aff0. */
    private static final long MPIDR_HWID_BITMASK = 0xFF_00FF_FFFFL;
    private static final long SMCCC_ARCH_FEATURES = 0x8000_0001L;

    private final KvmVm vm;
    private final HostKernel kernel;
    volatile State state = State.NONE;
    long rd = -1;
    long pgd = -1;
    int pgdPages;
    int vmid = -1;
    long numAux;
    /** RTTs KVM created below the root: {ipa, level, pa}, in creation order. */
    private final List<long[]> rtts = new ArrayList<>();
    /** Guest frames mapped as protected DATA granules, and mapped unprotected (RTT_MAP_UNPROTECTED). */
    private final RangeSet privateMapped = new RangeSet();
    private final RangeSet sharedMapped = new RangeSet();

    /** RmiRealmParams.hash_algo and rpv, as KVM_CAP_ARM_RMI_CONFIG_REALM set them (realm-config profile). */
    private int hashAlgo = Rmi.HASH_SHA_256;
    private final byte[] rpv = new byte[ARM_RMI_CONFIG_RPV_SIZE];

    RealmHost(KvmVm vm) {
        this.vm = vm;
        this.kernel = vm.dev.kernel;
    }

    /** kvm_realm_is_created(): the Realm Descriptor exists (or existed). */
    boolean isCreated() {
        return state != State.NONE;
    }

    int rttLevelStart() {
        return 4 - ((vm.ipaBits - 8) / 9);
    }

    private static long[] rmi(Cpu pe, long fid, long... args) {
        return Smccc.call(pe, fid, args);
    }

    private static boolean ok(long[] r) {
        return r[0] == Rmi.SUCCESS;
    }

    private long delegatedPage(Cpu pe) {
        long pa = kernel.allocZeroedPage();
        if (pa < 0) {
            return -1;
        }
        if (!ok(rmi(pe, Rmi.GRANULE_DELEGATE, pa))) {
            kernel.pages.free(pa);
            return -1;
        }
        return pa;
    }

    /** free_delegated_granule(): undelegate and free; a granule the RMM will not give back is leaked. */
    private boolean undelegateAndFree(Cpu pe, long pa) {
        if (ok(rmi(pe, Rmi.GRANULE_UNDELEGATE, pa))) {
            kernel.pages.free(pa);
            return true;
        }
        LOG.warn(String.format("granule %#x could not be undelegated: leaked", pa));
        return false;
    }

    private static void writeNs(Cpu pe, long pa, long v) {
        pe.physWrite(pa, 8, v, Pas.NON_SECURE);
    }

    private static long readNs(Cpu pe, long pa) {
        return pe.physRead(pa, 8, Pas.NON_SECURE);
    }

    /**
     * kvm_rme_config_realm() of v8-v10 (the realm-config profile): EBUSY once the realm exists, EFAULT if the
     * struct cannot be read, EINVAL for an unknown {@code cfg} or a hash algorithm the RMM does not offer
     * (RMI_FEATURES register 0, bits 32 and 33). Caller holds the VM lock.
     */
    long configure(Process p, long uaddr) {
        if (isCreated()) {
            return -Errno.EBUSY;
        }
        byte[] raw = p.memory().copyFromUser(uaddr, Structs.RMI_CONFIG_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct c = new UserStruct(raw);
        switch ((int) c.u32(Structs.RC_CFG)) {
            case ARM_RMI_CONFIG_RPV:
                System.arraycopy(raw, Structs.RC_RPV, rpv, 0, ARM_RMI_CONFIG_RPV_SIZE);
                return 0;
            case ARM_RMI_CONFIG_HASH_ALGO: {
                long algo = c.u32(Structs.RC_HASH_ALGO);
                long f0 = kernel.rmiFeatures0();
                if (algo == ARM_RMI_CONFIG_HASH_ALGO_SHA256 && (f0 & (1L << 32)) != 0) {
                    hashAlgo = Rmi.HASH_SHA_256;
                } else if (algo == ARM_RMI_CONFIG_HASH_ALGO_SHA512 && (f0 & (1L << 33)) != 0) {
                    hashAlgo = Rmi.HASH_SHA_512;
                } else {
                    return -Errno.EINVAL;
                }
                return 0;
            }
            default:
                return -Errno.EINVAL;
        }
    }

    // ---- realm_ensure_created() ------------------------------------------------------------------------------

    /** Creates the Realm Descriptor if needed; 0 or a negative errno. Caller holds the VM lock. */
    long ensureCreated(Cpu pe) {
        switch (state) {
            case NEW:
                return 0;
            case DEAD:
                return -Errno.ENXIO;
            case ACTIVE:
            case DYING:
                return -Errno.EBUSY;
            default:
                break;
        }
        synchronized (kernel.vmids) {
            int v = kernel.vmids.nextClearBit(1);
            if (v >= (1 << VMID_BITS)) {
                return -Errno.ENOMEM; // bitmap_find_free_region(): no free VMID
            }
            kernel.vmids.set(v);
            vmid = v;
        }
        long r = createRd(pe);
        if (r != 0) {
            synchronized (kernel.vmids) {
                kernel.vmids.clear(vmid);
            }
            vmid = -1;
        }
        return r;
    }

    /** realm_create_rd(). */
    private long createRd(Cpu pe) {
        int sl = rttLevelStart();
        int pages = dev.cca.rmm.rtt.S2tt.rootTables(vm.ipaBits, sl);
        long rdPa = kernel.allocZeroedPage();
        if (rdPa < 0) {
            return -Errno.ENOMEM;
        }
        long pgdPa = kernel.pages.allocContiguous(pages);
        if (pgdPa < 0) {
            kernel.pages.free(rdPa);
            return -Errno.ENOMEM;
        }
        kernel.platform.machine.memory.zero(pgdPa, pages * PAGE);
        if (!ok(rmi(pe, Rmi.GRANULE_DELEGATE, rdPa))) {
            kernel.pages.free(rdPa);
            freeContiguous(pgdPa, pages);
            return -Errno.ENXIO;
        }
        int delegated = 0;
        long err = 0;
        for (; delegated < pages; delegated++) {
            if (!ok(rmi(pe, Rmi.GRANULE_DELEGATE, pgdPa + delegated * PAGE))) {
                err = -Errno.ENXIO;
                break;
            }
        }
        if (err == 0) {
            long params = kernel.allocZeroedPage();
            if (params < 0) {
                err = -Errno.ENOMEM;
            } else {
                long dfr0 = vm.idAa64dfr0();
                writeNs(pe, params + 0x008, vm.ipaBits);
                writeNs(pe, params + 0x018, (dfr0 >>> 12) & 0xF); // num_bps: ID_AA64DFR0_EL1.BRPs, copied raw
                writeNs(pe, params + 0x020, (dfr0 >>> 20) & 0xF); // num_wps: ID_AA64DFR0_EL1.WRPs
                writeNs(pe, params + 0x030, hashAlgo); // SHA-256 (0) unless the realm-config profile chose
                for (int i = 0; i < ARM_RMI_CONFIG_RPV_SIZE; i += 8) {
                    writeNs(pe, params + 0x400 + i, java.nio.ByteBuffer.wrap(rpv, i, 8)
                            .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
                }
                writeNs(pe, params + 0x800, vmid);
                writeNs(pe, params + 0x808, pgdPa);
                writeNs(pe, params + 0x810, sl);
                writeNs(pe, params + 0x818, pages);
                long[] r = rmi(pe, Rmi.REALM_CREATE, rdPa, params);
                kernel.pages.free(params);
                if (!ok(r)) {
                    LOG.warn("RMI_REALM_CREATE failed: " + Rmi.describe(r[0]));
                    err = -Errno.ENXIO;
                } else {
                    long[] aux = rmi(pe, Rmi.REC_AUX_COUNT, rdPa);
                    if (!ok(aux)) {
                        rmi(pe, Rmi.REALM_DESTROY, rdPa);
                        err = -Errno.ENXIO;
                    } else {
                        rd = rdPa;
                        pgd = pgdPa;
                        pgdPages = pages;
                        numAux = aux[1];
                        state = State.NEW;
                        return 0;
                    }
                }
            }
        }
        for (int i = delegated - 1; i >= 0; i--) {
            if (!ok(rmi(pe, Rmi.GRANULE_UNDELEGATE, pgdPa + i * PAGE))) {
                return err; // leak the tables
            }
        }
        if (!ok(rmi(pe, Rmi.GRANULE_UNDELEGATE, rdPa))) {
            return err;
        }
        kernel.pages.free(rdPa);
        freeContiguous(pgdPa, pages);
        return err;
    }

    private void freeContiguous(long pa, int pages) {
        for (int i = 0; i < pages; i++) {
            kernel.pages.free(pa + i * PAGE);
        }
    }

    // ---- RTT management --------------------------------------------------------------------------------------

    private static long levelSize(int level) {
        return 1L << (12 + 9 * (3 - level));
    }

    /** realm_create_rtt_levels(): creates the tables below {@code level} down to {@code maxLevel} for {@code ipa}. */
    private long createRttLevels(Cpu pe, long ipa, int level, int maxLevel) {
        while (level++ < maxLevel) {
            long rtt = delegatedPage(pe);
            if (rtt < 0) {
                return -Errno.ENOMEM;
            }
            long base = ipa & ~(levelSize(level - 1) - 1);
            long[] r = rmi(pe, Rmi.RTT_CREATE, rd, rtt, base, level);
            if (Rmi.status(r[0]) == Rmi.ERROR_RTT && Rmi.index(r[0]) == level - 1) {
                undelegateAndFree(pe, rtt); // the RTT already exists
                continue;
            }
            if (!ok(r)) {
                LOG.warn(String.format("RMI_RTT_CREATE(%#x, level %d) failed: %s", base, level, Rmi.describe(r[0])));
                undelegateAndFree(pe, rtt);
                return -Errno.ENXIO;
            }
            synchronized (rtts) {
                rtts.add(new long[] {base, level, rtt});
            }
        }
        return 0;
    }

    /** find_map_level(): the largest block level that [start, end) can use at {@code start}. */
    private int findMapLevel(long start, long end) {
        int level = RTT_MAX_LEVEL;
        while (level > rttLevelStart()) {
            long size = levelSize(level - 1);
            if ((start & (size - 1)) != 0 || start + size > end) {
                break;
            }
            level--;
        }
        return level;
    }

    // ---- KVM_ARM_RMI_POPULATE --------------------------------------------------------------------------------

    /** kvm_arm_rmi_populate() (v12): the bytes populated, as the kernel's {@code int}, or a negative errno. */
    long populate(Process p, UserStruct s) {
        long base = s.u64(Structs.POP_BASE);
        long size = s.u64(Structs.POP_SIZE);
        long src = s.u64(Structs.POP_SOURCE_UADDR);
        long flags = s.u32(Structs.POP_FLAGS);
        if (s.u32(Structs.POP_RESERVED) != 0 || (flags & ~KVM_ARM_RMI_POPULATE_FLAGS_MEASURE) != 0
                || (base & (PAGE - 1)) != 0 || ((base + size) & (PAGE - 1)) != 0) {
            return -Errno.EINVAL;
        }
        long pages = populateRegion(p, base, size >>> 12, src, flags);
        return pages < 0 ? pages : v12Return(pages);
    }

    /**
     * The v12 return value {@code ret * PAGE_SIZE} computed in {@code int}: 2 GiB or more in one call wraps (review
     * question d). Sign-extended to the syscall's {@code long} as the kernel does.
     */
    static long v12Return(long pages) {
        return (int) (pages * PAGE);
    }

    /**
     * The v13 form (populate-progress profile): {@code source_uaddr} must be page aligned too; on progress the
     * struct's base, size and source_uaddr advance and the call returns 0.
     */
    long populateProgress(Process p, UserStruct s) {
        long base = s.u64(Structs.POP_BASE);
        long size = s.u64(Structs.POP_SIZE);
        long src = s.u64(Structs.POP_SOURCE_UADDR);
        long flags = s.u32(Structs.POP_FLAGS);
        if (s.u32(Structs.POP_RESERVED) != 0 || (flags & ~KVM_ARM_RMI_POPULATE_FLAGS_MEASURE) != 0
                || (base & (PAGE - 1)) != 0 || (size & (PAGE - 1)) != 0 || (src & (PAGE - 1)) != 0) {
            return -Errno.EINVAL;
        }
        long pages = populateRegion(p, base, size >>> 12, src, flags);
        if (pages < 0) {
            return pages;
        }
        long bytes = pages * PAGE;
        s.put64(Structs.POP_BASE, base + bytes);
        s.put64(Structs.POP_SIZE, size - bytes);
        s.put64(Structs.POP_SOURCE_UADDR, src + bytes);
        return 0;
    }

    /** realm_ensure_created() then populate_region(): pages done, or a negative errno. */
    private long populateRegion(Process p, long base, long npages, long src, long flags) {
        synchronized (vm) {
            try (PeScheduler.Lease lease = kernel.scheduler.lease(0)) {
                Cpu pe = lease.cpu;
                long r = ensureCreated(pe);
                if (r < 0) {
                    return r;
                }
                return gmemPopulate(p, pe, base, npages, src, flags);
            }
        }
    }

    /** kvm_gmem_populate(): pages done (partial progress), or an errno if nothing was done. */
    private long gmemPopulate(Process p, Cpu pe, long base, long npages, long src, long flags) {
        Memslot slot = vm.findSlot(base);
        if (slot == null || slot.gmem == null) {
            return -Errno.EINVAL;
        }
        npages = Math.min(npages, (slot.end() - base) / PAGE);
        long done = 0;
        long err = 0;
        for (long i = 0; i < npages; i++) {
            if (p.signalPending()) {
                err = -Errno.EINTR;
                break;
            }
            long ipa = base + i * PAGE;
            long off = slot.gmemOffset + (ipa - slot.gpa);
            if (slot.gmem.page(off) != 0) {
                err = -Errno.EEXIST; // the folio is already prepared
                break;
            }
            if (!vm.isPrivate(ipa)) {
                err = -Errno.EINVAL;
                break;
            }
            // get_user_pages() on the source: v12 uses the page containing the address, whatever its offset.
            long srcPa = p.memory().userPagePa(src + i * PAGE, UserMemory.PROT_READ);
            if (srcPa < 0) {
                err = -Errno.EFAULT;
                break;
            }
            long dst = kernel.allocZeroedPage();
            if (dst < 0) {
                err = -Errno.ENOMEM;
                break;
            }
            if (!ok(rmi(pe, Rmi.GRANULE_DELEGATE, dst))) {
                kernel.pages.free(dst);
                err = -Errno.ENXIO;
                break;
            }
            // v12 passes the user flags straight through: MEASURE (1) == RMI_MEASURE_CONTENT (1).
            long[] r = rmi(pe, Rmi.DATA_CREATE, rd, dst, ipa, srcPa, flags);
            if (Rmi.status(r[0]) == Rmi.ERROR_RTT) {
                if (createRttLevels(pe, ipa, Rmi.index(r[0]), RTT_MAX_LEVEL) == 0) {
                    r = rmi(pe, Rmi.DATA_CREATE, rd, dst, ipa, srcPa, flags);
                }
            }
            if (!ok(r)) {
                LOG.warn(String.format("RMI_DATA_CREATE at %#x failed: %s", ipa, Rmi.describe(r[0])));
                undelegateAndFree(pe, dst);
                err = -Errno.ENXIO;
                break;
            }
            slot.gmem.setPage(off, dst);
            privateMapped.add(ipa >>> 12, (ipa >>> 12) + 1);
            done++;
        }
        return done > 0 ? done : err;
    }

    // ---- activation on the first KVM_RUN ---------------------------------------------------------------------

    /**
     * kvm_arch_vcpu_run_pid_change() for a realm vCPU's first run: map the vGIC's resources, then
     * kvm_activate_realm(). 0 or a negative errno.
     */
    long firstRun(KvmVcpu v) {
        synchronized (vm) {
            VgicDevice g = vm.vgic;
            if (g != null && !g.initialized) {
                if (g.distBase == -1 || g.redistBase == -1) {
                    return -Errno.ENXIO; // vgic_v3_map_resources(): addresses not set
                }
                g.initialized = true;
                if (g.nrIrqs == 0) {
                    g.nrIrqs = 256;
                }
                vm.createIrqchip(g.distBase, g.redistBase, g.nrIrqs);
            }
            try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
                return activate(lease.cpu);
            }
        }
    }

    /** kvm_activate_realm(): RECs for every vCPU, RIPAS RAM over every guest_memfd slot, REALM_ACTIVATE. */
    private long activate(Cpu pe) {
        if (state == State.ACTIVE) {
            return 0;
        }
        long r = ensureCreated(pe);
        if (r < 0) {
            return r;
        }
        state = State.DEAD; // provisional: a failure below leaves the realm dead
        if (vm.vgic == null) {
            return -Errno.EOPNOTSUPP; // user space irqchip not supported with realms
        }
        for (KvmVcpu v : vm.vcpus.values()) {
            r = createRec(pe, v);
            if (r < 0) {
                return r;
            }
        }
        for (Memslot s : vm.slots()) {
            if (s.gmem != null) {
                r = ripasChange(pe, null, s.gpa, s.end(), true);
                if (r < 0) {
                    return r;
                }
            }
        }
        long[] a = rmi(pe, Rmi.REALM_ACTIVATE, rd);
        if (!ok(a)) {
            return -Errno.ENXIO;
        }
        state = State.ACTIVE;
        return 0;
    }

    /** kvm_create_rec(). */
    private long createRec(Cpu pe, KvmVcpu v) {
        if (v.recRun != -1) {
            return -Errno.EBUSY;
        }
        if ((v.features & (1L << KVM_ARM_VCPU_PSCI_0_2)) == 0) {
            return -Errno.EINVAL; // the RMM implements PSCI 1.0 for realms: the vCPU must ask for PSCI 0.2+
        }
        long params = kernel.allocZeroedPage();
        long run = kernel.allocZeroedPage();
        long recPage = kernel.allocZeroedPage();
        if (params < 0 || run < 0 || recPage < 0) {
            for (long pa : new long[] {params, run, recPage}) {
                if (pa >= 0) {
                    kernel.pages.free(pa);
                }
            }
            return -Errno.ENOMEM;
        }
        if (!ok(rmi(pe, Rmi.GRANULE_DELEGATE, recPage))) {
            kernel.pages.free(params);
            kernel.pages.free(run);
            kernel.pages.free(recPage);
            return -Errno.ENXIO;
        }
        List<Long> aux = new ArrayList<>();
        long err = 0;
        for (int i = 0; i < numAux; i++) {
            long a = delegatedPage(pe);
            if (a < 0) {
                err = -Errno.ENXIO;
                break;
            }
            aux.add(a);
        }
        if (err == 0) {
            for (int i = 0; i < 8; i++) {
                writeNs(pe, params + 0x300 + 8L * i, v.regs[i]);
            }
            writeNs(pe, params + 0x200, v.regFile.pc);
            writeNs(pe, params + 0x000, v.id == 0 ? Rmi.REC_PARAMS_RUNNABLE : 0);
            writeNs(pe, params + 0x800, aux.size());
            for (int i = 0; i < aux.size(); i++) {
                writeNs(pe, params + 0x808 + 8L * i, aux.get(i));
            }
            writeNs(pe, params + 0x100, v.mpidr);
            long[] r = rmi(pe, Rmi.REC_CREATE, rd, recPage, params);
            if (ok(r)) {
                kernel.pages.free(params);
                v.rec = recPage;
                v.aux = aux.stream().mapToLong(Long::longValue).toArray();
                v.recRun = run;
                return 0;
            }
            LOG.warn("RMI_REC_CREATE failed: " + Rmi.describe(r[0]));
            err = -Errno.ENXIO;
        }
        for (long a : aux) {
            undelegateAndFree(pe, a);
        }
        undelegateAndFree(pe, recPage);
        kernel.pages.free(params);
        kernel.pages.free(run);
        return err;
    }

    /**
     * ripas_change(): RMI_RTT_INIT_RIPAS (at activation, {@code rec} null) or RMI_RTT_SET_RIPAS over [ipa, end),
     * creating RTTs where the RMM reports them missing. Returns the IPA reached, or a negative errno.
     */
    private long ripasChange(Cpu pe, KvmVcpu rec, long ipa, long end, boolean init) {
        while (Long.compareUnsigned(ipa, end) < 0) {
            long[] r = init ? rmi(pe, Rmi.RTT_INIT_RIPAS, rd, ipa, end) : rmi(pe, Rmi.RTT_SET_RIPAS, rd, rec.rec, ipa, end);
            if (ok(r)) {
                ipa = r[1];
                continue;
            }
            if (Rmi.status(r[0]) == Rmi.ERROR_RTT) {
                int errLevel = Rmi.index(r[0]);
                int level = findMapLevel(ipa, end);
                if (errLevel >= level) {
                    // "FIXME: Ugly hack to skip regions which are already RIPAS_RAM" (populated pages).
                    ipa += PAGE;
                    continue;
                }
                long c = createRttLevels(pe, ipa, errLevel, level);
                if (c < 0) {
                    return c;
                }
                continue;
            }
            LOG.warn(String.format("%s(%#x..%#x) failed: %s", init ? "RMI_RTT_INIT_RIPAS" : "RMI_RTT_SET_RIPAS", ipa, end,
                    Rmi.describe(r[0])));
            return -Errno.ENXIO;
        }
        return ipa;
    }

    // ---- KVM_RUN ---------------------------------------------------------------------------------------------

    /** kvm_handle_mmio_return() for a REC: a read's data goes to rec_enter.gprs[0]; the RMM skips the access. */
    void completeMmio(KvmVcpu v) {
        if (v.mmioRead) {
            long data = v.runRead(Structs.RUN_MMIO_DATA, 8);
            if (v.mmioLen < 8) {
                data &= (1L << (8 * v.mmioLen)) - 1;
            }
            // No sign extension: the RMM does not report ESR_EL2.SSE; a 32-bit register (SF == 0) is zero-extended.
            try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
                writeNs(lease.cpu, v.recRun + RecRun.ENTER_GPRS, data);
            }
        }
        v.recEnterFlags |= Rmi.REC_ENTER_EMUL_MMIO;
    }

    long run(Process p, KvmVcpu v) {
        Thread self = Thread.currentThread();
        v.runningThread = self;
        VcpuWait.Slot slot = vm.waits.slot(v.id);
        try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
            Cpu pe = lease.cpu;
            HostInterrupts.init(pe);
            slot.thread = self;
            slot.loadedOn = pe;
            // Time does not stand still while the vCPU was away: catch up with the machine (docs/time.md).
            pe.timer.advanceTo(kernel.platform.machine.counter.highWater());
            try {
                return runLoop(p, pe, v, self);
            } finally {
                slot.loadedOn = null;
                HostInterrupts.releaseTimers(pe);
                kernel.platform.machine.counter.publish(pe.timer.localCount());
            }
        } finally {
            v.runningThread = null;
        }
    }

    private long runLoop(Process p, Cpu pe, KvmVcpu v, Thread self) {
        Vgic vgic = vm.irqchip;
        while (true) {
            // xfer_to_guest_mode_handle_work(): a pending signal ends KVM_RUN.
            if (p.signalPending()) {
                p.consumeSignal();
                v.setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
            // check_vcpu_requests(): KVM_REQ_SLEEP for a powered-off vCPU (CPU_OFF, SYSTEM_OFF, POWER_OFF).
            long s = v.sleepWhileStopped(p);
            if (s != 0) {
                return s;
            }
            long pre = preEnter(pe, v);
            if (pre != CONTINUE) {
                return pre;
            }
            // In guest mode before the list registers are flushed: a kick from now on makes the REC exit.
            kernel.enterGuest(self, pe);
            HostInterrupts.acknowledge(pe);
            flushToRec(pe, v, vgic);
            // As Linux: WFI and WFE exit to the host, so that an idle vCPU's thread sleeps (kvm_vcpu_block).
            writeNs(pe, v.recRun + RecRun.ENTER_FLAGS,
                    v.recEnterFlags | Rmi.REC_ENTER_TRAP_WFI | Rmi.REC_ENTER_TRAP_WFE);
            long[] r;
            try {
                pe.setIrqCountdown(TICK_INSTRUCTIONS);
                r = rmi(pe, Rmi.REC_ENTER, v.rec, v.recRun);
            } catch (Smccc.CallInterruptedException e) {
                // The emulated PE stopped inside the realm (an exception loop, an emulator failure): it has no
                // way back to the host. The report stays with the PE (Cpu.stopReport) for tools.
                LOG.debug("REC_ENTER on vCPU {} did not return: {}", v.id, e.getMessage());
                kernel.scheduler.retire(pe);
                v.setExit(KVM_EXIT_INTERNAL_ERROR);
                return 0;
            } finally {
                pe.setIrqCountdown(Long.MAX_VALUE);
                pe.setIrqSource(HostKernel.IRQ_KICK, false);
                kernel.leaveGuest(self);
            }
            if (r[0] == Rmi.SUCCESS) {
                syncFromRec(pe, v, vgic);
            }
            long result = handleExit(p, pe, v, r[0]);
            if (result != CONTINUE) {
                return result;
            }
        }
    }

    /**
     * kvm_vgic_flush_hwstate() for a REC: the vCPU's pending and active interrupts go into rec_enter.gicv3_lrs
     * (never hardware-mapped: the RMM refuses LR.HW), the underflow request into gicv3_hcr. The timer PPIs are
     * kept physically active while their level is high or their virtual interrupt active, so that the realm's
     * timer does not fire again on the host for an interrupt already in flight.
     */
    private void flushToRec(Cpu pe, KvmVcpu v, Vgic vgic) {
        long hcr = vgic.flush(v.id, v.recLrs, false);
        writeNs(pe, v.recRun + RecRun.ENTER_GICV3_HCR, hcr);
        for (int i = 0; i < RecRun.GICV3_LRS; i++) {
            writeNs(pe, v.recRun + RecRun.ENTER_GICV3_LRS + 8L * i, i < v.recLrs.length ? v.recLrs[i] : 0);
        }
        for (int ppi : HostInterrupts.TIMER_PPIS) {
            HostInterrupts.setTimerActive(pe, ppi, vgic.isAsserted(v.id, ppi) || vgic.isActive(v.id, ppi));
        }
    }

    /**
     * kvm_vgic_sync_hwstate() and update_arch_timer_irq_lines() after a REC exit: the list registers as the
     * realm left them (acknowledged interrupts active, deactivated ones retired), ICH_VMCR_EL2, and the timers'
     * levels from the CTL/CVAL the RMM reported.
     */
    private void syncFromRec(Cpu pe, KvmVcpu v, Vgic vgic) {
        for (int i = 0; i < v.recLrs.length; i++) {
            v.recLrs[i] = readNs(pe, v.recRun + RecRun.EXIT_GICV3_LRS + 8L * i);
        }
        vgic.sync(v.id, v.recLrs);
        vgic.setVmcr(v.id, readNs(pe, v.recRun + RecRun.EXIT_GICV3_VMCR));
        v.recTimers[0] = readNs(pe, v.recRun + RecRun.EXIT_CNTP_CTL);
        v.recTimers[1] = readNs(pe, v.recRun + RecRun.EXIT_CNTP_CVAL);
        v.recTimers[2] = readNs(pe, v.recRun + RecRun.EXIT_CNTV_CTL);
        v.recTimers[3] = readNs(pe, v.recRun + RecRun.EXIT_CNTV_CVAL);
        updateTimerLevels(v, vgic, -1);
    }

    /**
     * kvm_realm_timers_update(): each timer's PPI level is ENABLE and not IMASK and ISTATUS, from the exit's CTL;
     * with {@code now} >= 0 (the vCPU waited), ISTATUS is recomputed from CVAL at that count.
     */
    private static void updateTimerLevels(KvmVcpu v, Vgic vgic, long now) {
        for (int t = 0; t < 2; t++) {
            int ppi = t == 0 ? GenericTimer.PPI_PHYS : GenericTimer.PPI_VIRT;
            long ctl = v.recTimers[2 * t];
            boolean fired = now >= 0 ? Long.compareUnsigned(now, v.recTimers[2 * t + 1]) >= 0
                    : (ctl & GenericTimer.CTL_ISTATUS) != 0;
            boolean level = (ctl & (GenericTimer.CTL_ENABLE | GenericTimer.CTL_IMASK)) == GenericTimer.CTL_ENABLE
                    && fired;
            vgic.setTimerLevel(v.id, ppi, level, false);
        }
    }

    /** The physical count at which the REC's next enabled, unmasked timer fires (kvm_timer_earliest_exp). */
    private static long timerDeadline(KvmVcpu v) {
        long d = Long.MAX_VALUE;
        for (int t = 0; t < 2; t++) {
            long ctl = v.recTimers[2 * t];
            if ((ctl & (GenericTimer.CTL_ENABLE | GenericTimer.CTL_IMASK)) == GenericTimer.CTL_ENABLE) {
                long cval = v.recTimers[2 * t + 1];
                d = Math.min(d, cval < 0 ? Long.MAX_VALUE : cval); // the realm's virtual offset is 0
            }
        }
        return d;
    }

    /**
     * kvm_vcpu_wfi() for a REC: blocks until an interrupt is pending for the vCPU or its timer deadline passes
     * (then the timer's level is raised). False if a signal ended the wait.
     */
    private boolean blockUntilWake(Process p, Cpu pe, KvmVcpu v) {
        Vgic vgic = vm.irqchip;
        boolean woke = vm.waits.block(p, pe, v.id, timerDeadline(v), () -> vgic.hasPending(v.id));
        updateTimerLevels(v, vgic, pe.timer.localCount());
        return woke;
    }

    /**
     * kvm_vcpu_kick() for a realm vCPU: a physical SGI to the PE running its REC forces the REC to exit
     * (RMI_EXIT_IRQ), so that its list registers are flushed again; a vCPU waiting in WFI is woken.
     */
    void kick(int id) {
        VcpuWait.Slot slot = vm.waits.slot(id);
        if (slot.thread == Thread.currentThread()) {
            return; // it flushes its list registers before it next enters the REC anyway
        }
        Cpu pe = slot.loadedOn;
        if (pe != null) {
            kernel.platform.machine.gic.sendSgi(pe.index, HostInterrupts.KICK_SGI);
        }
        vm.waits.wakeAll();
    }

    static final long CONTINUE = Long.MIN_VALUE;

    /** kvm_rec_pre_enter(). */
    private long preEnter(Cpu pe, KvmVcpu v) {
        if (state != State.ACTIVE) {
            return -Errno.EINVAL;
        }
        if (v.lastRecExit == Rmi.EXIT_HOST_CALL || v.lastRecExit == Rmi.EXIT_PSCI) {
            for (int i = 0; i < 31; i++) {
                writeNs(pe, v.recRun + RecRun.ENTER_GPRS + 8L * i, v.regs[i]);
            }
        } else if (v.lastRecExit == Rmi.EXIT_RIPAS_CHANGE) {
            completeRipasChange(pe, v);
        }
        return CONTINUE;
    }

    /** kvm_complete_ripas_change(): commit the RIPAS change the realm asked for, now that the VMM ran it again. */
    private void completeRipasChange(Cpu pe, KvmVcpu v) {
        long base = readNs(pe, v.recRun + RecRun.EXIT_RIPAS_BASE);
        long top = readNs(pe, v.recRun + RecRun.EXIT_RIPAS_TOP);
        int ripas = (int) (readNs(pe, v.recRun + RecRun.EXIT_RIPAS_VALUE) & 0xFF);
        while (Long.compareUnsigned(base, top) < 0) {
            long reached;
            synchronized (vm) {
                reached = ripasChange(pe, v, base, top, false);
                if (reached > base && ripas == Rmi.RIPAS_EMPTY) {
                    unmapPrivate(pe, base, reached);
                }
            }
            if (reached < 0 || reached == base) {
                LOG.warn(String.format("unable to satisfy RIPAS_CHANGE for %#x - %#x, ripas %d", base, top, ripas));
                break;
            }
            base = reached;
        }
        // Record progress so that a repeated pre-enter (an exit to user space before REC_ENTER) does not redo it.
        writeNs(pe, v.recRun + RecRun.EXIT_RIPAS_BASE, base);
    }

    private long readExit(Cpu pe, KvmVcpu v, int off) {
        return readNs(pe, v.recRun + off);
    }

    /** handle_rec_exit(): CONTINUE to re-enter, else the KVM_RUN result with kvm_run filled. */
    private long handleExit(Process p, Cpu pe, KvmVcpu v, long status) {
        if (Rmi.status(status) == Rmi.ERROR_REALM && Rmi.index(status) == 1) {
            v.setExit(KVM_EXIT_SHUTDOWN); // the realm is SYSTEM_OFF: a PSCI shutdown raced with this vCPU
            return 0;
        }
        if (status != Rmi.SUCCESS) {
            LOG.warn("RMI_REC_ENTER failed: " + Rmi.describe(status));
            return -Errno.ENXIO;
        }
        int reason = (int) (readExit(pe, v, RecRun.EXIT_REASON) & 0xFF);
        v.lastRecExit = reason;
        v.recEnterFlags = 0; // reset the emulation flags for the next run of the REC
        switch (reason) {
            case Rmi.EXIT_SYNC:
                return handleSync(p, pe, v);
            case Rmi.EXIT_IRQ:
            case Rmi.EXIT_FIQ:
                return CONTINUE;
            case Rmi.EXIT_PSCI:
            case Rmi.EXIT_HOST_CALL:
                for (int i = 0; i < 31; i++) {
                    v.regs[i] = readExit(pe, v, RecRun.EXIT_GPRS + 8 * i);
                }
                return smcccCall(p, pe, v, readExit(pe, v, RecRun.EXIT_ESR));
            case Rmi.EXIT_RIPAS_CHANGE:
                return ripasChangeExit(pe, v);
            default:
                LOG.warn("unsupported REC exit reason " + reason);
                v.setExit(KVM_EXIT_INTERNAL_ERROR);
                return 0;
        }
    }

    /** rec_exit_ripas_change(). */
    private long ripasChangeExit(Cpu pe, KvmVcpu v) {
        long base = readExit(pe, v, RecRun.EXIT_RIPAS_BASE);
        long top = readExit(pe, v, RecRun.EXIT_RIPAS_TOP);
        int ripas = (int) (readExit(pe, v, RecRun.EXIT_RIPAS_VALUE) & 0xFF);
        long shared = vm.sharedBit();
        if ((base & shared) != 0 || ((top - 1) & shared) != 0) {
            LOG.warn(String.format("invalid RIPAS_CHANGE for %#x - %#x, ripas %d", base, top, ripas));
            v.recEnterFlags = Rmi.REC_ENTER_RIPAS_RESPONSE; // reject it on the next entry
            return -Errno.EINVAL;
        }
        memoryFaultExit(v, base, top - base, ripas == Rmi.RIPAS_RAM);
        return -Errno.EFAULT; // KVM_EXIT_MEMORY_FAULT comes with -EFAULT (api.rst)
    }

    /** kvm_prepare_memory_fault_exit(). */
    private static void memoryFaultExit(KvmVcpu v, long gpa, long size, boolean isPrivate) {
        v.setExit(KVM_EXIT_MEMORY_FAULT);
        v.runWrite(Structs.RUN_MEMORY_FAULT_FLAGS, 8, isPrivate ? KVM_MEMORY_EXIT_FLAG_PRIVATE : 0);
        v.runWrite(Structs.RUN_MEMORY_FAULT_GPA, 8, gpa);
        v.runWrite(Structs.RUN_MEMORY_FAULT_SIZE, 8, size);
    }

    // ---- stage-2 faults --------------------------------------------------------------------------------------

    private long handleSync(Process p, Cpu pe, KvmVcpu v) {
        long esr = readExit(pe, v, RecRun.EXIT_ESR);
        switch (Esr.ec(esr)) {
            case Esr.EC_DABT_LOWER:
                return guestAbort(p, pe, v, esr);
            case Esr.EC_IABT_LOWER:
                LOG.warn(String.format("unhandled instruction abort from the realm (ESR %#x)", esr));
                return -Errno.ENXIO;
            case Esr.EC_WFX:
                // kvm_handle_wfx(): the RMM stepped over the instruction. WFE yields; WFI sleeps until woken.
                if ((esr & 1) != 0) {
                    Thread.yield();
                    return CONTINUE;
                }
                if (!blockUntilWake(p, pe, v)) {
                    p.consumeSignal();
                    v.setExit(KVM_EXIT_INTR);
                    return -Errno.EINTR;
                }
                return CONTINUE;
            case Esr.EC_SYSREG:
                return sysregExit(pe, v, esr);
            default:
                LOG.warn(String.format("unhandled exit reason from the realm (ESR %#x)", esr));
                return -Errno.ENXIO;
        }
    }

    /**
     * rec_exit_sys_reg(): the RMM forwards the realm's writes to ICC_SGI1R_EL1 (and ASGI1R, SGI0R) with the value
     * in gprs[0]; the vGIC sends the SGIs. The RMM has stepped over the instruction.
     */
    private long sysregExit(Cpu pe, KvmVcpu v, long esr) {
        int iss = Esr.iss(esr);
        if (Vgic.isSgiWrite(iss)) {
            vm.irqchip.sendSgi(v.id, readExit(pe, v, RecRun.EXIT_GPRS));
            return CONTINUE;
        }
        LOG.warn(String.format("unhandled system register exit from the realm (ESR %#x)", esr));
        return -Errno.ENXIO;
    }

    /** rec_exit_sync_dabt() / kvm_handle_guest_abort() for a REC. */
    private long guestAbort(Process p, Cpu pe, KvmVcpu v, long esr) {
        long hpfar = readExit(pe, v, RecRun.EXIT_HPFAR);
        long far = readExit(pe, v, RecRun.EXIT_FAR);
        boolean isv = (esr & Esr.ISV) != 0;
        boolean write = (esr & Esr.WNR) != 0;
        if (isv && write) {
            v.regs[0] = readExit(pe, v, RecRun.EXIT_GPRS); // the RMM puts the written value in gprs[0]
        }
        long faultIpa = (hpfar >>> 4) << 12;
        long shared = vm.sharedBit();
        long gpa = faultIpa & ~shared;
        boolean sharedFault = gpa != faultIpa;
        Memslot slot = vm.findSlot(gpa);
        boolean readonly = slot != null && (slot.flags & KVM_MEM_READONLY) != 0;
        if (slot == null || (write && readonly)) {
            return ioMemAbort(v, esr, (faultIpa | (far & 0xFFF)) & ~shared, sharedFault);
        }
        if (slot.gmem != null && !sharedFault) {
            return gmemAbort(pe, v, slot, gpa);
        }
        return userMemAbort(p, pe, v, slot, faultIpa, sharedFault);
    }

    /** io_mem_abort(): an emulated MMIO access, reported with the canonical (alias-stripped) address. */
    private long ioMemAbort(KvmVcpu v, long esr, long gpa, boolean sharedFault) {
        if ((esr & Esr.ISV) == 0) {
            if (!sharedFault) {
                // v12 asks for the SEA anyway; the RMM refuses it at a protected IPA, so KVM_RUN fails with ENXIO.
                LOG.warn(String.format("realm data abort at protected IPA %#x outside every memslot: the RMM will "
                        + "refuse the SEA KVM injects (as in v12)", gpa));
            }
            v.recEnterFlags |= Rmi.REC_ENTER_INJECT_SEA; // no syndrome: nothing to emulate, inject an SEA
            return CONTINUE;
        }
        boolean write = (esr & Esr.WNR) != 0;
        int len = 1 << ((esr >>> Esr.SAS_SHIFT) & 3);
        long data = write ? v.regs[0] : 0; // SRT is 0 in a REC exit: the value is in X0
        IoBus.Device d = vm.ioBus.find(gpa, len);
        if (d != null) {
            // An in-kernel device (kvm_io_bus): handled without an exit, then the access is completed.
            if (write) {
                d.write(v, gpa, len, data);
                v.recEnterFlags |= Rmi.REC_ENTER_EMUL_MMIO;
            } else {
                long val = d.read(v, gpa, len);
                try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
                    writeNs(lease.cpu, v.recRun + RecRun.ENTER_GPRS, val);
                }
                v.recEnterFlags |= Rmi.REC_ENTER_EMUL_MMIO;
            }
            return CONTINUE;
        }
        v.setExit(KVM_EXIT_MMIO);
        v.runWrite(Structs.RUN_MMIO_PHYS_ADDR, 8, gpa);
        v.runWrite(Structs.RUN_MMIO_LEN, 4, len);
        v.runWrite(Structs.RUN_MMIO_IS_WRITE, 1, write ? 1 : 0);
        if (write) {
            for (int b = 0; b < len; b++) {
                v.runWrite(Structs.RUN_MMIO_DATA + b, 1, (data >>> (8 * b)) & 0xFF);
            }
        }
        v.mmioNeeded = true;
        v.mmioRead = !write;
        v.mmioLen = len;
        return 0;
    }

    /** gmem_abort() for the protected alias of a guest_memfd slot. */
    private long gmemAbort(Cpu pe, KvmVcpu v, Memslot slot, long gpa) {
        long page = gpa & ~(PAGE - 1);
        if (!vm.isPrivate(page)) {
            memoryFaultExit(v, page, PAGE, true); // private access to memory the VMM marked shared
            return -Errno.EFAULT;
        }
        long off = slot.gmemOffset + (page - slot.gpa);
        synchronized (vm) {
            long pa = slot.gmem.page(off);
            if (pa == 0) {
                pa = kernel.allocZeroedPage(); // kvm_gmem_get_pfn() allocates the folio
                if (pa < 0) {
                    memoryFaultExit(v, page, PAGE, false);
                    return -Errno.ENOMEM;
                }
                slot.gmem.setPage(off, pa);
            }
            return mapProtected(pe, page, pa);
        }
    }

    /** realm_map_protected() for one page: DATA_CREATE_UNKNOWN, creating RTTs on demand. */
    private long mapProtected(Cpu pe, long ipa, long pa) {
        if (!ok(rmi(pe, Rmi.GRANULE_DELEGATE, pa))) {
            return CONTINUE; // probably raced with another vCPU that mapped it: let the guest retry
        }
        long[] r = rmi(pe, Rmi.DATA_CREATE_UNKNOWN, rd, pa, ipa);
        if (Rmi.status(r[0]) == Rmi.ERROR_RTT) {
            if (createRttLevels(pe, ipa, Rmi.index(r[0]), RTT_MAX_LEVEL) != 0) {
                undelegateOnly(pe, pa);
                return -Errno.ENXIO;
            }
            r = rmi(pe, Rmi.DATA_CREATE_UNKNOWN, rd, pa, ipa);
        }
        if (!ok(r)) {
            LOG.warn(String.format("RMI_DATA_CREATE_UNKNOWN at %#x failed: %s", ipa, Rmi.describe(r[0])));
            undelegateOnly(pe, pa);
            return -Errno.ENXIO;
        }
        privateMapped.add(ipa >>> 12, (ipa >>> 12) + 1);
        return CONTINUE;
    }

    /** Undelegates a guest_memfd page (it stays in the file). */
    private void undelegateOnly(Cpu pe, long pa) {
        if (!ok(rmi(pe, Rmi.GRANULE_UNDELEGATE, pa))) {
            LOG.warn(String.format("granule %#x could not be undelegated", pa));
        }
    }

    /** user_mem_abort() for a REC: map the memslot's user page at the unprotected alias. */
    private long userMemAbort(Process p, Cpu pe, KvmVcpu v, Memslot slot, long faultIpa, boolean sharedFault) {
        if (!sharedFault) {
            return -Errno.EINVAL; // non-guest_memfd memory cannot back a protected IPA
        }
        long gpa = faultIpa & ~vm.sharedBit();
        long hva = slot.userspaceAddr + ((gpa & ~(PAGE - 1)) - slot.gpa);
        long pa = p.memory().userPagePa(hva, UserMemory.PROT_READ | UserMemory.PROT_WRITE);
        if (pa < 0) {
            return -Errno.EFAULT; // no VMA (or not writable) behind the memslot
        }
        long ipa = faultIpa & ~(PAGE - 1);
        synchronized (vm) {
            long desc = pa | UNPROTECTED_ATTRS;
            long[] r = rmi(pe, Rmi.RTT_MAP_UNPROTECTED, rd, ipa, RTT_MAX_LEVEL, desc);
            if (Rmi.status(r[0]) == Rmi.ERROR_RTT) {
                if (createRttLevels(pe, ipa, Rmi.index(r[0]), RTT_MAX_LEVEL) != 0) {
                    return -Errno.ENXIO;
                }
                r = rmi(pe, Rmi.RTT_MAP_UNPROTECTED, rd, ipa, RTT_MAX_LEVEL, desc);
            }
            // RMI_ERROR_RTT now means another vCPU mapped it first.
            if (!ok(r) && Rmi.status(r[0]) != Rmi.ERROR_RTT) {
                LOG.warn(String.format("RMI_RTT_MAP_UNPROTECTED at %#x failed: %s", ipa, Rmi.describe(r[0])));
                return -Errno.ENXIO;
            }
            sharedMapped.add(gpa >>> 12, (gpa >>> 12) + 1);
        }
        return CONTINUE;
    }

    // ---- memory attribute changes and unmapping ---------------------------------------------------------------

    /**
     * kvm_arch_post_set_memory_attributes(): after [start, end) became private, its unprotected mappings go;
     * after it became shared, its protected pages are destroyed. Nothing to do before the realm exists.
     */
    void attributesChanged(long start, long end, boolean nowPrivate) {
        synchronized (vm) {
            if (!isCreated() || state == State.DEAD || rd == -1) {
                return;
            }
            try (PeScheduler.Lease lease = kernel.scheduler.lease(0)) {
                if (nowPrivate) {
                    unmapShared(lease.cpu, start, end);
                } else {
                    unmapShared(lease.cpu, start, end);
                    unmapPrivate(lease.cpu, start, end);
                }
            }
        }
    }

    /** realm_unmap_shared_range() for the pages KVM mapped. */
    private void unmapShared(Cpu pe, long start, long end) {
        unmapShared(pe, start, end, false);
    }

    private void unmapShared(Cpu pe, long start, long end, boolean teardown) {
        for (long[] range : sharedMapped.ranges()) {
            long from = Math.max(range[0], start >>> 12), to = Math.min(range[1], end >>> 12);
            for (long gfn = from; gfn < to; gfn++) {
                long ipa = (gfn << 12) | vm.sharedBit();
                long[] r = rmi(pe, Rmi.RTT_UNMAP_UNPROTECTED, rd, ipa, RTT_MAX_LEVEL);
                if (!ok(r) && Rmi.status(r[0]) != Rmi.ERROR_RTT) {
                    log(teardown, String.format("RMI_RTT_UNMAP_UNPROTECTED at %#x failed: %s", ipa,
                            Rmi.describe(r[0])));
                    continue;
                }
                sharedMapped.remove(gfn, gfn + 1);
            }
        }
    }

    /** realm_unmap_private_range() for the pages KVM mapped: DATA_DESTROY, then undelegate the granule. */
    private void unmapPrivate(Cpu pe, long start, long end) {
        unmapPrivate(pe, start, end, false);
    }

    /** Teardown problems are the kernel's WARN_ONs: logged at debug level so that closing a VM stays quiet. */
    private static void log(boolean teardown, String msg) {
        if (teardown) {
            LOG.debug(msg);
        } else {
            LOG.warn(msg);
        }
    }

    private void unmapPrivate(Cpu pe, long start, long end, boolean teardown) {
        for (long[] range : privateMapped.ranges()) {
            long from = Math.max(range[0], start >>> 12), to = Math.min(range[1], end >>> 12);
            for (long gfn = from; gfn < to; gfn++) {
                long ipa = gfn << 12;
                long[] r = rmi(pe, Rmi.DATA_DESTROY, rd, ipa);
                if (!ok(r)) {
                    log(teardown, String.format("RMI_DATA_DESTROY at %#x failed: %s", ipa, Rmi.describe(r[0])));
                    continue;
                }
                undelegateOnly(pe, r[1]);
                privateMapped.remove(gfn, gfn + 1);
            }
        }
    }

    // ---- SMCCC calls: PSCI and RSI_HOST_CALL -------------------------------------------------------------------

    /**
     * kvm_smccc_call_handler() for a REC's PSCI or HOST_CALL exit, with X0.. already copied into the vCPU: the SMCCC
     * filter (or the psci-user profile) may forward the call to user space as KVM_EXIT_HYPERCALL.
     */
    private long smcccCall(Process p, Cpu pe, KvmVcpu v, long exitEsr) {
        long fid = v.regs[0] & 0xFFFF_FFFFL;
        int action = vm.smcccFilter.action(fid);
        if (vm.profile().psciAlwaysInUserSpace() && Psci.isPsci(fid) && v.lastRecExit == Rmi.EXIT_PSCI) {
            action = KVM_SMCCC_FILTER_FWD_TO_USER;
        }
        if (action == KVM_SMCCC_FILTER_HANDLE && !defaultAllowed(fid)) {
            action = KVM_SMCCC_FILTER_DENY;
        }
        if (action == KVM_SMCCC_FILTER_FWD_TO_USER) {
            hypercallExit(v, fid, exitEsr);
            return 0;
        }
        if (action == KVM_SMCCC_FILTER_DENY) {
            setRetval(v, Psci.NOT_SUPPORTED);
            return CONTINUE;
        }
        if (fid == Smccc.SMCCC_VERSION) {
            setRetval(v, 0x10001); // SMCCC 1.1
            return CONTINUE;
        }
        if (fid == SMCCC_ARCH_FEATURES) {
            setRetval(v, Psci.NOT_SUPPORTED); // no firmware workaround is needed on this host
            return CONTINUE;
        }
        return psciCall(p, pe, v);
    }

    /** kvm_smccc_default_allowed() (the firmware bitmaps allow nothing a realm could reach here). */
    private static boolean defaultAllowed(long fid) {
        if (fid == Smccc.SMCCC_VERSION || fid == SMCCC_ARCH_FEATURES) {
            return true;
        }
        return ((fid >>> 24) & 0x3F) == 4 && (fid & 0xFFFF) <= 0x1F; // PSCI: Standard Service calls 0x00-0x1F
    }

    /** kvm_prepare_hypercall_exit(): the flags come from the REC exit's ESR, as KVM reads it for a REC. */
    private static void hypercallExit(KvmVcpu v, long fid, long esr) {
        long flags = 0;
        int ec = Esr.ec(esr);
        if (ec == 0x13 || ec == Esr.EC_SMC64) {
            flags |= KVM_HYPERCALL_EXIT_SMC;
        }
        if ((esr & Esr.IL) == 0) {
            flags |= KVM_HYPERCALL_EXIT_16BIT;
        }
        v.setExit(KVM_EXIT_HYPERCALL);
        v.runWrite(Structs.RUN_HYPERCALL_NR, 8, fid);
        for (int i = 0; i < 6; i++) {
            v.runWrite(Structs.RUN_HYPERCALL_ARGS + 8 * i, 8, 0);
        }
        v.runWrite(Structs.RUN_HYPERCALL_RET, 8, 0);
        v.runWrite(Structs.RUN_HYPERCALL_FLAGS, 8, flags);
    }

    /** A signal ended a wait inside KVM_RUN. */
    private static long interrupted(Process p, KvmVcpu v) {
        p.consumeSignal();
        v.setExit(KVM_EXIT_INTR);
        return -Errno.EINTR;
    }

    private static void setRetval(KvmVcpu v, long x0) {
        v.regs[0] = x0;
        v.regs[1] = 0;
        v.regs[2] = 0;
        v.regs[3] = 0;
    }

    /** kvm_psci_call() for a PSCI 1.x vCPU (a REC always has KVM_ARM_VCPU_PSCI_0_2). */
    private long psciCall(Process p, Cpu pe, KvmVcpu v) {
        long fn = v.regs[0] & 0xFFFF_FFFFL;
        long version = vm.firmware.psciVersion(v);
        int minor = (int) (version & 0xFFFF);
        boolean v1x = version >= VmFirmwareRegs.PSCI_1_0;
        if (v1x && fn == Psci.VERSION) {
            setRetval(v, version);
            return CONTINUE;
        }
        if (v1x && fn == Psci.FEATURES) {
            long arg = v.regs[1] & 0xFFFF_FFFFL;
            long val = Psci.NOT_SUPPORTED;
            if (arg == Psci.VERSION || arg == Psci.CPU_SUSPEND_32 || arg == Psci.CPU_SUSPEND_64 || arg == Psci.CPU_OFF
                    || arg == Psci.CPU_ON_32 || arg == Psci.CPU_ON_64 || arg == Psci.AFFINITY_INFO_32
                    || arg == Psci.AFFINITY_INFO_64 || arg == 0x8400_0006L || arg == Psci.SYSTEM_OFF
                    || arg == Psci.SYSTEM_RESET || arg == Psci.FEATURES || arg == Smccc.SMCCC_VERSION) {
                val = Psci.SUCCESS;
            } else if ((arg == 0x8400_000EL || arg == 0xC400_000EL) && vm.systemSuspend) {
                val = Psci.SUCCESS;
            } else if ((arg == 0x8400_0012L || arg == 0xC400_0012L) && minor >= 1) {
                val = Psci.SUCCESS;
            }
            setRetval(v, val);
            return CONTINUE;
        }
        if (v1x && (fn == 0x8400_000EL || fn == 0xC400_000EL)) { // SYSTEM_SUSPEND
            if (vm.systemSuspend) {
                systemEvent(v, KVM_SYSTEM_EVENT_SUSPEND, false);
                return 0; // registers untouched: user space reads the SMCCC arguments
            }
            setRetval(v, Psci.NOT_SUPPORTED);
            return CONTINUE;
        }
        if (fn == Psci.VERSION) {
            setRetval(v, VmFirmwareRegs.PSCI_0_2);
            return CONTINUE;
        }
        if (fn == Psci.CPU_SUSPEND_32 || fn == Psci.CPU_SUSPEND_64) {
            setRetval(v, Psci.SUCCESS); // kvm_psci_vcpu_suspend(): a standby, kvm_vcpu_wfi()
            return blockUntilWake(p, pe, v) ? CONTINUE : interrupted(p, v);
        }
        if (fn == Psci.CPU_OFF) {
            v.mpState = KVM_MP_STATE_STOPPED;
            setRetval(v, Psci.SUCCESS);
            vm.waits.wakeAll();
            return CONTINUE;
        }
        if (fn == Psci.CPU_ON_32 || fn == Psci.CPU_ON_64) {
            setRetval(v, cpuOn(pe, v, fn == Psci.CPU_ON_32));
            return CONTINUE;
        }
        if (fn == Psci.AFFINITY_INFO_32 || fn == Psci.AFFINITY_INFO_64) {
            setRetval(v, affinityInfo(pe, v));
            return CONTINUE;
        }
        if (fn == 0x8400_0006L) { // MIGRATE_INFO_TYPE
            setRetval(v, 2); // PSCI_0_2_TOS_MP: no trusted OS to migrate
            return CONTINUE;
        }
        if (fn == Psci.SYSTEM_OFF || fn == Psci.SYSTEM_RESET) {
            systemEvent(v, fn == Psci.SYSTEM_OFF ? KVM_SYSTEM_EVENT_SHUTDOWN : KVM_SYSTEM_EVENT_RESET, true);
            setRetval(v, Psci.INTERNAL_FAILURE);
            return 0;
        }
        setRetval(v, Psci.NOT_SUPPORTED);
        return CONTINUE;
    }

    /**
     * kvm_prepare_system_event(): every vCPU of the VM is powered off (they sleep in KVM_RUN from now on) and this
     * one exits with KVM_EXIT_SYSTEM_EVENT.
     */
    private void systemEvent(KvmVcpu v, int type, boolean stopAll) {
        if (stopAll) {
            for (KvmVcpu c : vm.vcpus.values()) {
                c.mpState = KVM_MP_STATE_STOPPED;
                if (c != v && c.runningThread != null) {
                    kernel.kickGuest(c.runningThread);
                }
            }
        }
        v.setExit(KVM_EXIT_SYSTEM_EVENT);
        for (int off = Structs.RUN_SYSTEM_EVENT_TYPE; off < Structs.RUN_SYSTEM_EVENT_DATA + 16 * 8; off += 8) {
            v.runWrite(off, 8, 0);
        }
        v.runWrite(Structs.RUN_SYSTEM_EVENT_TYPE, 4, type);
        v.runWrite(Structs.RUN_SYSTEM_EVENT_NDATA, 4, 1);
    }

    /** kvm_mpidr_to_vcpu(). */
    private KvmVcpu byMpidr(long mpidr) {
        mpidr &= MPIDR_HWID_BITMASK;
        for (KvmVcpu c : vm.vcpus.values()) {
            if (c.mpidr == mpidr) {
                return c;
            }
        }
        return null;
    }

    /** kvm_psci_vcpu_on() with v12's RMI_PSCI_COMPLETE calls (patch 27). */
    private long cpuOn(Cpu pe, KvmVcpu source, boolean smc32) {
        long cpuId = smc32 ? source.regs[1] & 0xFFFF_FFFFL : source.regs[1];
        if ((cpuId & ~MPIDR_HWID_BITMASK) != 0) {
            return Psci.INVALID_PARAMETERS;
        }
        KvmVcpu target = byMpidr(cpuId);
        if (target == null) {
            return Psci.INVALID_PARAMETERS;
        }
        long ret;
        synchronized (target) {
            if (target.mpState != KVM_MP_STATE_STOPPED) {
                ret = Psci.ALREADY_ON;
            } else {
                // The reset state (entry point, context id) is the RMM's business for a REC; KVM's copy follows.
                target.regFile.pc = smc32 ? source.regs[2] & 0xFFFF_FFFFL : source.regs[2];
                target.regs[0] = smc32 ? source.regs[3] & 0xFFFF_FFFFL : source.regs[3];
                psciComplete(pe, source, target, Psci.SUCCESS);
                target.mpState = KVM_MP_STATE_RUNNABLE;
                vm.waits.wakeAll();
                return Psci.SUCCESS;
            }
        }
        psciComplete(pe, source, target, ret == Psci.ALREADY_ON ? Psci.SUCCESS : Psci.DENIED);
        return ret;
    }

    /** kvm_psci_vcpu_affinity_info(), realm branch. */
    private long affinityInfo(Cpu pe, KvmVcpu v) {
        long lowest = v.regs[2];
        if (lowest != 0) {
            return Psci.INVALID_PARAMETERS; // the RMM supports only affinity level 0
        }
        KvmVcpu target = byMpidr(v.regs[1] & MPIDR_HWID_BITMASK);
        if (target == null) {
            return Psci.INVALID_PARAMETERS;
        }
        psciComplete(pe, v, target, Psci.SUCCESS);
        return Psci.SUCCESS;
    }

    /** realm_psci_complete(): 0 or -EINVAL. A vCPU without a REC passes a PA the RMM rejects. */
    private long psciComplete(Cpu pe, KvmVcpu source, KvmVcpu target, long status) {
        long[] r = rmi(pe, Rmi.PSCI_COMPLETE, Math.max(source.rec, 0), Math.max(target.rec, 0), status);
        return ok(r) ? 0 : -Errno.EINVAL;
    }

    /** KVM_ARM_VCPU_RMI_PSCI_COMPLETE on {@code v}, the vCPU that made the PSCI call. */
    long psciCompleteIoctl(KvmVcpu v, UserStruct s) {
        KvmVcpu target = byMpidr(s.u64(Structs.PC_TARGET_MPIDR));
        if (target == null) {
            return -Errno.EINVAL;
        }
        // psci_status is a __u32 passed unfiltered (zero-extended): the RMM decides what it accepts.
        try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
            return psciComplete(lease.cpu, v, target, s.u32(Structs.PC_PSCI_STATUS));
        }
    }

    // ---- teardown --------------------------------------------------------------------------------------------

    /**
     * kvm_destroy_realm() and kvm_destroy_rec() when the last reference to the VM goes: RECs, protected pages,
     * RTTs, the RD, the VMID and the root tables. A step the RMM refuses leaks its granules, as the kernel does.
     */
    void destroy() {
        synchronized (vm) {
            if (state == State.NONE || rd == -1) {
                state = State.DEAD;
                return;
            }
            if (kernel.scheduler.allRetired()) {
                // Every PE stopped inside a guest (Cpu.stopReport): none can call the RMM any more.
                LOG.debug("realm teardown skipped: no PE left to run it; the realm's granules stay delegated");
                state = State.DEAD;
                return;
            }
            try (PeScheduler.Lease lease = kernel.scheduler.lease(0)) {
                Cpu pe = lease.cpu;
                for (KvmVcpu v : vm.vcpus.values()) {
                    destroyRec(pe, v);
                }
                unmapShared(pe, 0, vm.sharedBit(), true);
                unmapPrivate(pe, 0, vm.sharedBit(), true);
                destroyRtts(pe);
                state = State.DYING;
                if (!ok(rmi(pe, Rmi.REALM_DESTROY, rd))) {
                    LOG.debug("RMI_REALM_DESTROY failed: the realm's granules are leaked");
                    return;
                }
                undelegateAndFree(pe, rd);
                rd = -1;
                synchronized (kernel.vmids) {
                    kernel.vmids.clear(vmid);
                }
                for (int i = 0; i < pgdPages; i++) {
                    if (!ok(rmi(pe, Rmi.GRANULE_UNDELEGATE, pgd + i * PAGE))) {
                        return;
                    }
                }
                freeContiguous(pgd, pgdPages);
                state = State.DEAD;
            }
        }
    }

    private void destroyRec(Cpu pe, KvmVcpu v) {
        if (v.recRun == -1) {
            return;
        }
        kernel.pages.free(v.recRun);
        v.recRun = -1;
        if (!ok(rmi(pe, Rmi.REC_DESTROY, v.rec))) {
            LOG.debug("RMI_REC_DESTROY failed: the REC and its auxiliary granules are leaked");
            return;
        }
        for (long a : v.aux) {
            undelegateAndFree(pe, a);
        }
        undelegateAndFree(pe, v.rec);
        v.rec = -1;
    }

    /** realm_tear_down_rtt_range(): the RTTs below the root, deepest first. */
    private void destroyRtts(Cpu pe) {
        List<long[]> all;
        synchronized (rtts) {
            all = new ArrayList<>(rtts);
        }
        all.sort((a, b) -> Long.compare(b[1], a[1]));
        for (long[] t : all) {
            long[] r = rmi(pe, Rmi.RTT_DESTROY, rd, t[0], t[1]);
            if (!ok(r)) {
                LOG.debug(String.format("RMI_RTT_DESTROY(%#x, level %d) failed: %s", t[0], t[1], Rmi.describe(r[0])));
                continue;
            }
            undelegateAndFree(pe, r[1]);
            synchronized (rtts) {
                rtts.remove(t);
            }
        }
    }

    String abiState() {
        return "state=" + state + " mappedPrivate=" + privateMapped + " mappedShared=" + sharedMapped;
    }
}
