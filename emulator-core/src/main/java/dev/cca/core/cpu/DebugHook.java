package dev.cca.core.cpu;

/**
 * An external debugger attached to a PE (a gdb stub, the {@code cca debug} console): the equivalent of a halting
 * debug interface, not of the architecture's self-hosted debug (which the guest programs itself).
 *
 * <p>The run loop consults the hook only while one is installed ({@link Cpu#setDebugHook}); it then executes one
 * instruction at a time and calls {@link #beforeInstruction} before each. Without a hook the run loop costs one
 * field read per chunk of instructions, and TLB hits are unchanged.
 *
 * <p>A stop is the calling thread blocking inside a callback: the PE's state is consistent at that point (its
 * {@link Cpu#pc} is the instruction about to execute) and other threads may read and write it until the callback
 * returns. Callbacks run on the thread that runs the PE.
 */
public interface DebugHook {

    /**
     * The instruction at {@link Cpu#pc} is about to execute. May block; may change the PE's registers (including
     * the PC: the run loop executes whatever instruction {@code cpu.pc} then points at).
     */
    void beforeInstruction(Cpu cpu);

    /**
     * Whether data accesses to the virtual page at {@code pageVa} (4 KB aligned, in the PE's current translation
     * regime) must be reported to {@link #dataAccess}. Asked when a TLB entry for the page is filled: a watched page
     * gets an entry that sends every access through the slow path. A hook whose answer changes must make the PE
     * drop its TLB ({@link Cpu#flushTlb()}, from the PE's own thread) before the change matters.
     */
    boolean watchesPage(Cpu cpu, long pageVa);

    /**
     * A data access by the current instruction to a watched page (or to a device), before it is performed. May
     * block: the PE then stops in the middle of the instruction, before the access, with {@link Cpu#pc} at the
     * instruction (the way an Arm watchpoint debug event reports it, D2.10 in the Arm ARM).
     */
    void dataAccess(Cpu cpu, long va, int size, boolean write);
}
