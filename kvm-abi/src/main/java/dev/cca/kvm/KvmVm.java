package dev.cca.kvm;

import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.cca.kvm.uapi.KvmUapi.*;

/** A VM file descriptor (virt/kvm/kvm_main.c kvm_vm_ioctl, arch/arm64/kvm/arm.c kvm_arch_vm_ioctl). */
public final class KvmVm implements FileObject {
    static final int MAX_VCPUS = 512;
    static final int USER_MEM_SLOTS = 512;
    private static final long PAGE = 4096;

    final KvmDevice dev;
    private final boolean realm;
    final int ipaBits;
    private final List<Memslot> slots = new ArrayList<>();
    final RangeSet privateRanges = new RangeSet();
    final Map<Integer, KvmVcpu> vcpus = new TreeMap<>();
    VgicDevice vgic;
    final RealmHost realmHost;
    final NormalVmHost normalHost;

    KvmVm(KvmDevice dev, boolean realm, int ipaBits) {
        this.dev = dev;
        this.realm = realm;
        this.ipaBits = ipaBits;
        this.realmHost = realm ? new RealmHost(this) : null;
        this.normalHost = realm ? null : new NormalVmHost(this);
    }

    public boolean isRealm() {
        return realm;
    }

    @Override
    public String name() {
        return "anon_inode:kvm-vm";
    }

    /** The IPA bit that selects the unprotected (shared) alias of a realm's address space. */
    long sharedBit() {
        return 1L << (ipaBits - 1);
    }

    @Override
    public long ioctl(Process p, long request, long arg) {
        if (request == KVM_CHECK_EXTENSION) {
            return dev.checkExtension(this, arg);
        }
        if (request == KVM_CREATE_VCPU) {
            return createVcpu(p, arg);
        }
        if (request == KVM_SET_USER_MEMORY_REGION2) {
            return setMemoryRegion(p, arg);
        }
        if (request == KVM_CREATE_GUEST_MEMFD) {
            return createGuestMemfd(p, arg);
        }
        if (request == KVM_SET_MEMORY_ATTRIBUTES) {
            return setMemoryAttributes(p, arg);
        }
        if (request == KVM_ARM_PREFERRED_TARGET) {
            UserStruct s = UserStruct.ofSize(Structs.VCPU_INIT_SIZE).put32(Structs.VI_TARGET, KVM_ARM_TARGET_GENERIC_V8);
            return p.memory().copyToUser(arg, s.bytes()) ? 0 : -Errno.EFAULT;
        }
        if (request == KVM_CREATE_DEVICE) {
            return createDevice(p, arg);
        }
        if (request == KVM_IRQ_LINE) {
            byte[] raw = p.memory().copyFromUser(arg, 8);
            if (raw == null) {
                return -Errno.EFAULT;
            }
            return realm ? -Errno.ENXIO : normalHost.irqLine(new UserStruct(raw).u32(0), new UserStruct(raw).u32(4));
        }
        if (request == KVM_ARM_RMI_POPULATE) {
            if (!realm) {
                return -Errno.EPERM;
            }
            byte[] raw = p.memory().copyFromUser(arg, Structs.RMI_POPULATE_SIZE);
            if (raw == null) {
                return -Errno.EFAULT;
            }
            return realmHost.populate(p, new UserStruct(raw));
        }
        if (request == KVM_ENABLE_CAP) {
            byte[] raw = p.memory().copyFromUser(arg, Structs.ENABLE_CAP_SIZE);
            if (raw == null) {
                return -Errno.EFAULT;
            }
            return -Errno.EINVAL; // no VM capability can be enabled on this host yet
        }
        return -Errno.ENOTTY;
    }

    private long createVcpu(Process p, long id) {
        synchronized (this) {
            if (id < 0 || id >= MAX_VCPUS) {
                return -Errno.EINVAL;
            }
            if (vcpus.size() >= MAX_VCPUS) {
                return -Errno.EINVAL;
            }
            if (vcpus.containsKey((int) id)) {
                return -Errno.EEXIST;
            }
            if (realm && !realmHost.vcpusMayBeAdded()) {
                return -Errno.EBUSY;
            }
            KvmVcpu v = KvmVcpu.create(this, (int) id);
            if (v == null) {
                return -Errno.ENOMEM;
            }
            vcpus.put((int) id, v);
            return p.installFd(v);
        }
    }

