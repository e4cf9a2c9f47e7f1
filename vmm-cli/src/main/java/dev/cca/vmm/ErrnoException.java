package dev.cca.vmm;

import dev.cca.kvm.uapi.Errno;

/** A failed system call, as a C VMM would see errno after a -1 return. */
public final class ErrnoException extends Exception {
    public final int errno;
    public final String call;

    public ErrnoException(String call, int errno) {
        super(call + ": " + Errno.describe(errno) + " (" + Errno.name(errno) + ")");
        this.call = call;
        this.errno = errno;
    }
}
