package dev.cca.kvm;

import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.FileObject;
import dev.cca.kvm.host.KernelObserver;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.IoctlNames;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.cca.kvm.uapi.KvmUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ioctl observer point of the host kernel, and the names traces give to request numbers. */
class KernelObserverTest {

    record Call(int fd, String file, long request, long arg, long result) {
    }

    @Test
    void observerSeesEveryIoctlWithItsFileAndRawResultIncludingErrors() {
        CcaHost host = CcaHost.boot(1, 64L << 20);
        Process p = host.kernel.newProcess();
        List<Call> calls = new ArrayList<>();
        KernelObserver o = (proc, fd, file, request, arg, result, start) -> {
            assertTrue(start <= System.nanoTime());
            calls.add(new Call(fd, file == null ? null : file.name(), request, arg, result));
        };
        host.kernel.addObserver(o);
        int kvm = p.open("/dev/kvm", Process.O_RDWR);
        assertEquals(KVM_API_VERSION, p.ioctl(kvm, KVM_GET_API_VERSION, 0));
        assertEquals(-Errno.EBADF, p.ioctl(99, KVM_GET_API_VERSION, 0));
        long vm = p.ioctl(kvm, KVM_CREATE_VM, KVM_VM_TYPE_ARM_REALM | 33);
        assertTrue(vm > 0);
        long vcpu = p.ioctl((int) vm, KVM_CREATE_VCPU, 0);
        assertEquals(-Errno.ENOEXEC, p.ioctl((int) vcpu, KVM_RUN, 0), "KVM_RUN before KVM_ARM_VCPU_INIT");
        host.kernel.removeObserver(o);
        p.ioctl(kvm, KVM_GET_API_VERSION, 0);

        assertEquals(5, calls.size(), calls.toString());
        assertEquals(new Call(kvm, "/dev/kvm", KVM_GET_API_VERSION, 0, KVM_API_VERSION), calls.get(0));
        assertEquals(new Call(99, null, KVM_GET_API_VERSION, 0, -Errno.EBADF), calls.get(1));
        assertEquals("anon_inode:kvm-vm", calls.get(3).file());
        assertEquals(new Call((int) vcpu, "anon_inode:kvm-vcpu:0", KVM_RUN, 0, -Errno.ENOEXEC), calls.get(4));
    }

    @Test
    void exitViewReadsOnlyVcpuFiles() {
        CcaHost host = CcaHost.boot(1, 64L << 20);
        Process p = host.kernel.newProcess();
        int kvm = p.open("/dev/kvm", Process.O_RDWR);
        int vm = (int) p.ioctl(kvm, KVM_CREATE_VM, KVM_VM_TYPE_ARM_REALM | 33);
        int vcpu = (int) p.ioctl(vm, KVM_CREATE_VCPU, 3);
        FileObject vcpuFile = p.file(vcpu);
        assertNull(KvmExitView.exitOf(p.file(vm)));
        assertEquals(3, KvmExitView.vcpuId(vcpuFile));
        KvmExitView.Exit e = KvmExitView.exitOf(vcpuFile);
        assertEquals(KVM_EXIT_UNKNOWN, e.reason(), "a fresh kvm_run is zeroed");
        assertEquals("KVM_EXIT_UNKNOWN", e.reasonName());
    }

    @Test
    void requestNamesComeFromTheUapiConstants() {
        assertEquals("KVM_RUN", IoctlNames.name(KVM_RUN));
        assertEquals("KVM_ARM_RMI_POPULATE", IoctlNames.name(KVM_ARM_RMI_POPULATE));
        assertEquals("KVM_ARM_RMI_POPULATE_IOWR", IoctlNames.name(KVM_ARM_RMI_POPULATE_IOWR));
        assertEquals("KVM_SET_ONE_REG", IoctlNames.name(KVM_SET_ONE_REG));
        assertEquals("_IOW(0xae, 0x7f, 16)", IoctlNames.name(dev.cca.kvm.uapi.Ioctl.iow(KVMIO, 0x7f, 16)));
        assertEquals("_IO(0x12, 0x34)", IoctlNames.name(0x1234));
    }
}
