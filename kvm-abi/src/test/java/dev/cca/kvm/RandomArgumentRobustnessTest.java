package dev.cca.kvm;

import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Ioctl;
import dev.cca.kvm.uapi.KvmUapi;
import dev.cca.kvm.uapi.Structs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static dev.cca.kvm.uapi.KvmUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random bytes as the argument of every ioctl, on every kind of file, in every realm lifecycle state: the layer
 * never throws, answers a result or an errno the kernel could give, and a call that fails leaves the VM as it
 * was, with the kernel's two documented exceptions:
 * <ul>
 *   <li>KVM_ARM_RMI_POPULATE creates the realm descriptor (realm_ensure_created) before it looks at memslots,
 *       so a populate that then fails leaves the realm in state NEW;</li>
 *   <li>KVM_CREATE_DEVICE installs the device's fd before it copies the struct back, so an EFAULT from that copy
 *       leaves the device created.</li>
 * </ul>
 * KVM_RUN with argument 0 runs the guest and is not a random-argument target; every other argument is EINVAL.
 */
class RandomArgumentRobustnessTest {
    static final long RAM = 0x4000_0000L;
    static final long RAM_SIZE = 1L << 20;
    static final Set<Integer> KNOWN_ERRNOS = Set.of(Errno.EPERM, Errno.ENOENT, Errno.EINTR, Errno.EIO, Errno.ENXIO,
            Errno.E2BIG, Errno.ENOEXEC, Errno.EBADF, Errno.ENOMEM, Errno.EFAULT, Errno.EBUSY, Errno.EEXIST,
            Errno.ENODEV, Errno.EINVAL, Errno.ENOTTY, Errno.ENOSPC, Errno.EOPNOTSUPP);

