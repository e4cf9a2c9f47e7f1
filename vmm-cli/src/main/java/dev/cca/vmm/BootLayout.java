package dev.cca.vmm;

import dev.cca.vmm.image.ImageFormatException;
import dev.cca.vmm.image.LoadedImage;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the boot files go in guest RAM (as kvmtool lays them out, arm/fdt.c and arm/kvm.c): the kernel where its
 * format says (an arm64 Image at RAM + text_offset, 2 MiB aligned), the device tree in the last 2 MiB of RAM,
 * the initrd right below the device tree, page aligned. The boot vCPU starts at the kernel's entry with
 * X0 = the device tree's address (Documentation/arch/arm64/booting.rst), at EL1h with the MMU off.
 */
public final class BootLayout {
    private static final long SMALL_DTB_AREA = 64 << 10;

    public final LoadedImage image;
    public final long dtbAddress;
    public final long initrdStart;
    public final long initrdEnd;

    private BootLayout(LoadedImage image, long dtb, long initrdStart, long initrdEnd) {
        this.image = image;
        this.dtbAddress = dtb;
        this.initrdStart = initrdStart;
        this.initrdEnd = initrdEnd;
    }

    /** The device tree's address for a RAM of {@code mem} bytes. */
    public static long dtbAddress(long mem) {
        long end = MemoryMap.RAM + mem;
        if (mem >= 2 * MemoryMap.DTB_MAX_SIZE) {
            return (end - MemoryMap.DTB_MAX_SIZE) & ~(MemoryMap.DTB_MAX_SIZE - 1);
        }
        return (end - SMALL_DTB_AREA) & ~7L;
    }

    /** The space the device tree may use at {@link #dtbAddress}. */
    public static long dtbArea(long mem) {
        return MemoryMap.RAM + mem - dtbAddress(mem);
    }

    /**
     * Places the initrd (may be null) below the device tree area. Throws if the kernel and the initrd do not fit
     * in RAM below the device tree.
     */
    public static BootLayout place(LoadedImage kernel, String kernelName, byte[] initrd, String initrdName, long mem)
            throws ImageFormatException {
        long dtb = dtbAddress(mem);
        if (kernel.highest() > dtb) {
            throw new ImageFormatException(kernelName, String.format(
                    "does not fit in guest memory: it needs %#x..%#x but the device tree is at %#x; use --mem to "
                            + "give the guest more", kernel.lowest(), kernel.highest(), dtb));
        }
        long start = 0;
        long end = 0;
        if (initrd != null) {
            start = (dtb - initrd.length) & ~0xFFFL;
            end = start + initrd.length;
            if (start < kernel.highest() || start < MemoryMap.RAM) {
                throw new ImageFormatException(initrdName, String.format(
                        "does not fit in guest memory: %d bytes between the kernel (ending at %#x) and the device "
                                + "tree (at %#x); use --mem to give the guest more", initrd.length, kernel.highest(), dtb));
            }
        }
        return new BootLayout(kernel, dtb, start, end);
    }

    /** The image to copy into guest memory: the kernel's segments, the initrd and the device tree. */
    public LoadedImage withBootFiles(byte[] initrd, byte[] dtb) {
        List<LoadedImage.Segment> segs = new ArrayList<>(image.segments());
        if (initrd != null) {
            segs.add(new LoadedImage.Segment(initrdStart, initrd, initrd.length));
        }
        segs.add(new LoadedImage.Segment(dtbAddress, dtb, dtb.length));
        segs.sort((a, b) -> Long.compare(a.gpa(), b.gpa()));
        return new LoadedImage(image.format(), segs, image.entry());
    }
}
