package dev.cca.kvm;

import dev.cca.kvm.host.UserMemory;

/**
 * KVM's own accesses to guest memory (kvm_read_guest, kvm_is_visible_gfn): through the memslot's user mapping in
 * the address space of the process that owns the VM, as the ITS reads its command queue and tables and the
 * redistributors their LPI tables.
 *
 * <p>For a realm this reaches only memory the realm shares with the host: the unprotected-alias bit of an address
 * is dropped, and a page with KVM_MEMORY_ATTRIBUTE_PRIVATE is refused, since its contents live in the realm's
 * protected memory (guest_memfd, delegated granules) and the memslot's user page behind it holds nothing of the
 * realm's. A realm guest therefore has to place its ITS tables in memory it has shared (Linux does, for a realm:
 * its_alloc_pages shares them with set_memory_decrypted).
 */
final class KvmGuestMemory {
    private static final long PAGE = 4096;

    private final KvmVm vm;
    private final UserMemory mem;

    KvmGuestMemory(KvmVm vm, UserMemory mem) {
        this.vm = vm;
        this.mem = mem;
    }

    /** The host virtual address of {@code gpa}, or -1 if KVM cannot reach it (no memslot, or realm-private). */
    private long hva(long gpa) {
        // A VM with private memory (a realm) has an unprotected alias: the top IPA bit names the shared view.
        long a = vm.backend.hasPrivateMem() ? gpa & ~vm.sharedBit() : gpa;
        if (Long.compareUnsigned(a, 1L << vm.ipaBits) >= 0) {
            return -1;
        }
        Memslot s = vm.findSlot(a);
        if (s == null || vm.isPrivate(a)) {
            return -1;
        }
        return s.userspaceAddr + (a - s.gpa);
    }

    /** kvm_is_visible_gfn() for the page of {@code gpa}, with the realm rule above. */
    boolean visible(long gpa) {
        return hva(gpa) >= 0;
    }

    /** kvm_read_guest(): {@code len} bytes at {@code gpa}, or null if any page cannot be reached. */
    byte[] read(long gpa, int len) {
        byte[] out = new byte[len];
        int done = 0;
        while (done < len) {
            long a = gpa + done;
            int n = (int) Math.min(len - done, PAGE - (a & (PAGE - 1)));
            long hva = hva(a);
            if (hva < 0) {
                return null;
            }
            byte[] b = mem.copyFromUser(hva, n);
            if (b == null) {
                return null;
            }
            System.arraycopy(b, 0, out, done, n);
            done += n;
        }
        return out;
    }

    /** A little-endian 64-bit value at {@code gpa}; {@code ok[0]} says whether it could be read. */
    long read64(long gpa, boolean[] ok) {
        byte[] b = read(gpa, 8);
        ok[0] = b != null;
        if (b == null) {
            return 0;
        }
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    /** One byte at {@code gpa}, or -1 if it cannot be read. */
    int read8(long gpa) {
        byte[] b = read(gpa, 1);
        return b == null ? -1 : b[0] & 0xFF;
    }
}
