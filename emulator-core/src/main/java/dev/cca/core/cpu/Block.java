package dev.cca.core.cpu;

/**
 * A translated basic block: straight-line instructions of one page ending at the first instruction that ends a
 * block (a branch, an exception, a system instruction) or at the page end. {@link Translator} generates one
 * hidden class per block whose {@link #run} calls each instruction's {@link Insn} (the same semantics the
 * interpreter runs) with its PC as a constant.
 *
 * <p>On return the PE's instruction count includes every instruction the block completed; when an instruction
 * throws, {@link Cpu#pc} and the count say exactly where (the count excludes the faulting instruction), as they
 * would under the interpreter.
 */
public abstract class Block {
    /** Virtual address of the first instruction (blocks are found by physical page and checked by VA). */
    public final long va;
    /** Number of instructions. */
    public final int length;

    protected Block(long va, int length) {
        this.va = va;
        this.length = length;
    }

    /**
     * Runs the block, and again while it branches back to its own start and at least {@link #length}
     * instructions remain before the instruction count reaches {@code end}. Returns the next PC.
     */
    public abstract long run(Cpu c, long end);
}