    /** Every request number the model knows (public static final long fields of KvmUapi named KVM_...). */
    static List<Long> knownRequests() {
        List<Long> out = new ArrayList<>();
        for (Field f : KvmUapi.class.getFields()) {
            if (f.getType() == long.class && Modifier.isStatic(f.getModifiers()) && f.getName().startsWith("KVM_")) {
                try {
                    long v = f.getLong(null);
                    if (Ioctl.type(v) == KVMIO && (v >>> 32) == 0 && v > 0xFF) {
                        out.add(v);
                    }
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return out;
    }

    CcaHost host;
    Process p;
    long scratch;
    long code;
    Random rnd;
    /** Errnos and successes seen, to check the random calls reach past the first checks. */
    final java.util.Set<Integer> seen = new java.util.TreeSet<>();
    int successes;

    long ioctl(int fd, long req, long arg) {
        return p.ioctl(fd, req, arg);
    }

    /** The lifecycle stages the random calls hit. */
    enum Stage { NORMAL_VM, FRESH_REALM, CONFIGURED_REALM, POPULATED_REALM, ACTIVE_REALM }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void randomArgumentsNeverCrashAndFailedCallsChangeNothing(long seed) {
        for (Stage stage : Stage.values()) {
            host = CcaHost.boot(1, 256L << 20);
            p = host.kernel.newProcess();
            scratch = p.mmap(0, 8192, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
            code = p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
            rnd = new Random(seed * 31 + stage.ordinal());
            Fds fds = setUp(stage);
            hammer(stage, fds, 1500);
            p.exit();
        }
        // A test that only ever hit EBADF would prove little: the calls must reach many different checks.
        assertTrue(seen.size() >= 8, "errnos seen: " + seen);
        assertTrue(successes > 50, "successful calls: " + successes);
    }

    record Fds(int kvm, int vm, int vcpu, int gmem, int gic) {
        int[] all() {
            return new int[] {kvm, vm, vcpu, gmem, gic, 77, -1};
        }
    }

    private Fds setUp(Stage stage) {
        int kvm = p.open("/dev/kvm", Process.O_RDWR);
        if (stage == Stage.NORMAL_VM) {
            int vm = (int) ioctl(kvm, KVM_CREATE_VM, 0);
            int vcpu = (int) ioctl(vm, KVM_CREATE_VCPU, 0);
            return new Fds(kvm, vm, vcpu, -5, -6);
        }
        int vm = (int) ioctl(kvm, KVM_CREATE_VM, KVM_VM_TYPE_ARM_REALM | 33);
        assertTrue(vm > 0);
        if (stage == Stage.FRESH_REALM) {
            return new Fds(kvm, vm, -4, -5, -6);
        }
        long s = scratch;
        p.memory().clear(s, 64);
        p.memory().write64(s, RAM_SIZE);
        int gmem = (int) ioctl(vm, KVM_CREATE_GUEST_MEMFD, s);
        p.memory().clear(s, Structs.MEMORY_REGION2_SIZE);
        p.memory().write32(s + Structs.MR2_FLAGS, KVM_MEM_GUEST_MEMFD);
        p.memory().write64(s + Structs.MR2_GUEST_PHYS_ADDR, RAM);
        p.memory().write64(s + Structs.MR2_MEMORY_SIZE, RAM_SIZE);
        p.memory().write32(s + Structs.MR2_GUEST_MEMFD, gmem);
        assertEquals(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION2, s));
        p.memory().clear(s, 32);
        p.memory().write64(s + Structs.MA_ADDRESS, RAM);
        p.memory().write64(s + Structs.MA_SIZE, RAM_SIZE);
        p.memory().write64(s + Structs.MA_ATTRIBUTES, KVM_MEMORY_ATTRIBUTE_PRIVATE);
        assertEquals(0, ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, s));
        int vcpu = (int) ioctl(vm, KVM_CREATE_VCPU, 0);
        p.memory().clear(s, 32);
        p.memory().write32(s + Structs.VI_TARGET, KVM_ARM_TARGET_GENERIC_V8);
        p.memory().write32(s + Structs.VI_FEATURES, 1 << KVM_ARM_VCPU_PSCI_0_2);
        assertEquals(0, ioctl(vcpu, KVM_ARM_VCPU_INIT, s));
        p.memory().clear(s, 12);
        p.memory().write32(s + Structs.CD_TYPE, KVM_DEV_TYPE_ARM_VGIC_V3);
        assertEquals(0, ioctl(vm, KVM_CREATE_DEVICE, s));
        int gic = p.memory().read32(s + Structs.CD_FD);
        setAttr(gic, KVM_VGIC_V3_ADDR_TYPE_DIST, 0x0800_0000L);
        setAttr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x080A_0000L);
        p.memory().write64(s + 256, RAM);
        p.memory().write64(s + Structs.OR_ID, REG_PC);
        p.memory().write64(s + Structs.OR_ADDR, s + 256);
        assertEquals(0, ioctl(vcpu, KVM_SET_ONE_REG, s));
        if (stage == Stage.CONFIGURED_REALM) {
            return new Fds(kvm, vm, vcpu, gmem, gic);
        }
        for (int i = 0; i < RealmVmTest.PROGRAM.length; i++) {
            p.memory().write32(code + 4L * i, RealmVmTest.PROGRAM[i]);
        }
        p.memory().clear(s, 32);
        p.memory().write64(s + Structs.POP_BASE, RAM);
        p.memory().write64(s + Structs.POP_SIZE, 4096);
        p.memory().write64(s + Structs.POP_SOURCE_UADDR, code);
        p.memory().write32(s + Structs.POP_FLAGS, KVM_ARM_RMI_POPULATE_FLAGS_MEASURE);
        assertEquals(4096, ioctl(vm, KVM_ARM_RMI_POPULATE, s));
        if (stage == Stage.POPULATED_REALM) {
            return new Fds(kvm, vm, vcpu, gmem, gic);
        }
        assertEquals(0, ioctl(vcpu, KVM_RUN, 0)); // runs to the first MMIO exit
        return new Fds(kvm, vm, vcpu, gmem, gic);
    }

    private void setAttr(int gic, long attr, long value) {
        long a = scratch + 512;
        p.memory().write64(scratch + 1024, value);
        p.memory().clear(a, Structs.DEVICE_ATTR_SIZE);
        p.memory().write32(a + Structs.DA_GROUP, KVM_DEV_ARM_VGIC_GRP_ADDR);
        p.memory().write64(a + Structs.DA_ATTR, attr);
        p.memory().write64(a + Structs.DA_ADDR, scratch + 1024);
        assertEquals(0, ioctl(gic, KVM_SET_DEVICE_ATTR, a));
    }

    /** A word biased towards values that reach deep checks: small numbers, valid pointers, aligned addresses. */
    private long interestingWord(Fds fds) {
        switch (rnd.nextInt(10)) {
            case 0: return 0;
            case 1: return rnd.nextInt(16);
            case 2: return scratch + 8L * rnd.nextInt(64);
            case 3: return code;
            case 4: return RAM + 4096L * rnd.nextInt(300);
            case 5: return 4096L * rnd.nextInt(1 << 20);
            case 6: return fds.all()[rnd.nextInt(5)];
            case 7: return 0x1000; // unmapped
            case 8: return rnd.nextInt(2) == 0 ? -1L : Long.MIN_VALUE;
            default: return rnd.nextLong();
        }
    }

    private void hammer(Stage stage, Fds fds, int calls) {
        List<Long> requests = knownRequests();
        requests.remove(KVM_RUN);
        KvmVm vm = p.file(fds.vm()) instanceof KvmVm ? (KvmVm) p.file(fds.vm()) : null;
        for (int i = 0; i < calls; i++) {
            int[] all = fds.all();
            int fd = all[rnd.nextInt(all.length)];
            long req;
            int pick = rnd.nextInt(20);
            if (pick == 0) {
                req = rnd.nextLong() & 0xFFFF_FFFFL;
            } else if (pick == 1) {
                req = KVM_RUN;
            } else {
                req = requests.get(rnd.nextInt(requests.size()));
            }
            // The argument: a pointer to random struct bytes (usually), or a random value.
            long arg;
            for (int w = 0; w < 8192 / 8; w++) {
                p.memory().write64(scratch + 8L * w, rnd.nextInt(3) == 0 ? interestingWord(fds) : rnd.nextLong());
            }
            if (req == KVM_RUN) {
                arg = 1 + rnd.nextInt(1000); // a non-zero KVM_RUN argument is EINVAL
            } else {
                arg = rnd.nextInt(4) == 0 ? interestingWord(fds) : scratch + 8L * rnd.nextInt(8);
            }
            String before = vm == null ? "" : vm.abiState();
            long r;
            try {
                r = ioctl(fd, req, arg);
            } catch (RuntimeException e) {
                throw new AssertionError(String.format("%s: ioctl(%d, %#x, %#x) threw", stage, fd, req, arg), e);
            }
            if (r >= 0) {
                successes++;
            }
            if (r < 0) {
                int errno = (int) -r;
                seen.add(errno);
                if (!KNOWN_ERRNOS.contains(errno)) {
                    fail(String.format("%s: ioctl(%d, %#x, %#x) returned %d, not an errno the kernel gives", stage,
                            fd, req, arg, r));
                }
                String after = vm == null ? "" : vm.abiState();
                if (!before.equals(after) && !documentedSideEffect(req, errno, before, after)) {
                    fail(String.format("%s: ioctl(%d, %#x, %#x) failed with %s but changed the VM:%n--- before%n%s"
                            + "--- after%n%s", stage, fd, req, arg, Errno.name(errno), before, after));
                }
            }
        }
    }

    private static boolean documentedSideEffect(long req, int errno, String before, String after) {
        if (req == KVM_ARM_RMI_POPULATE || req == KVM_ARM_RMI_POPULATE_IOWR) {
            return before.replace("state=NONE", "state=NEW").equals(after);
        }
        return req == KVM_CREATE_DEVICE && errno == Errno.EFAULT && before.contains("vgic=-")
                && !after.contains("vgic=-");
    }
}
