package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.mem.Pas;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.PeScheduler;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.host.UserMemory;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.smc.Rmi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.cca.kvm.VmBackend.CONTINUE;
import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * The realm lifecycle as the v12 KVM patches implement it (arch/arm64/kvm/rmi.c): the realm is created on the
 * first KVM_ARM_RMI_POPULATE (or first run), RTTs are created on demand, RECs are created and the realm is
 * activated on the first KVM_RUN, pages are mapped and unmapped (protected and unprotected), PSCI requests are
 * completed (RMI_PSCI_COMPLETE), and everything is destroyed with the VM. Every RMM operation is an RMI call by
 * SMC. Error paths return the errno the kernel returns, in the kernel's order. REC entry and exits are in
 * {@link RecExitHandler}, stage-2 faults in {@link RealmMmu}.
 */
final class RealmHost {
    enum State { NONE, NEW, ACTIVE, DYING, DEAD }

    private static final Logger LOG = LoggerFactory.getLogger(RealmHost.class);
    private static final long PAGE = 4096;
    private static final int RTT_MAX_LEVEL = 3;
    private static final int VMID_BITS = 8;
    /** Stage-2 attributes of an unprotected mapping (realm_map_non_secure): Normal WB (FWB), S2AP RW. */
    static final long UNPROTECTED_ATTRS = (6L << 2) | (1L << 6) | (1L << 7);

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

    /** Each vCPU's REC state, by vCPU id (created on first use). */
    private final AtomicReferenceArray<RealmRec> recs = new AtomicReferenceArray<>(KvmVm.MAX_VCPUS);

    /** KVM_RUN and the REC exits (rmi-exit.c), stage-2 faults (mmu.c). */
    final RecExitHandler exits;
    final RealmMmu mmu;

    /** RmiRealmParams.hash_algo and rpv, as KVM_CAP_ARM_RMI_CONFIG_REALM set them (realm-config profile). */
    private int hashAlgo = Rmi.HASH_SHA_256;
    private final byte[] rpv = new byte[ARM_RMI_CONFIG_RPV_SIZE];

    RealmHost(KvmVm vm) {
        this.vm = vm;
        this.kernel = vm.dev.kernel;
        this.exits = new RecExitHandler(this, vm);
        this.mmu = new RealmMmu(this, vm);
    }

    /** vCPU {@code v}'s REC state. */
    RealmRec rec(KvmVcpu v) {
        RealmRec r = recs.get(v.id);
        if (r == null) {
            recs.compareAndSet(v.id, null, new RealmRec());
            r = recs.get(v.id);
        }
        return r;
    }

    /** kvm_realm_is_created(): the Realm Descriptor exists (or existed). */
    boolean isCreated() {
        return state != State.NONE;
    }

    int rttLevelStart() {
        return 4 - ((vm.ipaBits - 8) / 9);
    }

    static long[] rmi(Cpu pe, long fid, long... args) {
        return Smccc.call(pe, fid, args);
    }

    static boolean ok(long[] r) {
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

    static void writeNs(Cpu pe, long pa, long v) {
        pe.physWrite(pa, 8, v, Pas.NON_SECURE);
    }

    static long readNs(Cpu pe, long pa) {
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
                if (vm.hasPmu()) {
                    // flags.PMU and pmu_num_ctrs = kvm->arch.nr_pmu_counters (PMCR_EL0.N the VMM set)
                    writeNs(pe, params + 0x000, Rmi.REALM_FLAG_PMU);
                    writeNs(pe, params + 0x028, vm.nrPmuCounters);
                }
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
        RealmRec rec = rec(v);
        if (rec.run != -1) {
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
                rec.pa = recPage;
                rec.aux = aux.stream().mapToLong(Long::longValue).toArray();
                rec.run = run;
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
    long ripasChange(Cpu pe, KvmVcpu rec, long ipa, long end, boolean init) {
        while (Long.compareUnsigned(ipa, end) < 0) {
            long[] r = init ? rmi(pe, Rmi.RTT_INIT_RIPAS, rd, ipa, end) : rmi(pe, Rmi.RTT_SET_RIPAS, rd, rec(rec).pa, ipa, end);
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

    /** realm_map_protected() for one page: DATA_CREATE_UNKNOWN, creating RTTs on demand. */
    long mapProtected(Cpu pe, long ipa, long pa) {
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

    /**
     * realm_map_non_secure() for one page: the host page {@code pa} at the unprotected IPA {@code ipa} (guest frame
     * {@code gpa}), creating RTTs on demand. CONTINUE or a negative errno.
     */
    long mapUnprotected(Cpu pe, long ipa, long gpa, long pa) {
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
    void unmapPrivate(Cpu pe, long start, long end) {
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

    /** realm_psci_complete(): 0 or -EINVAL. A vCPU without a REC passes a PA the RMM rejects. */
    long psciComplete(Cpu pe, KvmVcpu source, KvmVcpu target, long status) {
        long[] r = rmi(pe, Rmi.PSCI_COMPLETE, Math.max(rec(source).pa, 0), Math.max(rec(target).pa, 0), status);
        return ok(r) ? 0 : -Errno.EINVAL;
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
        RealmRec rec = rec(v);
        if (rec.run == -1) {
            return;
        }
        kernel.pages.free(rec.run);
        rec.run = -1;
        if (!ok(rmi(pe, Rmi.REC_DESTROY, rec.pa))) {
            LOG.debug("RMI_REC_DESTROY failed: the REC and its auxiliary granules are leaked");
            return;
        }
        for (long a : rec.aux) {
            undelegateAndFree(pe, a);
        }
        undelegateAndFree(pe, rec.pa);
        rec.pa = -1;
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
        StringBuilder withRec = new StringBuilder();
        for (int i = 0; i < recs.length(); i++) {
            RealmRec r = recs.get(i);
            if (r != null && r.pa != -1) {
                withRec.append(i).append(',');
            }
        }
        return "state=" + state + " mappedPrivate=" + privateMapped + " mappedShared=" + sharedMapped + " recs="
                + withRec;
    }
}
