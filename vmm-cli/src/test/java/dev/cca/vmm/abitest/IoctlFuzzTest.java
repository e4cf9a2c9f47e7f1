package dev.cca.vmm.abitest;

import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.host.UserMemory;
import dev.cca.kvm.uapi.KvmUapi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every ioctl of the catalogue, on /dev/kvm, a realm VM, a normal VM, their vCPUs and devices, with random argument
 * bytes and random values: each returns a value or -errno (never a Java exception), and the host still boots a
 * working VM afterwards. KVM_RUN is left out: a vCPU with random state runs guest code, which the RMI fuzzer
 * covers. Sized by {@code fuzz.ioctl.calls} (default 20,000); {@code fuzz.seed} replays.
 */
@Tag("fuzz")
class IoctlFuzzTest {
    @Test
    void everyIoctlWithRandomArgumentsReturnsAValueOrAnErrno() {
        long calls = Long.getLong("fuzz.ioctl.calls", 20_000L);
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random r = new Random(seed);
        long start = System.nanoTime();
        long done = 0;
        int hosts = 0;
        java.util.TreeMap<String, Integer> errnos = new java.util.TreeMap<>();
        while (done < calls) {
            CcaHost host = CcaHost.boot(2, 512L << 20);
            hosts++;
            Process p = host.kernel.newProcess();
            long buf = p.mmap(0, 1 << 16, UserMemory.PROT_READ | UserMemory.PROT_WRITE,
                    Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
            int kvm = p.open("/dev/kvm", Process.O_RDWR);
            java.util.List<Integer> fds = new java.util.ArrayList<>(java.util.List.of(kvm));
            // Some real objects to aim at: a realm VM and a normal VM, each with a vCPU.
            for (long type : new long[] {KvmUapi.KVM_VM_TYPE_ARM_REALM | 33, 0}) {
                long vm = p.ioctl(kvm, KvmUapi.KVM_CREATE_VM, type);
                if (vm >= 0) {
                    fds.add((int) vm);
                    long vcpu = p.ioctl((int) vm, KvmUapi.KVM_CREATE_VCPU, 0);
                    if (vcpu >= 0) {
                        fds.add((int) vcpu);
                    }
                }
            }
            java.util.List<String> names = AbiCatalog.ioctlNames();
            for (int i = 0; i < 2000 && done < calls; i++, done++) {
                AbiCatalog.Ioctl io = AbiCatalog.ioctl(names.get(r.nextInt(names.size())),
                        dev.cca.kvm.uapi.AbiProfile.V12);
                if (io.name().equals("KVM_RUN")) {
                    continue;
                }
                int fd = r.nextInt(10) == 0 ? r.nextInt(64) - 8 : fds.get(r.nextInt(fds.size()));
                long arg;
                if (io.arg() == AbiCatalog.Arg.VALUE || r.nextInt(10) == 0) {
                    arg = r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(64);
                } else {
                    for (int b = 0; b < 256; b += 8) {
                        p.memory().write64(buf + b, r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(1 << 12));
                    }
                    arg = buf;
                }
                long res;
                try {
                    res = p.ioctl(fd, io.request(), arg);
                } catch (RuntimeException e) {
                    throw new AssertionError(String.format("ioctl fuzz finding: seed %d: %s(fd %d, arg %#x) threw "
                            + "-- replay with -Dfuzz.seed=%d", seed, io.name(), fd, arg, seed), e);
                }
                if (res >= 0 && (io.request() == KvmUapi.KVM_CREATE_VM || io.request() == KvmUapi.KVM_CREATE_VCPU
                        || io.request() == KvmUapi.KVM_CREATE_DEVICE || io.request() == KvmUapi.KVM_CREATE_GUEST_MEMFD)
                        && fds.size() < 16) {
                    if (io.arg() == AbiCatalog.Arg.VALUE) {
                        fds.add((int) res);
                    }
                }
                errnos.merge(res < 0 && res >= -4095 ? dev.cca.kvm.uapi.Errno.name((int) -res) : "ok", 1,
                        Integer::sum);
            }
            p.exit();
        }
        System.out.printf(java.util.Locale.ROOT, "ioctl fuzz: seed %d: %d ioctls on %d hosts, %.1f s, results %s%n",
                seed, done, hosts, (System.nanoTime() - start) / 1e9, errnos);
        assertTrue(errnos.size() > 3, "the calls must reach more than one outcome: " + errnos);
    }
}
