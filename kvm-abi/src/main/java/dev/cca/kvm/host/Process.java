package dev.cca.kvm.host;

import dev.cca.kvm.uapi.Errno;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A user process of the host: its file descriptor table, its address space and its signals. The system calls
 * follow the raw kernel convention: a non-negative result, or a negative errno. VMM code uses them exactly as a C
 * VMM would use open(2), ioctl(2), mmap(2), close(2) and pthread_kill(3).
 */
public final class Process {
    public static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;
    public static final int O_RDWR = 2, O_CLOEXEC = 0x80000;
    /** Requests the VFS answers for every file (include/uapi/asm-generic/ioctls.h). */
    public static final long FIONCLEX = 0x5450, FIOCLEX = 0x5451;
    public static final long MAP_FAILED_ENOMEM = -Errno.ENOMEM;

    private final HostKernel kernel;
    private final UserMemory memory;
    private final Map<Integer, FileObject> fds = new ConcurrentHashMap<>();
    private final Map<FileObject, Integer> refs = new ConcurrentHashMap<>();
    private final Map<Thread, Boolean> pendingSignals = new ConcurrentHashMap<>();
    private int nextFd = 3;

    Process(HostKernel kernel, UserMemory memory) {
        this.kernel = kernel;
        this.memory = memory;
    }

    public HostKernel kernel() {
        return kernel;
    }

    public UserMemory memory() {
        return memory;
    }

    /** open(2) of a device node. */
    public int open(String path, int flags) {
        Function<Process, FileObject> dev = kernel.device(path);
        if (dev == null) {
            return -Errno.ENOENT;
        }
        return installFd(dev.apply(this));
    }

    /** Allocates the lowest free descriptor for {@code f} (anon_inode_getfd). */
    public synchronized int installFd(FileObject f) {
        int fd = 3;
        while (fds.containsKey(fd)) {
            fd++;
        }
        fds.put(fd, f);
        refs.merge(f, 1, Integer::sum);
        nextFd = Math.max(nextFd, fd + 1);
        return fd;
    }

    public FileObject file(int fd) {
        return fds.get(fd);
    }

    public int close(int fd) {
        FileObject f;
        synchronized (this) {
            f = fds.remove(fd);
            if (f == null) {
                return -Errno.EBADF;
            }
            if (refs.merge(f, -1, Integer::sum) > 0) {
                return 0;
            }
            refs.remove(f);
        }
        f.release();
        return 0;
    }

    /**
     * ioctl(2): every ioctl of every process passes here. The request is the 32-bit {@code unsigned int} the
     * syscall takes; {@code do_vfs_ioctl} answers the close-on-exec requests for any file, everything else goes
     * to the file.
     */
    public long ioctl(int fd, long request, long arg) {
        FileObject f = fds.get(fd);
        long req = request & 0xFFFF_FFFFL;
        if (!kernel.observed()) {
            return dispatch(f, req, arg);
        }
        long start = System.nanoTime();
        long r = dispatch(f, req, arg);
        kernel.notifyIoctl(this, fd, f, req, arg, r, start);
        return r;
    }

    private long dispatch(FileObject f, long req, long arg) {
        if (f == null) {
            return -Errno.EBADF;
        }
        if (req == FIOCLEX || req == FIONCLEX) {
            return 0;
        }
        return f.ioctl(this, req, arg);
    }

    /** mmap(2): anonymous memory (fd = -1 with MAP_ANONYMOUS) or a file's pages. Returns address or -errno. */
    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        if (length <= 0 || (offset & (PageAllocator.PAGE - 1)) != 0) {
            return -Errno.EINVAL;
        }
        if ((flags & MAP_ANONYMOUS) != 0) {
            return memory.mapAnonymous(length, prot, "anon");
        }
        FileObject f = fds.get(fd);
        if (f == null) {
            return -Errno.EBADF;
        }
        long[] pages = f.mmapPages(offset, length);
        if (pages == null) {
            return -Errno.ENODEV;
        }
        return memory.mapPages(pages, prot, f.name());
    }

    public int munmap(long addr, long length) {
        return memory.unmap(addr, length) ? 0 : -Errno.EINVAL;
    }

    /** pthread_kill(thread, SIGUSR1)-like: interrupts a blocking KVM_RUN in that thread. */
    public void signal(Thread t) {
        pendingSignals.put(t, Boolean.TRUE);
        kernel.kick(t);
    }

    /** Whether the calling thread has a signal pending (signal_pending(current)). */
    public boolean signalPending() {
        return pendingSignals.containsKey(Thread.currentThread());
    }

    /** Consumes the calling thread's pending signal (as delivering it would). */
    public void consumeSignal() {
        pendingSignals.remove(Thread.currentThread());
    }

    /** Closes every descriptor (process exit). */
    public void exit() {
        for (Integer fd : fds.keySet().toArray(new Integer[0])) {
            close(fd);
        }
    }
}
