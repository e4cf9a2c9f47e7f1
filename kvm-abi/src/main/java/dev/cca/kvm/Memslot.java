package dev.cca.kvm;

/** A KVM memory slot: guest physical range backed by user memory and/or a guest_memfd. */
final class Memslot {
    final int id;
    int flags;
    final long gpa;
    final long size;
    final long userspaceAddr;
    final GuestMemfd gmem;
    final long gmemOffset;

    Memslot(int id, int flags, long gpa, long size, long userspaceAddr, GuestMemfd gmem, long gmemOffset) {
        this.id = id;
        this.flags = flags;
        this.gpa = gpa;
        this.size = size;
        this.userspaceAddr = userspaceAddr;
        this.gmem = gmem;
        this.gmemOffset = gmemOffset;
    }

    boolean contains(long gpa) {
        return Long.compareUnsigned(gpa - this.gpa, size) < 0;
    }

    long end() {
        return gpa + size;
    }
}
