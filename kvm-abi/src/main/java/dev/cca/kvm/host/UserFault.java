package dev.cca.kvm.host;

/**
 * A user-space access to an address the process has not mapped (SIGSEGV), or to memory the kernel cannot give
 * it (SIGBUS). Raised to VMM code that dereferences a bad pointer; the kernel turns the same condition into EFAULT.
 */
public final class UserFault extends RuntimeException {
    public final long address;

    public UserFault(long address, String message) {
        super(message);
        this.address = address;
    }
}
