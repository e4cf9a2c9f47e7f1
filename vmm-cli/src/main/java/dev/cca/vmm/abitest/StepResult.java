package dev.cca.vmm.abitest;

import java.util.List;

/**
 * What a step did, before anything is checked: its return value (a value, or -errno as the kernel returns it) or,
 * for smc and rsi steps, the registers; the argument struct it passed (to read output fields from); the fd it was
 * made on (a vCPU's, for kvm_run); and the RMI calls the RMM completed while it ran. {@link StepCheck} then compares
 * it with the step's {@link Expect}.
 */
record StepResult(long value, long[] regs, AbiCatalog.StructDef struct, long structAddr, int fd,
        List<RmiCall> calls) {
    static StepResult returned(long value, AbiCatalog.StructDef struct, long structAddr, int fd, List<RmiCall> calls) {
        return new StepResult(value, null, struct, structAddr, fd, calls);
    }

    static StepResult registers(long[] regs, List<RmiCall> calls) {
        return new StepResult(0, regs, null, 0, -1, calls);
    }

    /** Whether the return value is an error (-4095..-1). */
    boolean isError() {
        return value < 0 && value >= -4095;
    }
}
