package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.mem.Pas;
import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;

import static dev.cca.kvm.uapi.KvmUapi.*;

/** A vCPU file descriptor (kvm_vcpu_ioctl, kvm_arch_vcpu_ioctl) and the vCPU's state as KVM keeps it. */
public final class KvmVcpu implements FileObject {
    /** KVM_VCPU_MAX_FEATURES in v12 (patch 45 raised it to 10). */
    static final int MAX_FEATURES = 10;

    final KvmVm vm;
    final int id;
    /** The kvm_run area: kvm_run itself and the coalesced-MMIO ring page. */
    final long[] runPages;
    /** MPIDR_EL1 as KVM's reset_mpidr() computes it from the vCPU id (without the RES1 bit 31). */
    final long mpidr;

    boolean initialized;
    long features;
    final long[] regs = new long[31];
    long sp;
    long pc;
    long pstate = 0x3C5;
    volatile int mpState = KVM_MP_STATE_RUNNABLE;
    boolean hasRun;

    // Realm vCPU state (the REC and its pages).
    long rec = -1;
    long[] aux = new long[0];
    long recRun = -1;
    boolean mmioPending;
    boolean mmioRead;
    int mmioLen;
    boolean injectSea;

    private KvmVcpu(KvmVm vm, int id, long[] runPages) {
        this.vm = vm;
        this.id = id;
        this.runPages = runPages;
        this.mpidr = (id & 0x0F) | (((long) (id >> 4) & 0xFF) << 8) | (((long) (id >> 12) & 0xFF) << 16);
    }

    static KvmVcpu create(KvmVm vm, int id) {
        HostKernel k = vm.dev.kernel;
        long a = k.allocZeroedPage();
        long b = k.allocZeroedPage();
        if (a < 0 || b < 0) {
            return null;
        }
        return new KvmVcpu(vm, id, new long[] {a, b});
    }

    @Override
    public String name() {
        return "anon_inode:kvm-vcpu:" + id;
    }

    @Override
    public long[] mmapPages(long offset, long length) {
        if (offset != 0 || length > runPages.length * 4096L) {
            return null;
        }
        int n = (int) ((length + 4095) / 4096);
        long[] p = new long[n];
        System.arraycopy(runPages, 0, p, 0, n);
        return p;
    }

    // ---- kvm_run accessors (the kernel writes its own page) ---------------------------------------------------

    private Cpu hostCpu() {
        return vm.dev.kernel.platform.machine.cpu(0);
    }

    long runRead(int off, int size) {
        return hostCpu().physRead(runPages[0] + off, size, Pas.NON_SECURE);
    }

    void runWrite(int off, int size, long v) {
        hostCpu().physWrite(runPages[0] + off, size, v, Pas.NON_SECURE);
    }

    /** Sets kvm_run.exit_reason and clears the exit union. */
    void setExit(int reason) {
        for (int off = Structs.RUN_UNION; off < Structs.RUN_UNION + 256; off += 8) {
            runWrite(off, 8, 0);
        }
        runWrite(Structs.RUN_EXIT_REASON, 4, reason);
    }

    @Override
    public long ioctl(Process p, long request, long arg) {
        if (request == KVM_ARM_VCPU_INIT) {
            return vcpuInit(p, arg);
        }
        if (request == KVM_RUN) {
            if (arg != 0) {
                return -Errno.EINVAL;
            }
            return run(p);
        }
        if (request == KVM_GET_ONE_REG || request == KVM_SET_ONE_REG) {
            return oneReg(p, arg, request == KVM_SET_ONE_REG);
        }
        if (request == KVM_GET_MP_STATE) {
            return p.memory().copyToUser(arg, UserStruct.ofSize(4).put32(0, mpState).bytes()) ? 0 : -Errno.EFAULT;
        }
        if (request == KVM_SET_MP_STATE) {
            byte[] raw = p.memory().copyFromUser(arg, 4);
            if (raw == null) {
                return -Errno.EFAULT;
            }
            long s = new UserStruct(raw).u32(0);
            if (s != KVM_MP_STATE_RUNNABLE && s != KVM_MP_STATE_STOPPED) {
                return -Errno.EINVAL;
            }
            if (vm.isRealm() && hasRun) {
                return -Errno.EINVAL; // a REC's runnable state belongs to the RMM once it exists
            }
            mpState = (int) s;
            return 0;
        }
        if (request == KVM_ARM_VCPU_FINALIZE) {
            return -Errno.EINVAL; // nothing to finalize: SVE is not offered
        }
        if (request == KVM_ARM_VCPU_RMI_PSCI_COMPLETE) {
            return vm.isRealm() ? vm.realmHost.psciComplete(p, this, arg) : -Errno.EPERM;
        }
        return -Errno.ENOTTY;
    }

