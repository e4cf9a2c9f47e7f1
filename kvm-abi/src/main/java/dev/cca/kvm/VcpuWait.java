package dev.cca.kvm;

import dev.cca.core.cpu.Cpu;
import dev.cca.kvm.host.HostKernel;
import dev.cca.kvm.host.Process;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import static dev.cca.kvm.uapi.KvmUapi.KVM_MP_STATE_STOPPED;

/**
 * Blocking a vCPU thread in KVM (kvm_vcpu_block / kvm_vcpu_halt) for a trapped WFI or a PSCI CPU_SUSPEND, the same
 * for normal VMs and realms: the thread sleeps until the vCPU has an interrupt to take, its timer deadline passes,
 * or a signal arrives. Time follows the vCPUs that still run; when every vCPU of the VM is idle or powered off,
 * time jumps to the earliest deadline among them (docs/time.md), so an idle guest costs nothing.
 */
final class VcpuWait {
    /** One vCPU's view for the others: where it runs, and whether and until when it is idle. */
    static final class Slot {
        volatile Cpu loadedOn;
        volatile Thread thread;
        boolean idle;
        long deadline = Long.MAX_VALUE;
    }

    private final KvmVm vm;
    private final HostKernel kernel;
    private final Object lock = new Object();
    private final Map<Integer, Slot> slots = new ConcurrentHashMap<>();

    VcpuWait(KvmVm vm) {
        this.vm = vm;
        this.kernel = vm.dev.kernel;
    }

    Slot slot(int vcpuId) {
        return slots.computeIfAbsent(vcpuId, k -> new Slot());
    }

    /** Wakes every waiting vCPU thread so that it re-checks its condition (kvm_vcpu_wake_up). */
    void wakeAll() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    /**
     * Blocks the calling vCPU thread, which holds {@code pe}, until {@code wake} holds or the physical count
     * reaches {@code deadline} (then the PE's counter has been moved there). Returns false if a signal or an
     * interrupt of the thread ended the wait.
     */
    boolean block(Process p, Cpu pe, int vcpuId, long deadline, BooleanSupplier wake) {
        Slot s = slot(vcpuId);
        synchronized (lock) {
            s.idle = true;
            s.deadline = deadline;
            lock.notifyAll();
        }
        try {
            while (true) {
                if (wake.getAsBoolean() || poweredOff(vcpuId)) {
                    return true; // kvm_vcpu_check_block(): a request (KVM_REQ_SLEEP) ends the wait too
                }
                if (p.signalPending() || Thread.currentThread().isInterrupted()) {
                    return false;
                }
                synchronized (lock) {
                    long now = observedTime();
                    if (deadline != Long.MAX_VALUE && now >= deadline) {
                        pe.timer.advanceTo(now);
                        return true;
                    }
                    if (allIdle()) {
                        long min = minIdleDeadline();
                        if (min != Long.MAX_VALUE && min > kernel.platform.machine.counter.highWater()) {
                            kernel.platform.machine.counter.publish(min);
                            lock.notifyAll();
                            continue;
                        }
                        // Every vCPU waits, none has a timer armed and this one has nothing pending (an idle vCPU
                        // with a pending interrupt leaves its wait): only an event from outside can wake the VM.
                        kernel.platform.machine.setAsleepWithoutWakeSource(min == Long.MAX_VALUE);
                    }
                    try {
                        lock.wait(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
            }
        } finally {
            synchronized (lock) {
                s.idle = false;
                s.deadline = Long.MAX_VALUE;
                kernel.platform.machine.setAsleepWithoutWakeSource(false);
            }
            pe.timer.advanceTo(observedTime());
        }
    }

    /** A system event or CPU_OFF powered the vCPU off while it waited. */
    private boolean poweredOff(int vcpuId) {
        synchronized (vm) {
            KvmVcpu k = vm.vcpus.get(vcpuId);
            return k != null && k.mpState == KVM_MP_STATE_STOPPED;
        }
    }

    /** The latest time any vCPU of this VM has reached (racy reads of running PEs' counters are fine here). */
    long observedTime() {
        long t = kernel.platform.machine.counter.highWater();
        for (Slot o : slots.values()) {
            Cpu c = o.loadedOn;
            if (c != null && !o.idle) {
                t = Math.max(t, c.timer.localCount());
            }
        }
        return t;
    }

    /** True when no vCPU of the VM can advance time or wake another: all idle or powered off. */
    private boolean allIdle() {
        synchronized (vm) {
            for (KvmVcpu k : vm.vcpus.values()) {
                Slot o = slots.get(k.id);
                boolean idle = k.mpState == KVM_MP_STATE_STOPPED || (o != null && o.idle);
                if (!idle) {
                    return false;
                }
            }
        }
        return true;
    }

    private long minIdleDeadline() {
        long m = Long.MAX_VALUE;
        for (Slot o : slots.values()) {
            if (o.idle) {
                m = Math.min(m, o.deadline);
            }
        }
        return m;
    }

    /** Sleeps up to {@code millis} on the wait queue (a powered-off vCPU waiting for CPU_ON). */
    void sleep(long millis) throws InterruptedException {
        synchronized (lock) {
            lock.wait(millis);
        }
    }
}
