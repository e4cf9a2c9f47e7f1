package dev.cca.vmm;

import dev.cca.kvm.host.Process;
import dev.cca.kvm.host.UserMemory;

/**
 * The libc layer of the VMM: system calls that turn negative returns into {@link ErrnoException}, plus helpers
 * to lay out C structs in the process's memory. This and {@link Process} are the VMM's only way to reach KVM.
 */
final class Libc {
    final Process proc;
    final UserMemory mem;
    /**
     * A scratch page for ioctl argument structs, one per thread as a C VMM's structs live on each thread's stack:
     * the vCPU threads make ioctls of their own (PSCI completion, registers) while the main thread makes others.
     */
    private final ThreadLocal<Long> scratch;

    Libc(Process proc) {
        this.proc = proc;
        this.mem = proc.memory();
        this.scratch = ThreadLocal.withInitial(() -> {
            long s = proc.mmap(0, 4096, UserMemory.PROT_READ | UserMemory.PROT_WRITE,
                    Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
            if (s < 0) {
                throw new IllegalStateException("cannot map scratch memory");
            }
            return s;
        });
        scratch.get(); // the creating thread's page now, so a process that cannot map fails here
    }

    int open(String path) throws ErrnoException {
        int fd = proc.open(path, Process.O_RDWR | Process.O_CLOEXEC);
        if (fd < 0) {
            throw new ErrnoException("open " + path, -fd);
        }
        return fd;
    }

    long ioctl(int fd, long request, long arg, String what) throws ErrnoException {
        long r = proc.ioctl(fd, request, arg);
        if (r < 0) {
            throw new ErrnoException(what, (int) -r);
        }
        return r;
    }

    long mmap(long length, int fd, String what) throws ErrnoException {
        long r = fd < 0 ? proc.mmap(0, length, UserMemory.PROT_READ | UserMemory.PROT_WRITE,
                Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0)
                : proc.mmap(0, length, UserMemory.PROT_READ | UserMemory.PROT_WRITE, Process.MAP_SHARED, fd, 0);
        if (r < 0) {
            throw new ErrnoException(what, (int) -r);
        }
        return r;
    }

    /** A zeroed struct of {@code size} bytes in the scratch page (valid until the next call). */
    long struct(int size) {
        long s = scratch.get();
        mem.clear(s, size);
        return s;
    }

    /** A second scratch area after the first 2 KiB, for structs that point at other structs. */
    long struct2(int size) {
        long s = scratch.get() + 2048;
        mem.clear(s, size);
        return s;
    }
}
