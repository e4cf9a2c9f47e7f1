package dev.cca.core.cpu;

/**
 * A decoded A64 instruction: the operands are fixed at decode time, so executing it allocates nothing.
 * Decoded instructions are cached per physical page and reused until the page is written.
 */
@FunctionalInterface
public interface Insn {
    /**
     * Executes the instruction at {@code pc} and returns the address of the next instruction. A synchronous
     * exception is raised by {@link Cpu} helpers, which either return the vector address (SVC, HVC, SMC) or throw
     * {@link GuestFault} (aborts, undefined instructions).
     */
    long exec(Cpu cpu, long pc);
}
