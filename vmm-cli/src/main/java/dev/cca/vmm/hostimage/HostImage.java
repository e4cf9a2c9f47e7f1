package dev.cca.vmm.hostimage;

import dev.cca.core.Machine;
import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.SecurityState;
import dev.cca.core.cpu.StopReport;
import dev.cca.core.platform.FvpDevices;
import dev.cca.core.platform.HostPlatform;
import dev.cca.rmm.CcaFirmware;
import dev.cca.rmm.el3.PlatformAttestation;
import dev.cca.rmm.el3.PowerControl;
import dev.cca.vmm.image.LoadedImage;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * Runs a bare-metal image of the user's own at Non-secure EL2 in place of the Java KVM host (cca run --host-image):
 * the FVP-shaped platform ({@link FvpDevices}), the Java EL3 monitor and RMM as in every run, PE 0 entering the
 * image at EL2h with interrupts masked and the MMU off, the other PEs off until PSCI CPU_ON. Each PE runs on its own
 * thread. A system reset (PSCI SYSTEM_RESET or a watchdog) stops every PE, resets the PEs and the GIC, installs the
 * firmware again (a new GPT: every granule Non-secure), reloads the image and starts PE 0 at its entry again; the
 * rest of DRAM keeps its contents.
 */
public final class HostImage implements PowerControl {
    /** Why a run ended. */
    public enum Outcome {
        POWER_OFF("the image powered the system off (PSCI SYSTEM_OFF)"),
        STOPPED("stopped by the user"),
        PE_FAILED("a PE cannot continue (see its stop report)"),
        ALL_IDLE("every PE is waiting for an interrupt that nothing will raise"),
        INSTRUCTION_LIMIT("instruction limit reached"),
        TIMEOUT("timeout"),
        RESET_LIMIT("too many system resets");

        public final String description;

        Outcome(String d) {
            description = d;
        }
    }

    /** The PEs' instruction budget between two looks at devices, limits and power requests. */
    private static final long CHUNK = 200_000;
    /** A run ends after this many system resets (a reset loop). */
    public static final int MAX_RESETS = 100;

    public final HostPlatform platform;
    public final FvpDevices devices;
    private final LoadedImage image;
    private final PlatformAttestation keys;
    private final BiConsumer<HostPlatform, CcaFirmware> firmwareInstalled;
    private volatile CcaFirmware firmware;

    private final Object lock = new Object();
    private final boolean[] on;
    /** Set by CPU_ON, consumed by the PE's thread: it warm-boots before running again (even if it never saw off). */
    private final boolean[] bootPending;
    private final boolean[] idle;
    private final Thread[] threads;
    private volatile boolean resetRequested;
    private volatile Outcome outcome;
    private int resets;

    /**
     * @param firmwareInstalled called after each firmware installation (the first and after every reset), before
     *                          the image runs: debuggers and traces attach there
     */
    public HostImage(int cpus, long dramBytes, LoadedImage image, OutputStream console, PlatformAttestation keys,
                     BiConsumer<HostPlatform, CcaFirmware> firmwareInstalled) {
        this.platform = new HostPlatform(cpus, dramBytes, Machine.Topology.FVP);
        this.devices = new FvpDevices(platform.machine, console, this::requestReset);
        this.image = image;
        this.keys = keys;
        this.firmwareInstalled = firmwareInstalled;
        on = new boolean[cpus];
        bootPending = new boolean[cpus];
        idle = new boolean[cpus];
        devices.setRunning(this::isOn);
        threads = new Thread[cpus];
    }

    public CcaFirmware firmware() {
        return firmware;
    }

    public int resets() {
        return resets;
    }

    /** Loads the image into DRAM and boots the firmware; PE 0 is then at the image's entry point. */
    private void boot() {
        for (LoadedImage.Segment s : image.segments()) {
            platform.machine.memory.writeBytes(s.gpa(), s.bytes(), 0, s.bytes().length);
            if (s.memSize() > s.bytes().length) {
                platform.machine.memory.zero(s.gpa() + s.bytes().length, s.memSize() - s.bytes().length);
            }
        }
        CcaFirmware fw = CcaFirmware.install(platform, keys);
        firmware = fw;
        fw.monitor.enablePsci(this, 0);
        synchronized (lock) {
            java.util.Arrays.fill(on, false);
            java.util.Arrays.fill(bootPending, false);
            on[0] = true;
            quietRounds = 0;
        }
        fw.monitor.startNonSecure(platform.machine.cpu(0), image.entry(), 0);
        firmwareInstalled.accept(platform, fw);
    }

    /** Runs until the image powers off or the run is stopped; returns why it ended. */
    public Outcome run() throws InterruptedException {
        boot();
        while (true) {
            startThreads();
            for (Thread t : threads) {
                t.join();
            }
            devices.flush();
            if (outcome != null) {
                return outcome;
            }
            // Every PE thread stopped for a system reset.
            resetRequested = false;
            if (++resets > MAX_RESETS) {
                return Outcome.RESET_LIMIT;
            }
            platform.machine.reset();
            boot();
        }
    }

