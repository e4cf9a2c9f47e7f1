package dev.cca.kvm.host;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.mem.Pas;

import java.util.Map;
import java.util.TreeMap;

/**
 * A process's virtual address space: mappings (VMAs) backed by host physical pages. VMM code reads and writes
 * its memory through this class as a C program dereferences pointers; the kernel copies structs in and out of it
 * ({@link #copyFromUser}) and pins pages ({@link #userPagePa}). Accesses are Non-secure physical accesses and pass
 * the granule protection check.
 */
public final class UserMemory {
    public static final int PROT_READ = 1, PROT_WRITE = 2;
    private static final long PAGE = PageAllocator.PAGE;
    /** The top of the user address space (arm64 with 48-bit virtual addresses). */
    static final long TASK_SIZE = 1L << 48;

    /** One mapping. Pages are allocated on first touch unless the mapping was created with fixed pages. */
    static final class Vma {
        final long start, end;
        final int prot;
        final long[] pages;
        final boolean anonymous;
        final String name;

        Vma(long start, long end, int prot, long[] pages, boolean anonymous, String name) {
            this.start = start;
            this.end = end;
            this.prot = prot;
            this.pages = pages;
            this.anonymous = anonymous;
            this.name = name;
        }
    }

    private final TreeMap<Long, Vma> vmas = new TreeMap<>();
    private final PageAllocator allocator;
    private final Cpu accessor;
    private long nextAddress = 0x7F00_0000_0000L;

    public UserMemory(PageAllocator allocator, Cpu accessor) {
        this.allocator = allocator;
        this.accessor = accessor;
    }

    /** Maps anonymous zero-filled memory; returns its address. */
    public synchronized long mapAnonymous(long length, int prot, String name) {
        // Linux's heuristic overcommit (vm.overcommit_memory = 0) refuses a single mapping larger than all of RAM,
        // and any mapping past the top of the user address space (TASK_SIZE, 48 bits): ENOMEM.
        long ram = (long) allocator.totalPages() * PAGE;
        if (length <= 0 || length > ram || nextAddress + length + PAGE > TASK_SIZE) {
            return -dev.cca.kvm.uapi.Errno.ENOMEM;
        }
        long len = roundUp(length);
        long addr = nextAddress;
        nextAddress += len + PAGE; // leave a guard page
        vmas.put(addr, new Vma(addr, addr + len, prot, new long[(int) (len / PAGE)], true, name));
        return addr;
    }

    /** Maps the given physical pages (a device or kernel buffer shared with user space). */
    public synchronized long mapPages(long[] pages, int prot, String name) {
        long len = pages.length * PAGE;
        long addr = nextAddress;
        nextAddress += len + PAGE;
        vmas.put(addr, new Vma(addr, addr + len, prot, pages.clone(), false, name));
        return addr;
    }

    /** Removes mappings in [addr, addr+length); anonymous pages go back to the allocator. */
    public synchronized boolean unmap(long addr, long length) {
        Vma v = vmas.get(addr);
        if (v == null || v.end - v.start != roundUp(length)) {
            return false;
        }
        vmas.remove(addr);
        if (v.anonymous) {
            for (long pa : v.pages) {
                if (pa != 0) {
                    allocator.free(pa);
                }
            }
        }
        return true;
    }

    private static long roundUp(long n) {
        return (n + PAGE - 1) & ~(PAGE - 1);
    }

    private synchronized Vma vma(long va) {
        Map.Entry<Long, Vma> e = vmas.floorEntry(va);
        if (e == null || Long.compareUnsigned(va, e.getValue().end) >= 0) {
            return null;
        }
        return e.getValue();
    }

    /**
     * The physical address backing the page of {@code va} (get_user_pages): allocated if needed. Returns -1 if
     * the address is not mapped with {@code prot}.
     */
    public long userPagePa(long va, int prot) {
        Vma v = vma(va);
        if (v == null || (v.prot & prot) != prot) {
            return -1;
        }
        int i = (int) ((va - v.start) / PAGE);
        synchronized (this) {
            long pa = v.pages[i];
            if (pa == 0) {
                pa = allocator.alloc();
                if (pa < 0) {
                    return -1;
                }
                accessor.memory.zero(pa, PAGE);
                v.pages[i] = pa;
            }
            return pa;
        }
    }

    private long pa(long va, int prot) {
        long pa = userPagePa(va, prot);
        if (pa < 0) {
            throw new UserFault(va, String.format("segmentation fault at %#x", va));
        }
        return pa | (va & (PAGE - 1));
    }

    // ---- user-space accesses (the VMM's own loads and stores) -----------------------------------------------

    public long read(long va, int size) {
        if (((va & (PAGE - 1)) + size) > PAGE) {
            long v = 0;
            for (int b = 0; b < size; b++) {
                v |= (read(va + b, 1) & 0xFF) << (8 * b);
            }
            return v;
        }
        try {
            return accessor.physRead(pa(va, PROT_READ), size, Pas.NON_SECURE);
        } catch (Cpu.PhysicalAccessException e) {
            throw new UserFault(va, "bus error at " + Long.toHexString(va) + ": " + e.getMessage());
        }
    }

    public void write(long va, int size, long value) {
        if (((va & (PAGE - 1)) + size) > PAGE) {
            for (int b = 0; b < size; b++) {
                write(va + b, 1, value >>> (8 * b));
            }
            return;
        }
        try {
            accessor.physWrite(pa(va, PROT_WRITE), size, value, Pas.NON_SECURE);
        } catch (Cpu.PhysicalAccessException e) {
            throw new UserFault(va, "bus error at " + Long.toHexString(va) + ": " + e.getMessage());
        }
    }

    public long read64(long va) {
        return read(va, 8);
    }

    public void write64(long va, long v) {
        write(va, 8, v);
    }

    public int read32(long va) {
        return (int) read(va, 4);
    }

    public void write32(long va, int v) {
        write(va, 4, v & 0xFFFF_FFFFL);
    }

    public void readBytes(long va, byte[] dst, int off, int len) {
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & (PAGE - 1)));
            try {
                accessor.physReadBytes(pa(va, PROT_READ), dst, off, n, Pas.NON_SECURE);
            } catch (Cpu.PhysicalAccessException e) {
                throw new UserFault(va, "bus error: " + e.getMessage());
            }
            va += n;
            off += n;
            len -= n;
        }
    }

    public void writeBytes(long va, byte[] src, int off, int len) {
        while (len > 0) {
            int n = (int) Math.min(len, PAGE - (va & (PAGE - 1)));
            try {
                accessor.physWriteBytes(pa(va, PROT_WRITE), src, off, n, Pas.NON_SECURE);
            } catch (Cpu.PhysicalAccessException e) {
                throw new UserFault(va, "bus error: " + e.getMessage());
            }
            va += n;
            off += n;
            len -= n;
        }
    }

    /** Fills [va, va+len) with zeros. */
    public void clear(long va, int len) {
        writeBytes(va, new byte[len], 0, len);
    }

    // ---- kernel-side copies ---------------------------------------------------------------------------------

    /** copy_from_user: the bytes, or null if any byte is not readable (the caller returns -EFAULT). */
    public byte[] copyFromUser(long va, int len) {
        try {
            byte[] b = new byte[len];
            readBytes(va, b, 0, len);
            return b;
        } catch (UserFault e) {
            return null;
        }
    }

    /** copy_to_user: false if any byte is not writable (the caller returns -EFAULT). */
    public boolean copyToUser(long va, byte[] data) {
        try {
            writeBytes(va, data, 0, data.length);
            return true;
        } catch (UserFault e) {
            return false;
        }
    }
}
