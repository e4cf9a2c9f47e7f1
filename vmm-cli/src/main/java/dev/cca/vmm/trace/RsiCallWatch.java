package dev.cca.vmm.trace;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Esr;
import dev.cca.core.cpu.SecurityState;
import dev.cca.rmm.smc.SmcDecoder;

import java.util.ArrayList;
import java.util.List;

/**
 * Notices a normal VM's guest making an RSI call: an SMC from Non-secure EL1 or EL0, trapped to EL2, with an RSI
 * function id (0xC4000190-0xC40001AF) in X0. KVM answers it NOT_SUPPORTED as any unknown SMCCC call, so a realm
 * guest started without --realm fails in ways that do not say why; cca run then gives a hint. The emulator's view
 * of the PEs, as a debugger has it: no VMM could see this.
 */
public final class RsiCallWatch implements Cpu.ExceptionListener {
    static final long RSI_FIRST = 0xC400_0190L, RSI_LAST = 0xC400_01AFL;

    private final List<Runnable> detach = new ArrayList<>();
    private volatile long firstFid = -1;

    /** Watches every PE of the machine. */
    public void attach(List<Cpu> pes) {
        for (Cpu c : pes) {
            c.addExceptionListener(this);
            detach.add(() -> c.removeExceptionListener(this));
        }
    }

    public void close() {
        detach.forEach(Runnable::run);
        detach.clear();
    }

    @Override
    public void exceptionTaken(Cpu cpu, int fromEl, SecurityState fromSs, int toEl, long esr, long elr, int vector) {
        if (firstFid < 0 && toEl == 2 && fromEl < 2 && fromSs == SecurityState.NON_SECURE && esr >= 0
                && Esr.ec(esr) == Esr.EC_SMC64) {
            long fid = cpu.x[0] & 0xFFFF_FFFFL;
            if (fid >= RSI_FIRST && fid <= RSI_LAST) {
                firstFid = fid;
            }
        }
    }

    /** The hint for the run's summary, or null if the guest made no RSI call. */
    public String hint() {
        long f = firstFid;
        if (f < 0) {
            return null;
        }
        return String.format("the guest made an RSI call (%s, SMC %#x) in a normal VM, where KVM answers "
                + "NOT_SUPPORTED; did you mean --realm?", SmcDecoder.name(f), f);
    }
}
