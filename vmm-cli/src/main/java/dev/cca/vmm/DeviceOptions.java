package dev.cca.vmm;

import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The VMM's devices beyond the PL011, named as kvmtool's lkvm run names them. Any of them puts a PCIe host
 * bridge in the guest's device tree (which changes a realm's RIM, so run, debug and measure share these).
 */
public final class DeviceOptions {
    @Option(names = {"-d", "--disk"}, paramLabel = "FILE[,ro]",
            description = "A virtio-blk disk on the raw image FILE (',ro': read-only). Repeat for more disks.")
    List<String> disks = new ArrayList<>();

    @Option(names = "--rng", description = "A virtio-rng entropy device (/dev/hwrng in Linux).")
    boolean rng;

    @Option(names = "--console", paramLabel = "serial|virtio",
            description = "The guest's console: the PL011 UART (serial, default) or a virtio-console "
                + "(virtio: Linux's hvc0; console=hvc0 is put before the kernel command line).")
    String console;

    @Option(names = "--9p", paramLabel = "DIR,TAG",
            description = "Share the host directory DIR as a virtio-9p device with mount tag TAG (in the guest: "
                + "mount -t 9p -o trans=virtio,version=9p2000.L TAG /mnt). Confined to DIR. Repeatable.")
    List<String> shares = new ArrayList<>();

    @Option(names = "--irqchip", paramLabel = "gicv3|gicv3-its",
            description = "The interrupt controller: gicv3-its (default: a GICv3 with an ITS, the best kvmtool's auto "
                + "choice finds; virtio-pci devices use MSI-X) or gicv3 (no ITS; PCI devices use INTx).")
    String irqchip;

    @Option(names = "--pci-testdev",
            description = "QEMU's pci-testdev (1b36:0005), the device kvm-unit-tests' pci test checks.")
    boolean pciTestdev;

    /** One --disk: the image and whether the guest may write it. */
    public record Disk(Path path, boolean readOnly) {
    }

    /** One --9p: the host directory and the mount tag. */
    public record Share(Path dir, String tag) {
    }

    /** What the options ask for, checked: the disks exist and are regular files, the console is known. */
    public record Devices(List<Disk> disks, boolean rng, boolean virtioConsole, boolean pciTestdev,
                          List<Share> shares, boolean its) {
        public static final Devices NONE = new Devices(List.of(), false, false, false, List.of(), false);

        public Devices(List<Disk> disks, boolean rng, boolean virtioConsole, boolean pciTestdev, List<Share> shares) {
            this(disks, rng, virtioConsole, pciTestdev, shares, false);
        }

        /** Whether the guest has a PCI bus (and the device tree a host bridge). */
        public boolean pci() {
            return !disks.isEmpty() || rng || virtioConsole || pciTestdev || !shares.isEmpty();
        }
    }

    Devices devices() throws RunCommand.UsageError {
        List<Disk> ds = new ArrayList<>();
        for (String d : disks) {
            String file = d;
            boolean ro = false;
            int comma = d.lastIndexOf(',');
            if (comma >= 0) {
                String flag = d.substring(comma + 1);
                if (!flag.equals("ro") && !flag.equals("rw")) {
                    throw new RunCommand.UsageError("--disk " + d + ": unknown flag '" + flag + "' (FILE or FILE,ro)");
                }
                ro = flag.equals("ro");
                file = d.substring(0, comma);
            }
            Path p = Path.of(file);
            if (!Files.isRegularFile(p)) {
                throw new RunCommand.UsageError("--disk " + file + ": no such file (a raw disk image is needed)");
            }
            if (!ro && !Files.isWritable(p)) {
                throw new RunCommand.UsageError("--disk " + file + ": not writable (add ,ro for a read-only disk)");
            }
            ds.add(new Disk(p, ro));
        }
        boolean virtio = false;
        if (console != null) {
            switch (console.toLowerCase(Locale.ROOT)) {
                case "serial": break;
                case "virtio": virtio = true; break;
                default: throw new RunCommand.UsageError("--console must be serial or virtio, was '" + console + "'");
            }
        }
        List<Share> ss = new ArrayList<>();
        for (String sh : shares) {
            int comma = sh.lastIndexOf(',');
            if (comma <= 0 || comma == sh.length() - 1) {
                throw new RunCommand.UsageError("--9p " + sh + ": expected DIR,TAG");
            }
            Path dir = Path.of(sh.substring(0, comma));
            String tag = sh.substring(comma + 1);
            if (!Files.isDirectory(dir)) {
                throw new RunCommand.UsageError("--9p " + sh + ": " + dir + " is not a directory");
            }
            if (tag.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
                throw new RunCommand.UsageError("--9p " + sh + ": the tag is longer than 255 bytes");
            }
            ss.add(new Share(dir, tag));
        }
        return new Devices(List.copyOf(ds), rng, virtio, pciTestdev, List.copyOf(ss), its());
    }

    /**
     * --irqchip: whether the guest has an ITS (kvmtool's names; GICv2 is not emulated here). Without the option,
     * as kvmtool's IRQCHIP_AUTO, which tries gicv3-its first and keeps the first the host can create: this host
     * always has the ITS.
     */
    private boolean its() throws RunCommand.UsageError {
        if (irqchip == null) {
            return true;
        }
        switch (irqchip.toLowerCase(Locale.ROOT)) {
            case "gicv3": return false;
            case "gicv3-its": return true;
            case "gicv2":
            case "gicv2m":
                throw new RunCommand.UsageError("--irqchip " + irqchip + ": this host emulates a GICv3 only "
                        + "(gicv3 or gicv3-its)");
            default:
                throw new RunCommand.UsageError("--irqchip must be gicv3 or gicv3-its, was '" + irqchip + "'");
        }
    }
}
