package dev.cca.vmm;

import dev.cca.kvm.host.CcaHost;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class LibcTest {
    /**
     * vCPU threads build ioctl structs (PSCI completion, KVM_GET_ONE_REG) while other threads build theirs: with one
     * scratch page for the process, a realm's user-space PSCI on 4 vCPUs read another thread's MPIDR and completed
     * the wrong call (about 1 run in 6).
     */
    @Test
    void eachThreadBuildsItsStructsInAScratchPageOfItsOwn() throws InterruptedException {
        CcaHost host = CcaHost.boot(1, 256L << 20);
        Libc libc = new Libc(host.kernel.newProcess());
        long mine = libc.struct(16);
        assertEquals(mine, libc.struct(16), "one thread reuses its own page");
        AtomicLong other = new AtomicLong();
        AtomicLong other2 = new AtomicLong();
        Thread t = new Thread(() -> {
            other.set(libc.struct(16));
            other2.set(libc.struct2(16));
        });
        t.start();
        t.join();
        assertNotEquals(mine, other.get());
        assertNotEquals(libc.struct2(16), other2.get());
    }
}
