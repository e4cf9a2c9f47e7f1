package dev.cca.kvm;

import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;

import java.util.Map;
import java.util.TreeMap;

/**
 * A guest_memfd file: guest-private memory that user space cannot map. Its pages are host pages allocated on
 * first use (populate or fault); for a realm they are delegated to the RMM and only the realm can touch them.
 * The file can be as large as user space asks (like the inode size): pages and bindings are kept sparsely.
 */
final class GuestMemfd implements FileObject {
    private static final long PAGE = 4096;

    final KvmVm vm;
    final long size;
    /** Host physical address of each allocated page, by page index. */
    private final Map<Long, Long> pages = new TreeMap<>();
    /** Offset ranges bound to memslots (kvm_gmem_bind): a range can be bound once. */
    private final RangeSet bound = new RangeSet();

    GuestMemfd(KvmVm vm, long size) {
        this.vm = vm;
        this.size = size;
    }

    @Override
    public String name() {
        return "anon_inode:[kvm-gmem]";
    }

    @Override
    public void release() {
        vm.childReleased(); // kvm_gmem_release(): drops the file's reference to the VM
    }

    /** guest_memfd has no ioctls: the VFS answers ENOTTY (vfs_ioctl without an unlocked_ioctl). */
    @Override
    public long ioctl(Process p, long request, long arg) {
        return -Errno.ENOTTY;
    }

    /** The page at {@code offset}, or 0 if it was never allocated. */
    synchronized long page(long offset) {
        Long pa = pages.get(offset / PAGE);
        return pa == null ? 0 : pa;
    }

    synchronized void setPage(long offset, long pa) {
        if (pa == 0) {
            pages.remove(offset / PAGE);
        } else {
            pages.put(offset / PAGE, pa);
        }
    }

    synchronized int allocatedPages() {
        return pages.size();
    }

    /** Binds [offset, offset+len) to a memslot; false if part of it is already bound. */
    synchronized boolean bind(long offset, long len) {
        if (bound.intersects(offset, offset + len)) {
            return false;
        }
        bound.add(offset, offset + len);
        return true;
    }

    synchronized void unbind(long offset, long len) {
        bound.remove(offset, offset + len);
    }
}
