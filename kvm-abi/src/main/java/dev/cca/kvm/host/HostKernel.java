package dev.cca.kvm.host;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.cpu.Smccc;
import dev.cca.core.platform.HostPlatform;
import dev.cca.kvm.KvmDevice;
import dev.cca.kvm.uapi.AbiProfile;
import dev.cca.rmm.smc.Rmi;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The host kernel at Non-secure EL2: it owns DRAM (page allocator), schedules its threads on PEs, and provides
 * /dev/kvm. It reaches the RMM only by SMC, through the EL3 monitor, like Linux does.
 */
public final class HostKernel {
    /** PE interrupt source used to kick a PE out of a guest (a reschedule IPI). */
    public static final int IRQ_KICK = 2;

    public final HostPlatform platform;
    public final PageAllocator pages;
    public final PeScheduler scheduler;
    /** VMIDs handed to realms (8-bit VMIDs; 0 is the host's). */
    public final java.util.BitSet vmids = new java.util.BitSet();
    private final Map<String, Function<Process, FileObject>> devices = new ConcurrentHashMap<>();
    private final Map<Thread, Cpu> running = new ConcurrentHashMap<>();
    private final boolean rmiAvailable;
    private final long rmiFeatures0;
    private final AbiProfile profile;
    private final RmiTestPort rmiTestPort;

    private HostKernel(HostPlatform platform, AbiProfile profile) {
        this.platform = platform;
        this.profile = profile;
        this.pages = new PageAllocator(HostPlatform.DRAM_BASE, platform.dramSize);
        this.scheduler = new PeScheduler(platform.machine);
        // kvm_init_rmi(): RMI_VERSION(1.0) and RMI_FEATURES(0) must succeed for realms to be available.
        boolean ok;
        long f0 = 0;
        try (PeScheduler.Lease pe = scheduler.lease(0)) {
            long[] v = Smccc.call(pe.cpu, Rmi.VERSION, Rmi.ABI_1_0);
            ok = v[0] == Rmi.SUCCESS;
            if (ok) {
                long[] f = Smccc.call(pe.cpu, Rmi.FEATURES, 0);
                ok = f[0] == Rmi.SUCCESS;
                f0 = f[1];
            }
        }
        rmiAvailable = ok;
        rmiFeatures0 = f0;
        rmiTestPort = new RmiTestPort(this);
        devices.put("/dev/kvm", p -> new KvmDevice(this));
    }

    /** Boots the host kernel with the default ABI profile (v12). */
    public static HostKernel boot(HostPlatform platform) {
        return boot(platform, AbiProfile.V12);
    }

    /** Boots the host kernel on a platform whose firmware left every PE at Non-secure EL2. */
    public static HostKernel boot(HostPlatform platform, AbiProfile profile) {
        for (int i = 0; i < platform.machine.cpuCount(); i++) {
            Cpu c = platform.machine.cpu(i);
            if (c.el != 2 || c.securityState() != dev.cca.core.cpu.SecurityState.NON_SECURE) {
                throw new IllegalStateException("PE " + i + " is not at Non-secure EL2: " + c);
            }
        }
        return new HostKernel(platform, profile);
    }

    /** The variant of the realm user ABI this kernel implements. */
    public AbiProfile profile() {
        return profile;
    }

    /**
     * The raw-RMI test interface (a kernel test module): lets test tools issue RMI SMCs from Non-secure EL2.
     * Not part of the user ABI; VMMs never use it.
     */
    public RmiTestPort rmiTestPort() {
        return rmiTestPort;
    }

    public boolean rmiAvailable() {
        return rmiAvailable;
    }

    /** RmiFeatureRegister0 as read at boot. */
    public long rmiFeatures0() {
        return rmiFeatures0;
    }

    /** Starts a new user process. */
    public Process newProcess() {
        return new Process(this, new UserMemory(pages, platform.machine.cpu(0)));
    }

    Function<Process, FileObject> device(String path) {
        return devices.get(path);
    }

    /** Allocates a zeroed page, or -1. */
    public long allocZeroedPage() {
        long pa = pages.alloc();
        if (pa >= 0) {
            platform.machine.memory.zero(pa, PageAllocator.PAGE);
        }
        return pa;
    }

    // ---- observers (traces, debuggers); empty in normal runs ---------------------------------------------------
    private final java.util.List<KernelObserver> observers = new java.util.concurrent.CopyOnWriteArrayList<>();

    public void addObserver(KernelObserver o) {
        observers.add(o);
    }

    public void removeObserver(KernelObserver o) {
        observers.remove(o);
    }

    boolean observed() {
        return !observers.isEmpty();
    }

    void notifyIoctl(Process p, int fd, FileObject f, long request, long arg, long result, long start) {
        for (KernelObserver o : observers) {
            o.ioctl(p, fd, f, request, arg, result, start);
        }
    }

    /** Records that {@code t} is running a guest on {@code cpu} (so a signal can kick it). */
    public void enterGuest(Thread t, Cpu cpu) {
        running.put(t, cpu);
    }

    public void leaveGuest(Thread t) {
        running.remove(t);
    }

    /** Forces the PE running {@code t}'s guest to exit (an IRQ the guest cannot mask). */
    void kick(Thread t) {
        Cpu c = running.get(t);
        if (c != null) {
            c.setIrqSource(IRQ_KICK, true);
        }
    }
}
