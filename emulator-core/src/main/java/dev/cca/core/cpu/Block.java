package dev.cca.core.cpu;

/**
 * A translated region: the basic block at {@link #va} (straight-line instructions of one page ending at the first
 * instruction that ends a block, a branch, an exception or a system instruction, or at the page end), and the hot
 * blocks of the same page that it branches or falls through to, which it enters by jumps inside its code (block
 * chaining) while the chunk has room. {@link Translator} generates one hidden class per region whose {@link #run}
 * calls each instruction's {@link Insn} (the same semantics the interpreter runs) with its PC as a constant.
 *
 * <p>On return the PE's instruction count includes every instruction the region completed; when an instruction
 * throws, {@link Cpu#pc} and the count say exactly where (the count excludes the faulting instruction), as they
 * would under the interpreter.
 */
public abstract class Block {
    /** Virtual address of the first instruction (blocks are found by physical page and checked by VA). */
    public final long va;
    /** Number of instructions of the block at {@link #va} (the run loop enters only with room for them). */
    public final int length;

    protected Block(long va, int length) {
        this.va = va;
        this.length = length;
    }

    /**
     * Runs the block at {@link #va}, then the region's blocks that control reaches while each fits before the
     * instruction count reaches {@code end}. Returns the next PC.
     */
    public abstract long run(Cpu c, long end);
}
