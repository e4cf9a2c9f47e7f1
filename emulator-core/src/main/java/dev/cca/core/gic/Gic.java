package dev.cca.core.gic;

/**
 * The platform's physical GICv3 interrupt controller as the host sees it: one {@link Redistributor} per PE for
 * the private interrupts (SGIs and PPIs). The CPU interface of each PE (the ICC_* system registers) lives with
 * the PE ({@code dev.cca.core.cpu.GicCpuInterface}) and reads its redistributor.
 *
 * <p>Scope: the host kernel and the firmware are Java models that reach the GIC through the CPU interface's
 * system registers and these methods, so the model has no distributor MMIO frame and no shared peripheral
 * interrupts (no physical device in the platform raises one). Guests never see this GIC: KVM emulates a
 * virtual one for them and injects its interrupts through the list registers of the virtual CPU interface.
 */
public final class Gic {
    /** PPI of the GIC virtual CPU interface's maintenance interrupt. */
    public static final int PPI_MAINTENANCE = 25;

    private final Redistributor[] redists;

    public Gic(int pes) {
        redists = new Redistributor[pes];
        for (int i = 0; i < pes; i++) {
            redists[i] = new Redistributor(i);
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
