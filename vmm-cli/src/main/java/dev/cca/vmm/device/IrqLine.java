package dev.cca.vmm.device;

/** A level-sensitive interrupt line into the guest's interrupt controller (KVM_IRQ_LINE on the VM's fd). */
@FunctionalInterface
public interface IrqLine {
    void set(boolean level);

    /** A line that goes nowhere. */
    IrqLine NONE = level -> { };
}
