package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.PeScheduler;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.host.UserMemory;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.rec.RecRun;
import dev.cca.rmm.smc.Rmi;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.cca.kvm.VmBackend.CONTINUE;
import static dev.cca.kvm.RealmHost.writeNs;
import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * Stage-2 faults of a realm (the realm paths of arch/arm64/kvm/mmu.c): kvm_handle_guest_abort for a REC, MMIO
 * emulated by an in-kernel device or handed to the VMM (io_mem_abort), protected guest_memfd pages mapped with
 * DATA_CREATE_UNKNOWN (gmem_abort), and memslot pages mapped at the unprotected alias (user_mem_abort).
 */
final class RealmMmu {
    private static final Logger LOG = LoggerFactory.getLogger(RealmMmu.class);
    private static final long PAGE = 4096;

    private final RealmHost realm;
    private final KvmVm vm;
    private final HostKernel kernel;

    RealmMmu(RealmHost realm, KvmVm vm) {
        this.realm = realm;
        this.vm = vm;
        this.kernel = vm.dev.kernel;
    }

    /** rec_exit_sync_dabt() / kvm_handle_guest_abort() for a REC. */
    long guestAbort(Process p, Cpu pe, KvmVcpu v, long esr) {
        long hpfar = realm.exits.readExit(pe, v, RecRun.EXIT_HPFAR);
        long far = realm.exits.readExit(pe, v, RecRun.EXIT_FAR);
        boolean isv = (esr & Esr.ISV) != 0;
        boolean write = (esr & Esr.WNR) != 0;
        if (isv && write) {
            v.regs[0] = realm.exits.readExit(pe, v, RecRun.EXIT_GPRS); // the RMM puts the written value in gprs[0]
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
        RealmRec rec = realm.rec(v);
        if ((esr & Esr.ISV) == 0) {
            if (!sharedFault) {
                // v12 asks for the SEA anyway; the RMM refuses it at a protected IPA, so KVM_RUN fails with ENXIO.
                LOG.warn(String.format("realm data abort at protected IPA %#x outside every memslot: the RMM will "
                        + "refuse the SEA KVM injects (as in v12)", gpa));
            }
            rec.enterFlags |= Rmi.REC_ENTER_INJECT_SEA; // no syndrome: nothing to emulate, inject an SEA
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
                rec.enterFlags |= Rmi.REC_ENTER_EMUL_MMIO;
            } else {
                long val = d.read(v, gpa, len);
                try (PeScheduler.Lease lease = kernel.scheduler.lease(v.id)) {
                    writeNs(lease.cpu, rec.run + RecRun.ENTER_GPRS, val);
                }
                rec.enterFlags |= Rmi.REC_ENTER_EMUL_MMIO;
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
            return realm.mapProtected(pe, page, pa);
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
        return realm.mapUnprotected(pe, faultIpa & ~(PAGE - 1), gpa, pa);
    }

    /** kvm_prepare_memory_fault_exit(). */
    static void memoryFaultExit(KvmVcpu v, long gpa, long size, boolean isPrivate) {
        v.setExit(KVM_EXIT_MEMORY_FAULT);
        v.runWrite(Structs.RUN_MEMORY_FAULT_FLAGS, 8, isPrivate ? KVM_MEMORY_EXIT_FLAG_PRIVATE : 0);
        v.runWrite(Structs.RUN_MEMORY_FAULT_GPA, 8, gpa);
        v.runWrite(Structs.RUN_MEMORY_FAULT_SIZE, 8, size);
    }
}
