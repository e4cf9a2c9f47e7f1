package dev.cca.kvm.host;

/**
 * Receives the host kernel's system-call events, for traces and debuggers (the counterpart of strace or of the
 * kvm tracepoints). Called on the thread that made the call, after it returns. Observers must not call back into
 * the process that made the call.
 */
public interface KernelObserver {

    /**
     * An ioctl(2) returned. {@code file} is what {@code fd} referred to (null for a bad descriptor), {@code request}
     * the 32-bit request number, {@code result} the raw result (non-negative, or a negative errno), and
     * {@code startNanos} the {@link System#nanoTime()} at which the call was made.
     */
    void ioctl(Process process, int fd, FileObject file, long request, long arg, long result, long startNanos);
}
