package dev.cca.rmm.rsi;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Smccc;
import dev.cca.rmm.realm.RealmDescriptor;
import dev.cca.rmm.rec.Rec;
import dev.cca.rmm.rec.RecExit;
import dev.cca.rmm.rec.RecParams;
import dev.cca.rmm.smc.Psci;
import dev.cca.rmm.smc.Rmi;

/** PSCI calls from a realm: those the RMM answers itself, and those it forwards to the host as RMI_EXIT_PSCI. */
final class RealmPsci {
    private RealmPsci() {
    }

    /** PSCI calls from the realm (RMM spec B5.3; TF-RMM runtime/rsi/psci.c). */
    static void call(Cpu cpu, Rec rec, RealmDescriptor d, long fid, RsiResult r, RecExit e) {
        long f = fid & 0xFFFF_FFFFL;
        if (f == Psci.VERSION) {
            r.x[0] = Psci.VERSION_1_1;
        } else if (f == Psci.CPU_SUSPEND_32 || f == Psci.CPU_SUSPEND_64) {
            // Every power state is treated as a suspend: a notification, answered at once.
            toHost(cpu, e, 1);
            r.action = RsiResult.Action.EXIT_UPDATED;
            r.x[0] = Psci.SUCCESS;
        } else if (f == Psci.CPU_OFF) {
            rec.setFlag(Rec.FLAG_RUNNABLE, false);
            toHost(cpu, e, 1);
            r.action = RsiResult.Action.EXIT_UPDATED;
            r.x[0] = Psci.SUCCESS;
        } else if (f == Psci.CPU_ON_32 || f == Psci.CPU_ON_64) {
            long entry = cpu.x[2];
            long target = RecParams.mpidrEl1ToIndex(cpu.x[1]);
            if (!d.inPar(entry)) {
                r.fail(Psci.INVALID_ADDRESS, "entry", "entry_point %#x is not in the protected range [0, %#x)", entry,
                        1L << (d.s2sz() - 1));
            } else if (Long.compareUnsigned(target, d.recCount()) >= 0) {
                r.fail(Psci.INVALID_PARAMETERS, "mpidr", "target_cpu %#x is REC index %d; the realm has %d RECs",
                        cpu.x[1], target, d.recCount());
            } else if (target == rec.index()) {
                r.fail(Psci.ALREADY_ON, "runnable", "target_cpu %#x is the calling REC", cpu.x[1]);
            } else {
                // The host answers with RMI_PSCI_COMPLETE, which writes the realm's X0..X3.
                rec.setFlag(Rec.FLAG_PSCI_PENDING, true);
                toHost(cpu, e, 2);
                r.action = RsiResult.Action.EXIT;
            }
        } else if (f == Psci.AFFINITY_INFO_32 || f == Psci.AFFINITY_INFO_64) {
            long target = RecParams.mpidrEl1ToIndex(cpu.x[1]);
            if (cpu.x[2] != 0) {
                // only the lowest affinity level 0 is supported
                r.fail(Psci.INVALID_PARAMETERS, "target_bound", "lowest_affinity_level %d is not 0", cpu.x[2]);
            } else if (Long.compareUnsigned(target, d.recCount()) >= 0) {
                r.fail(Psci.INVALID_PARAMETERS, "target_match", "target_affinity %#x is REC index %d; the realm has"
                        + " %d RECs", cpu.x[1], target, d.recCount());
            } else if (target == rec.index()) {
                r.x[0] = Psci.AFFINITY_ON;
            } else {
                rec.setFlag(Rec.FLAG_PSCI_PENDING, true);
                toHost(cpu, e, 2);
                r.action = RsiResult.Action.EXIT;
            }
        } else if (f == Psci.SYSTEM_OFF || f == Psci.SYSTEM_RESET) {
            // No REC of the realm runs again; a reset is the host building a new realm.
            d.setState(RealmDescriptor.STATE_SYSTEM_OFF);
            toHost(cpu, e, 1);
            r.action = RsiResult.Action.EXIT;
        } else if (f == Psci.FEATURES) {
            long q = cpu.x[1] & 0xFFFF_FFFFL;
            boolean supported = q == Psci.CPU_SUSPEND_32 || q == Psci.CPU_SUSPEND_64 || q == Psci.CPU_OFF
                    || q == Psci.CPU_ON_32 || q == Psci.CPU_ON_64 || q == Psci.AFFINITY_INFO_32
                    || q == Psci.AFFINITY_INFO_64 || q == Psci.SYSTEM_OFF || q == Psci.SYSTEM_RESET
                    || q == Psci.FEATURES || q == Smccc.SMCCC_VERSION;
            r.x[0] = supported ? Psci.SUCCESS : Psci.NOT_SUPPORTED;
        } else {
            r.x[0] = Psci.NOT_SUPPORTED;
        }
    }

    /** An RMI_EXIT_PSCI carrying the first {@code count} of the realm's X0..X3 (the rest of gprs zero). */
    private static void toHost(Cpu cpu, RecExit e, int count) {
        e.reason = Rmi.EXIT_PSCI;
        for (int i = 0; i < count; i++) {
            e.gprs[i] = cpu.x[i];
        }
    }
}
