package dev.cca.kvm;

import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;

/**
 * A guest_memfd file: guest-private memory that user space cannot map. Its pages are host pages allocated on
 * first use (populate or fault); for a realm they are delegated to the RMM and only the realm can touch them.
 */
final class GuestMemfd implements FileObject {
    final KvmVm vm;
    final long size;
    /** Host physical address of each page (0 = not allocated yet). */
    private final long[] pages;
    /** Slot bound to each page range (one binding per page), for EEXIST on overlapping bindings. */
    private final boolean[] bound;

    GuestMemfd(KvmVm vm, long size) {
        this.vm = vm;
        this.size = size;
        this.pages = new long[(int) (size / 4096)];
        this.bound = new boolean[pages.length];
    }

    @Override
    public String name() {
        return "anon_inode:[kvm-gmem]";
    }

    @Override
    public long ioctl(Process p, long request, long arg) {
        return -Errno.ENOTTY;
    }

    /** The page at {@code offset}, or 0 if it was never allocated. */
    synchronized long page(long offset) {
        return pages[(int) (offset / 4096)];
    }

    synchronized void setPage(long offset, long pa) {
        pages[(int) (offset / 4096)] = pa;
    }

    /** Binds [offset, offset+len) to a memslot; false if part of it is already bound. */
    synchronized boolean bind(long offset, long len) {
        int first = (int) (offset / 4096);
        int n = (int) (len / 4096);
        for (int i = first; i < first + n; i++) {
            if (bound[i]) {
                return false;
            }
        }
        for (int i = first; i < first + n; i++) {
            bound[i] = true;
        }
        return true;
    }

    synchronized void unbind(long offset, long len) {
        int first = (int) (offset / 4096);
        for (int i = first; i < first + (int) (len / 4096); i++) {
            bound[i] = false;
        }
    }
}
