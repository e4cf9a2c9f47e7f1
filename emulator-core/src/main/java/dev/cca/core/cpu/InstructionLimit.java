package dev.cca.core.cpu;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A number of guest instructions that PEs share (a tool's {@code --max-instructions}): each PE's run loop claims
 * the instructions of its next chunk from it before executing them and gives back what it did not execute, so
 * the PEs together execute exactly the limit. A PE that finds nothing left while others still hold instructions
 * waits for them to execute or give them back.
 *
 * <p>When a PE finds the limit used up, the {@code reached} action runs once, on that PE's thread: it is expected to
 * end the run as a tool's stop does (an interrupt that takes the PE out of the guest), which the run loop then
 * takes without executing another instruction. If nothing can be taken, the run loop returns
 * {@link Cpu.StopReason#STOP_REQUESTED}.
 */
public final class InstructionLimit {
    private final AtomicLong left;
    /** Instructions claimed and not yet released. */
    private final AtomicLong held = new AtomicLong();
    private final Runnable reached;
    private final java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();

    public InstructionLimit(long limit, Runnable reached) {
        if (limit <= 0) {
            throw new IllegalArgumentException("an instruction limit must be positive, was " + limit);
        }
        this.left = new AtomicLong(limit);
        this.reached = reached;
    }

    /** PEs that claim from this limit ({@link #share}). */
    private volatile int sharers;

    /** Counts one more PE claiming from this limit. */
    void share() {
        sharers++;
    }

    /**
     * Claims up to {@code n} instructions; returns how many were granted, 0 when the limit is used up, or -1 when
     * nothing is left to claim but other PEs still hold instructions they may give back (try again). Near the end,
     * a PE that shares the limit gets a part of what is left, so that the others go on executing meanwhile.
     */
    long claim(long n) {
        int k = sharers;
        while (true) {
            long l = left.get();
            if (l <= 0) {
                return held.get() > 0 ? -1 : 0;
            }
            long g = k > 1 ? Math.min(n, Math.min(l, Math.max(16, l / (2L * k)))) : Math.min(l, n);
            held.addAndGet(g);
            if (left.compareAndSet(l, l - g)) {
                return g;
            }
            held.addAndGet(-g);
        }
    }

    /** Ends a claim of {@code claimed} instructions of which {@code executed} were executed. */
    void release(long claimed, long executed) {
        if (claimed > executed) {
            left.addAndGet(claimed - executed); // before the claim stops being held: see claim
        }
        held.addAndGet(-claimed);
    }

    /** Runs the {@code reached} action the first time a PE finds the limit used up. */
    void fire() {
        if (reached != null && fired.compareAndSet(false, true)) {
            reached.run();
        }
    }
}
