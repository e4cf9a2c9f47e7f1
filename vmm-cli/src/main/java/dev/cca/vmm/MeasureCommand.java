package dev.cca.vmm;

import dev.cca.core.Machine;
import dev.cca.core.cpu.SysRegs;
import dev.cca.vmm.image.ImageFormatException;
import dev.cca.vmm.image.LoadedImage;
import dev.cca.vmm.measure.RimPredictor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code cca measure}: the RIM a realm will have, predicted offline from the same options as run. */
@Command(name = "measure",
        description = "Predict, without running it, the initial measurement (RIM) that cca run will give a realm "
            + "with the same image and options: the RMM's measurement of the realm parameters, of every populated "
            + "page, of the boot vCPU and of the RIPAS of guest RAM, in the order KVM (realm ABI v12) issues "
            + "them.%n",
        footer = {"%nExamples:",
            "  cca measure",
            "  cca measure --kernel guest.elf --mem 256 --steps",
            "  cca measure -k Image -i initrd.cpio --append console=ttyAMA0 --cpus 2",
            "  cca measure --measurement-algo sha512"},
        mixinStandardHelpOptions = true)
final class MeasureCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Mixin
    GuestOptions guest;

    @Mixin
    DeviceOptions devices = new DeviceOptions();

    @Mixin
    RealmOptions realmOptions = new RealmOptions();

    @Option(names = "--steps", description = "Also print every measured step with the RIM after it.")
    boolean steps;

    @Override
    public Integer call() throws IOException {
        PrintStream out = parent != null ? parent.out : System.out;
        PrintStream err = parent != null ? parent.err : System.err;
        long mem = guest.memBytes();
        int cpus = guest.cpuCount();
        RunCommand.Boot boot;
        try {
            // The limits cca run checks, and exactly the boot files it would load: kernel, initrd and the
            // generated device tree.
            GuestLimits.check(mem, cpus);
            RunCommand run = new RunCommand();
            run.guest = guest;
            run.devices = devices;
            boot = run.prepareBoot(mem, cpus, true);
            GuestLimits.hostDram(mem, cpus, boot.image());
            realmOptions.rpv(); // not measured, but checked as cca run checks it
        } catch (ImageFormatException e) {
            err.println("cca: " + e.userMessage(guest.roleOf(e.file)));
            return RunCommand.EXIT_ERROR;
        } catch (RunCommand.UsageError e) {
            err.println("cca: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        RealmOptions.Algo algo = realmOptions.algo();
        RimPredictor p = new RimPredictor(setup(boot.image(), mem, boot.layout().dtbAddress, algo.rmi));
        p.predict();
        if (steps) {
            for (RimPredictor.Step s : p.steps()) {
                out.println(s.rim() + "  " + s.what());
            }
        }
        out.println("RIM (" + algo.label + "): " + p.hex());
        return RunCommand.EXIT_OK;
    }

    /** What the VMM and KVM will do for this image and memory size (see Vmm.load and RealmHost). */
    static RimPredictor.RealmSetup setup(LoadedImage image, long mem, long x0, int hashAlgo) {
        // Vmm.load: the image's pages merged into contiguous page ranges, each populated (measured) in order.
        List<long[]> ranges = new ArrayList<>();
        for (LoadedImage.Segment s : image.segments()) {
            long start = s.gpa() & ~0xFFFL;
            long end = (s.end() + 0xFFF) & ~0xFFFL;
            if (!ranges.isEmpty() && start <= ranges.get(ranges.size() - 1)[1]) {
                long[] last = ranges.get(ranges.size() - 1);
                last[1] = Math.max(last[1], end);
            } else {
                ranges.add(new long[] {start, end});
            }
        }
        List<RimPredictor.Range> populated = new ArrayList<>();
        for (long[] r : ranges) {
            byte[] content = new byte[Math.toIntExact(r[1] - r[0])];
            for (LoadedImage.Segment s : image.segments()) {
                if (s.gpa() >= r[0] && s.gpa() < r[1]) {
                    System.arraycopy(s.bytes(), 0, content, (int) (s.gpa() - r[0]), s.bytes().length);
                }
            }
            populated.add(new RimPredictor.Range(r[0], content));
        }
        // RealmHost.ensureCreated: num_bps and num_wps are ID_AA64DFR0_EL1.BRPs and WRPs of the host's PEs.
        long dfr0 = new Machine(1).cpu(0).sr[SysRegs.ID_AA64DFR0_EL1];
        int bps = (int) (dfr0 >>> 12) & 0xF;
        int wps = (int) (dfr0 >>> 20) & 0xF;
        // With a PMU (ID_AA64DFR0_EL1.PMUVer), the VMM gives every vCPU one: the PMU flag, pmu_num_ctrs = N.
        long pmuVer = (dfr0 >>> 8) & 0xF;
        int pmuCtrs = pmuVer != 0 && pmuVer != 0xF ? dev.cca.core.cpu.Pmu.COUNTERS : 0;
        // Vmm.load sets vCPU 0's PC to the entry point and X0 to the device tree's address.
        long[] gprs = new long[8];
        gprs[0] = x0;
        return new RimPredictor.RealmSetup(MemoryMap.ipaBits(mem, true), bps, wps, pmuCtrs, hashAlgo, populated,
                image.entry(),
                gprs, MemoryMap.RAM, mem);
    }
}