    /** kvm_arch_vcpu_ioctl_vcpu_init / kvm_vcpu_init_check_features. */
    private long vcpuInit(Process p, long arg) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.VCPU_INIT_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        if (s.u32(Structs.VI_TARGET) != KVM_ARM_TARGET_GENERIC_V8) {
            return -Errno.EINVAL;
        }
        long f = s.u32(Structs.VI_FEATURES);
        if (!s.zero(Structs.VI_FEATURES + 4, Structs.VCPU_INIT_SIZE - Structs.VI_FEATURES - 4)
                || (f >>> MAX_FEATURES) != 0) {
            return -Errno.EINVAL;
        }
        // Features this host cannot provide.
        long unsupported = (1L << KVM_ARM_VCPU_EL1_32BIT) | (1L << KVM_ARM_VCPU_PMU_V3) | (1L << KVM_ARM_VCPU_SVE)
                | (1L << KVM_ARM_VCPU_PTRAUTH_ADDRESS) | (1L << KVM_ARM_VCPU_PTRAUTH_GENERIC)
                | (1L << KVM_ARM_VCPU_HAS_EL2) | (1L << 8) | (1L << 9);
        if ((f & unsupported) != 0) {
            return -Errno.EINVAL;
        }
        synchronized (vm) {
            if (initialized && f != features) {
                return -Errno.EINVAL; // features cannot change once set
            }
            if (vm.isRealm() && hasRun) {
                return -Errno.EINVAL; // a REC cannot be reset
            }
            features = f;
            initialized = true;
            java.util.Arrays.fill(regs, 0);
            sp = 0;
            pc = 0;
            pstate = 0x3C5;
            mpState = (f & (1L << KVM_ARM_VCPU_POWER_OFF)) != 0 ? KVM_MP_STATE_STOPPED : KVM_MP_STATE_RUNNABLE;
        }
        return 0;
    }

    /** KVM_GET_ONE_REG / KVM_SET_ONE_REG for the core registers (with the v12 realm restrictions). */
    private long oneReg(Process p, long arg, boolean set) {
        byte[] raw = p.memory().copyFromUser(arg, Structs.ONE_REG_SIZE);
        if (raw == null) {
            return -Errno.EFAULT;
        }
        UserStruct s = new UserStruct(raw);
        long id = s.u64(Structs.OR_ID);
        long addr = s.u64(Structs.OR_ADDR);
        long off = id - REG_X0;
        boolean core = (id & ~0xFFFFL) == (REG_X0 & ~0xFFFFL) && off >= 0 && off <= 66 && (off & 1) == 0;
        if (!core) {
            return -Errno.ENOENT;
        }
        int index = (int) (off / 2); // 0..30 X, 31 SP, 32 PC, 33 PSTATE
        if (!set) {
            long v = index <= 30 ? regs[index] : index == 31 ? sp : index == 32 ? pc : pstate;
            return p.memory().copyToUser(addr, UserStruct.ofSize(8).put64(0, v).bytes()) ? 0 : -Errno.EFAULT;
        }
        byte[] vb = p.memory().copyFromUser(addr, 8);
        if (vb == null) {
            return -Errno.EFAULT;
        }
        long v = new UserStruct(vb).u64(0);
        synchronized (vm) {
            if (vm.isRealm()) {
                // v12: only X0-X30 and PC, and PC only before the realm is activated.
                if (index == 31 || index == 33) {
                    return -Errno.EINVAL;
                }
                if (index == 32 && hasRun) {
                    return -Errno.EINVAL;
                }
            }
            if (index <= 30) {
                regs[index] = v;
            } else if (index == 31) {
                sp = v;
            } else if (index == 32) {
                pc = v;
            } else {
                pstate = v;
            }
        }
        return 0;
    }

    private long run(Process p) {
        if (!initialized) {
            return -Errno.ENOEXEC;
        }
        if (runRead(Structs.RUN_IMMEDIATE_EXIT, 1) != 0 || p.signalPending()) {
            p.consumeSignal();
            setExit(KVM_EXIT_INTR);
            return -Errno.EINTR;
        }
        // A stopped vCPU (KVM_ARM_VCPU_POWER_OFF, PSCI CPU_OFF) sleeps until it is woken or signalled.
        while (mpState == KVM_MP_STATE_STOPPED) {
            if (p.signalPending()) {
                p.consumeSignal();
                setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                setExit(KVM_EXIT_INTR);
                return -Errno.EINTR;
            }
        }
        return vm.isRealm() ? vm.realmHost.run(p, this) : vm.normalHost.run(p, this);
    }
}