    /** kvm_set_memory_region (generic) with the arm64 and guest_memfd checks. */
    private long setMemoryRegion(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.MEMORY_REGION2_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct m = new UserStruct(raw);
        long slotArg = m.u32(Structs.MR2_SLOT);
        int flags = (int) m.u32(Structs.MR2_FLAGS);
        long gpa = m.u64(Structs.MR2_GUEST_PHYS_ADDR);
        long size = m.u64(Structs.MR2_MEMORY_SIZE);
        long uaddr = m.u64(Structs.MR2_USERSPACE_ADDR);
        long gmemOffset = m.u64(Structs.MR2_GUEST_MEMFD_OFFSET);
        long gmemFd = m.u32(Structs.MR2_GUEST_MEMFD);
        int valid = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY | (realm ? KVM_MEM_GUEST_MEMFD : 0);
        if ((flags & KVM_MEM_GUEST_MEMFD) != 0) {
            valid = KVM_MEM_GUEST_MEMFD;
        }
        if ((flags & ~valid) != 0) {
            return -Errno.EINVAL;
        }
        int asId = (int) (slotArg >>> 16);
        int id = (int) (slotArg & 0xFFFF);
        if (asId != 0 || id >= USER_MEM_SLOTS) {
            return -Errno.EINVAL;
        }
        if ((size & (PAGE - 1)) != 0 || (gpa & (PAGE - 1)) != 0 || (uaddr & (PAGE - 1)) != 0
                || ((flags & KVM_MEM_GUEST_MEMFD) != 0 && (gmemOffset & (PAGE - 1)) != 0)) {
            return -Errno.EINVAL;
        }
        if (Long.compareUnsigned(gpa + size, gpa) < 0) {
            return -Errno.EINVAL;
        }
        synchronized (this) {
            Memslot old = slot(id);
            if (size == 0) {
                if (old == null) {
                    return -Errno.EINVAL;
                }
                slots.remove(old);
                if (normalHost != null) {
                    normalHost.unmapRange(old.gpa, old.size);
                }
                if (old.gmem != null) {
                    old.gmem.unbind(old.gmemOffset, old.size);
                }
                return 0;
            }
            if (old != null) {
                // Only the flags of an existing slot may change, and never to or from guest_memfd.
                if (old.gpa != gpa || old.size != size || old.userspaceAddr != uaddr
                        || ((old.flags ^ flags) & KVM_MEM_GUEST_MEMFD) != 0) {
                    return -Errno.EINVAL;
                }
                old.flags = flags;
                if (normalHost != null) {
                    normalHost.unmapRange(old.gpa, old.size); // remapped with the new permissions on demand
                }
                return 0;
            }
            for (Memslot s : slots) {
                if (gpa < s.end() && s.gpa < gpa + size) {
                    return -Errno.EEXIST;
                }
            }
            if (Long.compareUnsigned(gpa + size, 1L << ipaBits) > 0) {
                return -Errno.EFAULT; // kvm_arch_prepare_memory_region: beyond the IPA space
            }
            GuestMemfd gmem = null;
            if ((flags & KVM_MEM_GUEST_MEMFD) != 0) {
                FileObject f = p.file((int) gmemFd);
                if (!(f instanceof GuestMemfd) || ((GuestMemfd) f).vm != this) {
                    return -Errno.EINVAL;
                }
                gmem = (GuestMemfd) f;
                if (Long.compareUnsigned(gmemOffset + size, gmem.size) > 0 || gmemOffset + size < gmemOffset) {
                    return -Errno.EINVAL;
                }
                if (!gmem.bind(gmemOffset, size)) {
                    return -Errno.EEXIST;
                }
            }
            slots.add(new Memslot(id, flags, gpa, size, uaddr, gmem, gmemOffset));
            return 0;
        }
    }

    private Memslot slot(int id) {
        for (Memslot s : slots) {
            if (s.id == id) {
                return s;
            }
        }
        return null;
    }

    /** The memslot containing guest physical address {@code gpa}, or null. */
    synchronized Memslot findSlot(long gpa) {
        for (Memslot s : slots) {
            if (s.contains(gpa)) {
                return s;
            }
        }
        return null;
    }

    synchronized List<Memslot> slots() {
        return new ArrayList<>(slots);
    }

    private long createGuestMemfd(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.CREATE_GUEST_MEMFD_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        long size = s.u64(Structs.CGM_SIZE);
        long flags = s.u64(Structs.CGM_FLAGS);
        if (flags != 0 || !s.zero(Structs.CGM_RESERVED, Structs.CREATE_GUEST_MEMFD_SIZE - Structs.CGM_RESERVED)) {
            return -Errno.EINVAL;
        }
        if (size <= 0 || (size & (PAGE - 1)) != 0 || size / PAGE > Integer.MAX_VALUE) {
            return -Errno.EINVAL;
        }
        return p.installFd(new GuestMemfd(this, size));
    }

    /** kvm_vm_ioctl_set_mem_attributes. */
    private long setMemoryAttributes(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.MEMORY_ATTRIBUTES_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        long address = s.u64(Structs.MA_ADDRESS);
        long size = s.u64(Structs.MA_SIZE);
        long attrs = s.u64(Structs.MA_ATTRIBUTES);
        long flags = s.u64(Structs.MA_FLAGS);
        long supported = realm ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
        if (flags != 0 || (attrs & ~supported) != 0) {
            return -Errno.EINVAL;
        }
        if (size == 0 || Long.compareUnsigned(address + size, address) <= 0) {
            return -Errno.EINVAL;
        }
        if ((address & (PAGE - 1)) != 0 || (size & (PAGE - 1)) != 0) {
            return -Errno.EINVAL;
        }
        if ((attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE) != 0) {
            privateRanges.add(address, address + size);
        } else {
            privateRanges.remove(address, address + size);
        }
        return 0;
    }

    private long createDevice(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.CREATE_DEVICE_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        long type = s.u32(Structs.CD_TYPE);
        long flags = s.u32(Structs.CD_FLAGS);
        boolean test = (flags & 1) != 0; // KVM_CREATE_DEVICE_TEST
        if (type == KVM_DEV_TYPE_ARM_VGIC_V2 && realm) {
            return -Errno.ENODEV; // GICv2 cannot be used by a realm (v12 patch 14)
        }
        if (type != KVM_DEV_TYPE_ARM_VGIC_V3) {
            return -Errno.ENODEV;
        }
        if (test) {
            return 0;
        }
        synchronized (this) {
            if (vgic != null) {
                return -Errno.EEXIST;
            }
            vgic = new VgicDevice(this);
        }
        int fd = p.installFd(vgic);
        s.put32(Structs.CD_FD, fd);
        if (!p.memory().copyToUser(arg, s.bytes())) {
            return -Errno.EFAULT;
        }
        return 0;
    }

    @Override
    public void release() {
        if (realmHost != null) {
            realmHost.destroy();
        }
        if (normalHost != null) {
            normalHost.destroy();
        }
    }
}
