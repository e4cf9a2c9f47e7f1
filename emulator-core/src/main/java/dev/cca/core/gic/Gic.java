package dev.cca.core.gic;

/**
 * The platform's physical GICv3 interrupt controller as the host sees it: one {@link Redistributor} per PE for
 * the private interrupts (SGIs and PPIs). The CPU interface of each PE (the ICC_* system registers) lives with
 * the PE ({@code dev.cca.core.cpu.GicCpuInterface}) and reads its redistributor.
 *
 * The {@link Distributor} holds the shared peripheral interrupts (SPIs) that platform devices raise, each routed to
 * one PE.
 *
 * <p>The Java host kernel reaches the GIC through the CPU interface's system registers and these methods; code
 * running on the PEs at Non-secure EL2 (cca run --host-image) programs it through the MMIO frames of
 * {@link GicMmio}, which a platform maps when it has such code. Guests never see this GIC: KVM emulates a
 * virtual one for them and injects its interrupts through the list registers of the virtual CPU interface.
 */
public final class Gic {
    /** PPI of the GIC virtual CPU interface's maintenance interrupt. */
    public static final int PPI_MAINTENANCE = 25;

    private final Redistributor[] redists;
    private final Distributor distributor;

    /** A GIC for PEs whose MPIDR_EL1 values are {@code mpidrs} (the redistributors' affinities). */
    public Gic(long[] mpidrs) {
        distributor = new Distributor(this);
        redists = new Redistributor[mpidrs.length];
        for (int i = 0; i < mpidrs.length; i++) {
            redists[i] = new Redistributor(i, mpidrs[i], distributor);
        }
    }

    /** The distributor: the SPIs and their routing. */
    public Distributor distributor() {
        return distributor;
    }

    /** Resets the distributor and every redistributor (a system reset). */
    public void reset() {
        distributor.reset();
        for (Redistributor r : redists) {
            r.reset();
        }
    }

    public Redistributor redistributor(int pe) {
        return redists[pe];
    }

    public int peCount() {
        return redists.length;
    }

    /** Makes SGI {@code intid} (0-15) pending on PE {@code target}, as a write to ICC_SGI1R_EL1 does. */
    public void sendSgi(int target, int intid) {
        if (intid < 0 || intid > 15) {
            throw new IllegalArgumentException("not an SGI: " + intid);
        }
        if (target >= 0 && target < redists.length) {
            redists[target].setPending(intid);
        }
    }
}
