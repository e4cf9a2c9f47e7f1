package dev.cca.core.cpu;

/**
 * Unwinds an instruction that raised a synchronous exception. The exception's syndrome has already been recorded
 * in the {@link Cpu}; the run loop catches this and performs the exception entry. It is a singleton without a
 * stack trace so that guest faults (page faults are frequent) cost no allocation.
 */
public final class GuestFault extends RuntimeException {
    public static final GuestFault INSTANCE = new GuestFault();

    private GuestFault() {
        super("guest exception", null, false, false);
    }
}
