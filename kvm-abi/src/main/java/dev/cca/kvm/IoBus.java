package dev.cca.kvm;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The VM's in-kernel MMIO bus (virt/kvm/kvm_main.c kvm_io_bus): devices KVM emulates itself, such as the vGIC
 * distributor and redistributors. A guest access inside a registered range is handled without an exit to user
 * space; any other MMIO access becomes KVM_EXIT_MMIO.
 */
public final class IoBus {
    /** An in-kernel MMIO device. {@code len} is 1, 2, 4 or 8; values are little-endian, zero-extended. */
    public interface Device {
        long base();

        long size();

        long read(KvmVcpu vcpu, long gpa, int len);

        void write(KvmVcpu vcpu, long gpa, int len, long value);
    }

    private final List<Device> devices = new CopyOnWriteArrayList<>();

    public void register(Device d) {
        devices.add(d);
    }

    public void unregister(Device d) {
        devices.remove(d);
    }

    /** The device whose range contains the whole access [gpa, gpa+len), or null. */
    Device find(long gpa, int len) {
        for (Device d : devices) {
            if (Long.compareUnsigned(gpa - d.base(), d.size()) < 0
                    && Long.compareUnsigned(gpa + len - d.base(), d.size()) <= 0) {
                return d;
            }
        }
        return null;
    }
}
