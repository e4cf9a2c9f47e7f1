package dev.cca.core.cpu;

/**
 * A firmware model: Java code that stands for the software at one exception level and security state (the EL3
 * monitor, the RMM at Realm EL2). The CPU never executes instructions at such a level; when the PE arrives there,
 * by taking an exception or by an exception return from above, it calls {@link #enter}. The model reads the
 * architectural state (GPRs, ESR/ELR/FAR of its level) and must leave by an exception return
 * ({@link Cpu#eret()}) or by taking an exception itself (for example {@link Cpu#smc(int)} to call EL3).
 */
public interface Firmware {

    /** How the PE arrived at the firmware's level. */
    enum Entry {
        /** An exception was taken to this level: the syndrome is in ESR_ELx, ELR_ELx, FAR_ELx. */
        EXCEPTION,
        /** A higher level performed an exception return to this level (e.g. EL3 handing an RMI call to the RMM). */
        RETURN
    }

    void enter(Cpu cpu, Entry entry);

    /** A short name for traces and reports. */
    String name();

    /** The notional PC of this firmware's code, shown while the PE is inside it. */
    default long pc() {
        return 0;
    }
}
