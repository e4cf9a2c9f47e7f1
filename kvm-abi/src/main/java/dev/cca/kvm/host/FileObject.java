package dev.cca.kvm.host;

/** An open file: what a file descriptor refers to. */
public interface FileObject {
    /** Handles ioctl(fd, request, arg): a non-negative result, or a negative errno. */
    long ioctl(Process process, long request, long arg);

    /**
     * The physical pages to map for mmap(offset, length), or null if the file cannot be mapped that way.
     */
    default long[] mmapPages(long offset, long length) {
        return null;
    }

    /** Called when the last descriptor referring to the file is closed. */
    default void release() {
    }

    String name();
}
