package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.cpu.SysRegs;
import dev.cca.core.mem.Pas;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.PeScheduler;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.host.UserMemory;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * The realm half of a VM as the v12 KVM patches implement it (arch/arm64/kvm/rmi.c): the realm is created on the
 * first KVM_ARM_RMI_POPULATE (or first run), RTTs are created on demand, RECs are created and the realm is
 * activated on the first KVM_RUN, and REC exits become kvm_run exits. Every RMM operation is an RMI call by SMC.
 */
final class RealmHost {
    enum State { NONE, NEW, ACTIVE, DYING, DEAD }

    private static final Logger LOG = LoggerFactory.getLogger(RealmHost.class);
    private static final long PAGE = 4096;
    /** Instructions a REC runs before the host tick forces an exit (the host timer interrupt). */
    static final long TICK_INSTRUCTIONS = 4_000_000;
    private static final int VMID_BITS = 8;

    private final KvmVm vm;
    private final HostKernel kernel;
    State state = State.NONE;
    long rd = -1;
    long pgd = -1;
    int pgdPages;
    int vmid = -1;
    long numAux;

    RealmHost(KvmVm vm) {
        this.vm = vm;
        this.kernel = vm.dev.kernel;
    }

    int rttLevelStart() {
        return 4 - ((vm.ipaBits - 8) / 9);
    }