    private void startThreads() {
        for (int i = 0; i < threads.length; i++) {
            Cpu cpu = platform.machine.cpu(i);
            threads[i] = new Thread(() -> peLoop(cpu), "PE" + i);
            threads[i].setDaemon(true);
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    private boolean running() {
        return outcome == null && !resetRequested;
    }

    private void peLoop(Cpu cpu) {
        int pe = cpu.index;
        while (running()) {
            boolean isOn;
            boolean boot;
            synchronized (lock) {
                isOn = on[pe];
                boot = bootPending[pe];
                bootPending[pe] = false;
            }
            if (boot) {
                firmware.monitor.warmBoot(cpu);
            } else if (!isOn) {
                LockSupport.parkNanos(this, 1_000_000);
                continue;
            }
            // End the chunk at the next device deadline, so that a watchdog fires at its count and not later.
            long toDeadline = devices.nextDeadline() - cpu.timer.localCount();
            cpu.setBudget(Math.max(1, Math.min(CHUNK, toDeadline)));
            Cpu.StopReason r = cpu.runUntil(2, SecurityState.NON_SECURE);
            devices.advance();
            switch (r) {
                case WAITING_FOR_INTERRUPT:
                    idleWait(cpu);
                    break;
                case EXCEPTION_LOOP:
                case INTERNAL_ERROR:
                    stop(Outcome.PE_FAILED);
                    break;
                default:
                    // ARRIVED (back at NS-EL2 after an exception), BUDGET, STOP_REQUESTED: the PE made progress
                    synchronized (lock) {
                        quietRounds = 0;
                    }
                    break;
            }
        }
    }

    private boolean isOn(int pe) {
        synchronized (lock) {
            return on[pe];
        }
    }

    /**
     * The PE waits for an interrupt with no timer to wake it. If every powered PE waits so, time skips to the next
     * device deadline (a watchdog); if there is none, nothing can ever wake the system and the run ends.
     */
    private void idleWait(Cpu cpu) {
        boolean allIdle;
        synchronized (lock) {
            idle[cpu.index] = true;
            allIdle = true;
            for (int i = 0; i < on.length; i++) {
                allIdle &= !on[i] || idle[i];
            }
        }
        try {
            if (allIdle) {
                long deadline = devices.nextDeadline();
                if (deadline != Long.MAX_VALUE) {
                    cpu.timer.advanceTo(deadline);
                    devices.advance();
                    return;
                }
                // Another thread may be about to raise an interrupt (a device write in flight): look again later.
                LockSupport.parkNanos(this, 2_000_000);
                synchronized (lock) {
                    boolean still = true;
                    for (int i = 0; i < on.length; i++) {
                        still &= !on[i] || idle[i];
                    }
                    if (still && devices.nextDeadline() == Long.MAX_VALUE && !cpu.irqPending()) {
                        if (++quietRounds > QUIET_ROUNDS) {
                            stop(Outcome.ALL_IDLE);
                        }
                    } else {
                        quietRounds = 0;
                    }
                }
                return;
            }
            LockSupport.parkNanos(this, 100_000);
        } finally {
            synchronized (lock) {
                idle[cpu.index] = false;
            }
        }
    }

    /** Looks at a system with every PE idle and nothing pending, in a row, before calling it halted (~20 ms). */
    private static final int QUIET_ROUNDS = 10;
    /** Guarded by {@link #lock}: consecutive looks at an all-idle system; any progress resets it. */
    private int quietRounds;

    /** Ends the run after exactly {@code n} instructions of all PEs together. Call before {@link #run}. */
    public void limitInstructions(long n) {
        platform.machine.limitInstructions(new dev.cca.core.cpu.InstructionLimit(n,
                () -> stop(Outcome.INSTRUCTION_LIMIT)));
    }

    /** Ends the run (from any thread). */
    public void stop(Outcome o) {
        synchronized (lock) {
            if (outcome == null) {
                outcome = o;
            }
        }
        for (int i = 0; i < threads.length; i++) {
            platform.machine.cpu(i).requestStop();
        }
    }

    private void requestReset() {
        resetRequested = true;
        for (int i = 0; i < threads.length; i++) {
            platform.machine.cpu(i).requestStop();
        }
    }

    @Override
    public void powerOn(int pe) {
        synchronized (lock) {
            on[pe] = true;
            bootPending[pe] = true;
        }
        Thread t = threads[pe];
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public void powerOff(int pe) {
        synchronized (lock) {
            on[pe] = false;
        }
        platform.machine.cpu(pe).requestStop();
    }

    @Override
    public void systemOff() {
        stop(Outcome.POWER_OFF);
    }

    @Override
    public void systemReset() {
        requestReset();
    }

    /** Instructions executed by all PEs. */
    public long instructions() {
        long n = 0;
        for (int i = 0; i < platform.machine.cpuCount(); i++) {
            n += platform.machine.cpu(i).instructions;
        }
        return n;
    }

    /** The stop reports of PEs that could not continue. */
    public List<String> stopReports() {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < platform.machine.cpuCount(); i++) {
            StopReport r = platform.machine.cpu(i).stopReport();
            if (r != null) {
                l.add("PE" + i + ": " + r);
            }
        }
        return l;
    }
}
