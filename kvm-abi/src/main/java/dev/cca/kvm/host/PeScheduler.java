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
        int p = Math.floorMod(preferred, n);
        for (int k = 0; k < n; k++) {
            int i = (p + k) % n;
            if (locks[i].tryLock()) {
                owned.set(i);
                return new Lease(machine.cpu(i), false);
            }
        }
        locks[p].lock();
        owned.set(p);
        return new Lease(machine.cpu(p), false);
    }
}