    /** vCPUs can be created only until the RECs are created at activation. */
    boolean vcpusMayBeAdded() {
        return state == State.NONE || state == State.NEW;
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

    private void undelegateAndFree(Cpu pe, long pa) {
        if (ok(rmi(pe, Rmi.GRANULE_UNDELEGATE, pa))) {
            kernel.pages.free(pa);
        } // else: leak the page, as the kernel does when undelegation fails
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
                return -Errno.EBUSY;
            }
            kernel.vmids.set(v);
            vmid = v;
        }
        int sl = rttLevelStart();
        pgdPages = dev.cca.rmm.rtt.S2tt.rootTables(vm.ipaBits, sl);
        long rdPa = kernel.allocZeroedPage();
        long pgdPa = kernel.pages.allocContiguous(pgdPages);
        if (rdPa < 0 || pgdPa < 0) {
            return -Errno.ENOMEM;
        }
        kernel.platform.machine.memory.zero(pgdPa, pgdPages * PAGE);
        if (!ok(rmi(pe, Rmi.GRANULE_DELEGATE, rdPa))) {
            return -Errno.ENXIO;
        }
        for (int i = 0; i < pgdPages; i++) {
            if (!ok(rmi(pe, Rmi.GRANULE_DELEGATE, pgdPa + i * PAGE))) {
                return -Errno.ENXIO;
            }
        }
        long params = kernel.allocZeroedPage();
        if (params < 0) {
            return -Errno.ENOMEM;
        }
        long dfr0 = pe.sr[SysRegs.ID_AA64DFR0_EL1];
        writeNs(pe, params + 0x008, vm.ipaBits);
        writeNs(pe, params + 0x018, (dfr0 >>> 12) & 0xF); // num_bps: ID_AA64DFR0_EL1.BRPs, copied raw
        writeNs(pe, params + 0x020, (dfr0 >>> 20) & 0xF); // num_wps: ID_AA64DFR0_EL1.WRPs
        writeNs(pe, params + 0x800, vmid);
        writeNs(pe, params + 0x808, pgdPa);
        writeNs(pe, params + 0x810, sl);
        writeNs(pe, params + 0x818, pgdPages);
        long[] r = rmi(pe, Rmi.REALM_CREATE, rdPa, params);
        kernel.pages.free(params);
        if (!ok(r)) {
            LOG.warn("RMI_REALM_CREATE failed: " + Rmi.describe(r[0]));
            return -Errno.ENXIO;
        }
        long[] aux = rmi(pe, Rmi.REC_AUX_COUNT, rdPa);
        if (!ok(aux)) {
            rmi(pe, Rmi.REALM_DESTROY, rdPa);
            return -Errno.ENXIO;
        }
        rd = rdPa;
        pgd = pgdPa;
        numAux = aux[1];
        state = State.NEW;
        return 0;
    }

    private static void writeNs(Cpu pe, long pa, long v) {
        pe.physWrite(pa, 8, v, Pas.NON_SECURE);
    }

    // ---- RTT management --------------------------------------------------------------------------------------

    private static long levelSize(int level) {
        return 1L << (12 + 9 * (3 - level));
    }

    /** realm_create_rtt_levels(): creates the tables below {@code level} down to {@code maxLevel} for {@code ipa}. */
    private long createRttLevels(Cpu pe, long ipa, int level, int maxLevel) {
        for (int l = level + 1; l <= maxLevel; l++) {
            long rtt = delegatedPage(pe);
            if (rtt < 0) {
                return -Errno.ENOMEM;
            }
            long base = ipa & ~(levelSize(l - 1) - 1);
            long[] r = rmi(pe, Rmi.RTT_CREATE, rd, rtt, base, l);
            if (!ok(r)) {
                undelegateAndFree(pe, rtt);
                if (Rmi.status(r[0]) == Rmi.ERROR_RTT && Rmi.index(r[0]) == l - 1) {
                    continue; // already there (another path created it)
                }
                return -Errno.ENXIO;
            }
        }
        return 0;
    }

    /** DATA_CREATE / DATA_CREATE_UNKNOWN, creating missing RTT levels on RMI_ERROR_RTT. */
    private long[] dataCreate(Cpu pe, long dst, long ipa, long src, long flags, boolean unknown) {
        while (true) {
            long[] r = unknown ? rmi(pe, Rmi.DATA_CREATE_UNKNOWN, rd, dst, ipa)
                    : rmi(pe, Rmi.DATA_CREATE, rd, dst, ipa, src, flags);
            if (Rmi.status(r[0]) == Rmi.ERROR_RTT && Rmi.index(r[0]) < 3) {
                if (createRttLevels(pe, ipa, Rmi.index(r[0]), 3) != 0) {
                    return r;
                }
                continue;
            }
            return r;
        }
    }

    // ---- KVM_ARM_RMI_POPULATE --------------------------------------------------------------------------------

    long populate(Process p, UserStruct s) {
        long base = s.u64(Structs.POP_BASE);
        long size = s.u64(Structs.POP_SIZE);
        long src = s.u64(Structs.POP_SOURCE_UADDR);
        long flags = s.u32(Structs.POP_FLAGS);
        if (s.u32(Structs.POP_RESERVED) != 0 || (flags & ~KVM_ARM_RMI_POPULATE_FLAGS_MEASURE) != 0) {
            return -Errno.EINVAL;
        }
        if ((base & (PAGE - 1)) != 0 || ((base + size) & (PAGE - 1)) != 0) {
            return -Errno.EINVAL;
        }
        synchronized (vm) {
            try (PeScheduler.Lease lease = kernel.scheduler.lease(0)) {
                Cpu pe = lease.cpu;
                long r = ensureCreated(pe);
                if (r < 0) {
                    return r;
                }
                long done = gmemPopulate(p, pe, base, size >>> 12, src, flags);
                return done < 0 ? done : done * PAGE;
            }
        }
    }

    /** kvm_gmem_populate(): pages done (partial progress), or an errno if nothing was done. */
    private long gmemPopulate(Process p, Cpu pe, long base, long npages, long src, long flags) {
        if (npages == 0) {
            return 0;
        }
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
                err = -Errno.EEXIST;
                break;
            }
            if (!vm.privateRanges.contains(ipa)) {
                err = -Errno.EINVAL;
                break;
            }
            // get_user_pages() on the source: v12 uses the page containing the address.
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
            long[] r = dataCreate(pe, dst, ipa, srcPa, flags, false);
            if (!ok(r)) {
                LOG.warn(String.format("RMI_DATA_CREATE at %#x failed: %s", ipa, Rmi.describe(r[0])));
                undelegateAndFree(pe, dst);
                err = -Errno.ENXIO;
                break;
            }
            slot.gmem.setPage(off, dst);
            done++;
        }
        return done > 0 ? done : err;
    }

    // ---- activation on the first KVM_RUN ---------------------------------------------------------------------

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
            return -Errno.EOPNOTSUPP;
        }
        for (KvmVcpu v : vm.vcpus.values()) {
            r = createRec(pe, v);
            if (r < 0) {
                return r;
            }
        }
        for (Memslot s : vm.slots()) {
            if (s.gmem != null) {
                r = initIpaState(pe, s.gpa, s.end());
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

    private long createRec(Cpu pe, KvmVcpu v) {
        if (v.rec != -1) {
            return -Errno.EBUSY;
        }
        if ((v.features & (1L << KVM_ARM_VCPU_PSCI_0_2)) == 0) {
            return -Errno.EINVAL;
        }
        long rec = delegatedPage(pe);
        if (rec < 0) {
            return -Errno.ENXIO;
        }
        List<Long> aux = new ArrayList<>();
        for (int i = 0; i < numAux; i++) {
            long a = delegatedPage(pe);
            if (a < 0) {
                return -Errno.ENXIO;
            }
            aux.add(a);
        }
        long params = kernel.allocZeroedPage();
        long run = kernel.allocZeroedPage();
        if (params < 0 || run < 0) {
            return -Errno.ENOMEM;
        }
        writeNs(pe, params + 0x000, v.id == 0 ? Rmi.REC_PARAMS_RUNNABLE : 0);
        writeNs(pe, params + 0x100, v.mpidr);
        writeNs(pe, params + 0x200, v.pc);
        for (int i = 0; i < 8; i++) {
            writeNs(pe, params + 0x300 + 8L * i, v.regs[i]);
        }
        writeNs(pe, params + 0x800, aux.size());
        for (int i = 0; i < aux.size(); i++) {
            writeNs(pe, params + 0x808 + 8L * i, aux.get(i));
        }
        long[] r = rmi(pe, Rmi.REC_CREATE, rd, rec, params);
        kernel.pages.free(params);
        if (!ok(r)) {
            LOG.warn("RMI_REC_CREATE failed: " + Rmi.describe(r[0]));
            return -Errno.ENXIO;
        }
        v.rec = rec;
        v.aux = aux.stream().mapToLong(Long::longValue).toArray();
        v.recRun = run;
        return 0;
    }

    /** find_map_level(): the largest block level that [start, end) can use at {@code start}. */
    private int findMapLevel(long start, long end) {
        int level = 3;
        while (level > rttLevelStart()) {
            long size = levelSize(level - 1);
            if ((start & (size - 1)) != 0 || start + size > end) {
                break;
            }
            level--;
        }
        return level;
    }

    /** realm_init_ipa_state(): RMI_RTT_INIT_RIPAS over [ipa, end), with v12's skip of already-RAM pages. */
    private long initIpaState(Cpu pe, long ipa, long end) {
        while (ipa < end) {
            long[] r = rmi(pe, Rmi.RTT_INIT_RIPAS, rd, ipa, end);
            if (Rmi.status(r[0]) == Rmi.ERROR_RTT) {
                int errLevel = Rmi.index(r[0]);
                int level = findMapLevel(ipa, end);
                if (errLevel >= level) {
                    // "FIXME: Ugly hack to skip regions which are already RIPAS_RAM" (populated pages).
                    ipa += PAGE;
                    continue;
                }
                if (createRttLevels(pe, ipa, errLevel, level) != 0) {
                    return -Errno.ENXIO;
                }
                continue;
            }
            if (!ok(r)) {
                return -Errno.ENXIO;
            }
            ipa = r[1];
        }
        return 0;
    }

    // ---- KVM_RUN ---------------------------------------------------------------------------------------------

    long run(Process p, KvmVcpu v) {
        try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
            Cpu pe = lease.cpu;
            if (!v.hasRun) {
                long r;
                synchronized (vm) {
                    r = activate(pe);
                }
                if (r < 0) {
                    return r;
                }
                v.hasRun = true;
            }
            if (state != State.ACTIVE) {
                return -Errno.EINVAL;
            }
            long flags = 0;
            long gpr0 = 0;
            if (v.mmioPending) {
                if (v.mmioRead) {
                    gpr0 = v.runRead(Structs.RUN_MMIO_DATA, 8);
                    if (v.mmioLen < 8) {
                        gpr0 &= (1L << (8 * v.mmioLen)) - 1;
                    }
                }
                flags |= Rmi.REC_ENTER_EMUL_MMIO;
                v.mmioPending = false;
            }
            if (v.injectSea) {
                flags |= Rmi.REC_ENTER_INJECT_SEA;
                v.injectSea = false;
            }
            Thread self = Thread.currentThread();
            kernel.enterGuest(self, pe);
            try {
                while (true) {
                    if (p.signalPending()) {
                        p.consumeSignal();
                        v.setExit(KVM_EXIT_INTR);
                        return -Errno.EINTR;
                    }
                    writeNs(pe, v.recRun + 0x000, flags);
                    writeNs(pe, v.recRun + 0x200, gpr0);
                    pe.setIrqCountdown(TICK_INSTRUCTIONS);
                    long[] r;
                    try {
                        r = rmi(pe, Rmi.REC_ENTER, v.rec, v.recRun);
                    } catch (Smccc.CallInterruptedException e) {
                        // The emulated PE stopped inside the realm (an exception loop, an emulator failure): it
                        // has no way back to the host. The report stays with the PE (Cpu.stopReport) for tools.
                        LOG.debug("REC_ENTER on vCPU {} did not return: {}", v.id, e.getMessage());
                        kernel.scheduler.retire(pe);
                        v.setExit(KVM_EXIT_INTERNAL_ERROR);
                        return 0;
                    }
                    pe.setIrqCountdown(Long.MAX_VALUE);
                    pe.setIrqSource(HostKernel.IRQ_KICK, false);
                    flags = 0;
                    gpr0 = 0;
                    if (!ok(r)) {
                        if (Rmi.status(r[0]) == Rmi.ERROR_REALM && Rmi.index(r[0]) == 1) {
                            v.setExit(KVM_EXIT_SHUTDOWN);
                            return 0;
                        }
                        LOG.warn("RMI_REC_ENTER failed: " + Rmi.describe(r[0]));
                        return -Errno.ENXIO;
                    }
                    long result = handleExit(p, pe, v);
                    if (result != CONTINUE) {
                        return result;
                    }
                    if (v.injectSea) {
                        flags |= Rmi.REC_ENTER_INJECT_SEA;
                        v.injectSea = false;
                    }
                }
            } finally {
                kernel.leaveGuest(self);
            }
        }
    }

    private static final long CONTINUE = Long.MIN_VALUE;

    private long readRun(Cpu pe, KvmVcpu v, int off) {
        return pe.physRead(v.recRun + off, 8, Pas.NON_SECURE);
    }

    /** handle_rec_exit(): CONTINUE to re-enter, else the KVM_RUN result with kvm_run filled. */
    private long handleExit(Process p, Cpu pe, KvmVcpu v) {
        int reason = (int) readRun(pe, v, 0x800);
        switch (reason) {
            case Rmi.EXIT_SYNC:
                return handleSync(pe, v);
            case Rmi.EXIT_IRQ:
            case Rmi.EXIT_FIQ:
                return CONTINUE;
            case Rmi.EXIT_PSCI: {
                long fid = readRun(pe, v, 0xA00) & 0xFFFF_FFFFL;
                if (fid == Psci.SYSTEM_OFF || fid == Psci.SYSTEM_RESET) {
                    v.setExit(KVM_EXIT_SYSTEM_EVENT);
                    v.runWrite(Structs.RUN_SYSTEM_EVENT_TYPE, 4,
                            fid == Psci.SYSTEM_OFF ? KVM_SYSTEM_EVENT_SHUTDOWN : KVM_SYSTEM_EVENT_RESET);
                    v.runWrite(Structs.RUN_SYSTEM_EVENT_NDATA, 4, 1);
                    v.runWrite(Structs.RUN_SYSTEM_EVENT_DATA, 8, 0);
                    return 0;
                }
                LOG.warn(String.format("PSCI function %#x from a realm is not handled by this host yet", fid));
                return -Errno.ENXIO;
            }
            case Rmi.EXIT_SERROR:
                v.setExit(KVM_EXIT_INTERNAL_ERROR);
                return 0;
            default:
                LOG.warn("REC exit " + reason + " is not handled by this host yet");
                return -Errno.ENXIO;
        }
    }

    private long handleSync(Cpu pe, KvmVcpu v) {
        long esr = readRun(pe, v, 0x900);
        int ec = Esr.ec(esr);
        if (ec == Esr.EC_WFX) {
            return CONTINUE;
        }
        if (ec == Esr.EC_IABT_LOWER) {
            LOG.warn(String.format("instruction abort from the realm, HPFAR %#x", readRun(pe, v, 0x910)));
            return -Errno.ENXIO;
        }
        if (ec != Esr.EC_DABT_LOWER) {
            return CONTINUE;
        }
        long hpfar = readRun(pe, v, 0x910);
        long far = readRun(pe, v, 0x908);
        long ipa = ((hpfar >>> 4) << 12) | (far & 0xFFF);
        long shared = vm.sharedBit();
        long gpa = ipa & ~shared;
        Memslot slot = vm.findSlot(gpa);
        if ((ipa & shared) != 0) {
            if (slot != null) {
                LOG.warn(String.format("shared-memory fault at %#x: unprotected mappings are not supported yet", gpa));
                return -Errno.ENXIO;
            }
            if ((esr & Esr.ISV) == 0) {
                v.injectSea = true; // no valid syndrome: the access cannot be emulated
                return CONTINUE;
            }
            boolean write = (esr & Esr.WNR) != 0;
            int len = 1 << ((esr >>> Esr.SAS_SHIFT) & 3);
            v.setExit(KVM_EXIT_MMIO);
            v.runWrite(Structs.RUN_MMIO_PHYS_ADDR, 8, gpa);
            v.runWrite(Structs.RUN_MMIO_LEN, 4, len);
            v.runWrite(Structs.RUN_MMIO_IS_WRITE, 1, write ? 1 : 0);
            v.runWrite(Structs.RUN_MMIO_DATA, 8, write ? readRun(pe, v, 0xA00) : 0);
            v.mmioPending = true;
            v.mmioRead = !write;
            v.mmioLen = len;
            return 0;
        }
        if (slot == null || slot.gmem == null) {
            return -Errno.EINVAL;
        }
        if (!vm.privateRanges.contains(gpa)) {
            v.setExit(KVM_EXIT_MEMORY_FAULT);
            v.runWrite(Structs.RUN_MEMORY_FAULT_FLAGS, 8, KVM_MEMORY_EXIT_FLAG_PRIVATE);
            v.runWrite(Structs.RUN_MEMORY_FAULT_GPA, 8, gpa & ~(PAGE - 1));
            v.runWrite(Structs.RUN_MEMORY_FAULT_SIZE, 8, PAGE);
            return -Errno.EFAULT;
        }
        // Fault in a private page: a zeroed granule mapped with DATA_CREATE_UNKNOWN.
        long page = gpa & ~(PAGE - 1);
        long off = slot.gmemOffset + (page - slot.gpa);
        synchronized (vm) {
            if (slot.gmem.page(off) != 0) {
                LOG.warn(String.format("fault on populated private page %#x", page));
                return -Errno.ENXIO;
            }
            long dst = delegatedPage(pe);
            if (dst < 0) {
                return -Errno.ENOMEM;
            }
            long[] r = dataCreate(pe, dst, page, 0, 0, true);
            if (!ok(r)) {
                undelegateAndFree(pe, dst);
                return -Errno.ENXIO;
            }
            slot.gmem.setPage(off, dst);
        }
        return CONTINUE;
    }

    // ---- PSCI completion and teardown ------------------------------------------------------------------------

    long psciComplete(Process p, KvmVcpu v, long arg) {
        if (v.rec == -1) {
            return -Errno.EPERM;
        }
        byte[] raw = p.memory().copyFromUser(arg, Structs.RMI_PSCI_COMPLETE_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        long target = s.u64(Structs.PC_TARGET_MPIDR);
        KvmVcpu t = null;
        for (KvmVcpu c : vm.vcpus.values()) {
            if (c.mpidr == (target & 0xFF_FFFFL)) {
                t = c;
            }
        }
        if (t == null || t.rec == -1) {
            return -Errno.EINVAL;
        }
        try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
            long[] r = rmi(lease.cpu, Rmi.PSCI_COMPLETE, v.rec, t.rec, s.u32(Structs.PC_PSCI_STATUS));
            return ok(r) ? 0 : -Errno.EINVAL;
        }
    }

    /**
     * VM teardown. The RMM commands that dismantle a realm (DATA_DESTROY, RTT_DESTROY) are not available on this
     * host yet, so the realm's granules stay delegated until the platform is reset; the VMID is kept reserved.
     */
    void destroy() {
        if (state != State.NONE) {
            LOG.debug("realm teardown is not implemented: its granules stay delegated");
        }
        state = State.DEAD;
    }
}
