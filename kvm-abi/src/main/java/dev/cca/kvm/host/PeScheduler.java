package dev.cca.kvm.host;

import dev.cca.core.cpu.Cpu;
import dev.cca.core.Machine;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Which host thread runs on which PE. Kernel code that issues SMCs or runs guests must own a PE for the time it
 * does so; a thread asks for one (preferring a given PE, as a vCPU thread prefers its own) and gives it back.
 * Leases nest: a thread that already owns a PE gets the same PE again.
 */
public final class PeScheduler {
    private final Machine machine;
    private final ReentrantLock[] locks;
    private final ThreadLocal<Integer> owned = new ThreadLocal<>();

    public PeScheduler(Machine machine) {
        this.machine = machine;
        locks = new ReentrantLock[machine.cpuCount()];
        retired = new boolean[machine.cpuCount()];
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /** A PE owned by the calling thread until {@link #close()}. */
    public final class Lease implements AutoCloseable {
        public final Cpu cpu;
        private final boolean nested;

        private Lease(Cpu cpu, boolean nested) {
            this.cpu = cpu;
            this.nested = nested;
        }

        @Override
        public void close() {
            if (!nested) {
                owned.remove();
                locks[cpu.index].unlock();
            } else {
                locks[cpu.index].unlock();
            }
        }
    }

    public Lease lease(int preferred) {
        Integer have = owned.get();
        if (have != null) {
            locks[have].lock();
            return new Lease(machine.cpu(have), true);
        }
        int n = locks.length;
        while (true) {
            int p = usable(Math.floorMod(preferred, n));
            for (int k = 0; k < n; k++) {
                int i = (p + k) % n;
                // retired[] is written by the lease holder before it unlocks: read it again once we hold the lock.
                if (!retired[i] && locks[i].tryLock()) {
                    if (!retired[i]) {
                        owned.set(i);
                        return new Lease(machine.cpu(i), false);
                    }
                    locks[i].unlock();
                }
            }
            locks[p].lock();
            if (!retired[p]) {
                owned.set(p);
                return new Lease(machine.cpu(p), false);
            }
            locks[p].unlock();
        }
    }

    /** The first PE from {@code p} on that is not retired. */
    private int usable(int p) {
        for (int k = 0; k < retired.length; k++) {
            int i = (p + k) % retired.length;
            if (!retired[i]) {
                return i;
            }
        }
        throw new IllegalStateException("every PE of the machine has stopped (see their stop reports)");
    }

    private final boolean[] retired;

    /**
     * Takes a PE out of service for good: it stopped where the host cannot take it back (an exception loop or an
     * emulator failure inside a guest, {@code Cpu.stopReport()}), so no later lease may run anything on it.
     */
    public void retire(Cpu cpu) {
        retired[cpu.index] = true;
    }

    public boolean retired(Cpu cpu) {
        return retired[cpu.index];
    }

    /** Whether no PE is left to run anything (every one stopped inside a guest). */
    public boolean allRetired() {
        for (boolean r : retired) {
            if (!r) {
                return false;
            }
        }
        return true;
    }
}
