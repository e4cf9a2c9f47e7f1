package dev.cca.rmm.el3;

/**
 * The platform's power controller as the EL3 monitor drives it for PSCI calls from the Non-secure world (TF-A's
 * plat_psci_ops): whoever runs the PEs powers them on and off. Without one, the monitor answers PSCI with
 * NOT_SUPPORTED (the Java host kernel manages its PEs itself).
 */
public interface PowerControl {
    /**
     * Powers PE {@code pe} on: it will start at Non-secure EL2 through {@link Monitor#warmBoot}. Called from
     * another PE's thread, with the target known to be off.
     */
    void powerOn(int pe);

    /** The calling PE {@code pe} has powered itself down (CPU_OFF): its run loop stops running it. */
    void powerOff(int pe);

    /** PSCI SYSTEM_OFF. */
    void systemOff();

    /** PSCI SYSTEM_RESET (a warm system reset of PEs and firmware, memory kept). */
    void systemReset();
}
