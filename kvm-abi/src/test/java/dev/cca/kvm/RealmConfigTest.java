package dev.cca.kvm;

import dev.cca.kvm.host.CcaHost;
import dev.cca.kvm.host.Process;
import dev.cca.kvm.uapi.AbiProfile;
import dev.cca.kvm.uapi.Errno;
import dev.cca.kvm.uapi.Structs;
import dev.cca.rmm.RmmInspector;
import org.junit.jupiter.api.Test;

import static dev.cca.kvm.uapi.KvmUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The realm-config profile's KVM_ENABLE_CAP(KVM_CAP_ARM_RMI, CONFIG_REALM): v8-v10's realm configuration, with
 * their errnos, reaching RMI_REALM_CREATE's parameters; the v12 profile refuses it as v12 does.
 */
class RealmConfigTest {
    /** A realm set up as RealmVmTest sets it up, on a host kernel of the given profile. */
    static RealmVmTest realm(AbiProfile profile) {
        RealmVmTest t = new RealmVmTest();
        t.host = CcaHost.boot(1, 256L << 20, profile);
        t.p = t.host.kernel.newProcess();
        t.scratch = t.p.mmap(0, 8192, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        t.setUpRealm();
        return t;
    }

    /** KVM_ENABLE_CAP(KVM_CAP_ARM_RMI, args[0], args[1] = a struct arm_rmi_config with cfg and value). */
    static long configure(RealmVmTest t, int fd, long action, int cfg, byte[] value) {
        long c = t.scratch + 4096;
        t.p.memory().clear(c, Structs.RMI_CONFIG_SIZE);
        t.p.memory().write32(c + Structs.RC_CFG, cfg);
        t.p.memory().writeBytes(c + Structs.RC_RPV, value, 0, value.length);
        long e = t.scratch + 3072;
        t.p.memory().clear(e, Structs.ENABLE_CAP_SIZE);
        t.p.memory().write32(e + Structs.EC_CAP, (int) KVM_CAP_ARM_RMI);
        t.p.memory().write64(e + Structs.EC_ARGS, action);
        t.p.memory().write64(e + Structs.EC_ARGS + 8, c);
        return t.ioctl(fd, KVM_ENABLE_CAP, e);
    }

    static byte[] u32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    private static RmmInspector.RealmInfo createdRealm(RealmVmTest t) {
        long src = t.p.mmap(0, 4096, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        assertEquals(4096, t.populate(RealmVmTest.RAM, 4096, src, KVM_ARM_RMI_POPULATE_FLAGS_MEASURE));
        RmmInspector rmm = t.host.firmware.inspector(0);
        return rmm.realm(rmm.realms().get(0));
    }

    @Test
    void sha512ChosenBeforeCreationMakesTheRealmMeasureWithSha512() {
        RealmVmTest t = realm(AbiProfile.REALM_CONFIG);
        assertEquals(0, configure(t, t.vm, KVM_CAP_ARM_RMI_CONFIG_REALM, ARM_RMI_CONFIG_HASH_ALGO,
                u32(ARM_RMI_CONFIG_HASH_ALGO_SHA512)));
        byte[] rpv = new byte[ARM_RMI_CONFIG_RPV_SIZE];
        for (int i = 0; i < rpv.length; i++) {
            rpv[i] = (byte) (0xA0 + i);
        }
        assertEquals(0, configure(t, t.vm, KVM_CAP_ARM_RMI_CONFIG_REALM, ARM_RMI_CONFIG_RPV, rpv));
        RmmInspector.RealmInfo r = createdRealm(t);
        assertEquals(1, r.hashAlgo(), "RmiRealmParams.hash_algo = SHA-512");
        assertEquals(128, r.rim().length(), "a 64-byte RIM");
    }

    @Test
    void withoutConfigurationTheRealmUsesSha256() {
        RealmVmTest t = realm(AbiProfile.REALM_CONFIG);
        RmmInspector.RealmInfo r = createdRealm(t);
        assertEquals(0, r.hashAlgo());
        assertEquals(64, r.rim().length());
    }

    @Test
    void configurationErrnosFollowV8() {
        RealmVmTest t = realm(AbiProfile.REALM_CONFIG);
        assertEquals(-Errno.EINVAL, configure(t, t.vm, 1, ARM_RMI_CONFIG_HASH_ALGO, u32(0)),
                "only CONFIG_REALM: v12 creates and activates the realm itself");
        assertEquals(-Errno.EINVAL, configure(t, t.vm, KVM_CAP_ARM_RMI_CONFIG_REALM, 2, u32(0)), "unknown cfg");
        assertEquals(-Errno.EINVAL, configure(t, t.vm, KVM_CAP_ARM_RMI_CONFIG_REALM, ARM_RMI_CONFIG_HASH_ALGO,
                u32(2)), "unknown hash algorithm");
        assertEquals(-Errno.EINVAL, configure(t, t.vcpu, KVM_CAP_ARM_RMI_CONFIG_REALM, ARM_RMI_CONFIG_HASH_ALGO,
                u32(0)), "a vCPU fd has no capabilities to enable");
        long e = t.scratch + 3072;
        t.p.memory().clear(e, Structs.ENABLE_CAP_SIZE);
        t.p.memory().write32(e + Structs.EC_CAP, (int) KVM_CAP_ARM_RMI);
        t.p.memory().write64(e + Structs.EC_ARGS + 8, 0x10);
        assertEquals(-Errno.EFAULT, t.ioctl(t.vm, KVM_ENABLE_CAP, e), "struct not readable");
        createdRealm(t);
        assertEquals(-Errno.EBUSY, configure(t, t.vm, KVM_CAP_ARM_RMI_CONFIG_REALM, ARM_RMI_CONFIG_HASH_ALGO,
                u32(ARM_RMI_CONFIG_HASH_ALGO_SHA512)), "the realm descriptor exists");
    }

    @Test
    void normalVmCannotBeConfigured() {
        RealmVmTest t = new RealmVmTest();
        t.host = CcaHost.boot(1, 256L << 20, AbiProfile.REALM_CONFIG);
        t.p = t.host.kernel.newProcess();
        t.scratch = t.p.mmap(0, 8192, 3, Process.MAP_PRIVATE | Process.MAP_ANONYMOUS, -1, 0);
        int kvm = t.p.open("/dev/kvm", Process.O_RDWR);
        t.vm = (int) t.ioctl(kvm, KVM_CREATE_VM, 0);
        assertEquals(-Errno.EINVAL, configure(t, t.vm, KVM_CAP_ARM_RMI_CONFIG_REALM, ARM_RMI_CONFIG_HASH_ALGO,
                u32(0)));
    }

    @Test
    void v12RefusesTheConfigurationAsTheV12PatchesDo() {
        RealmVmTest t = realm(AbiProfile.V12);
        assertEquals(-Errno.EINVAL, configure(t, t.vm, KVM_CAP_ARM_RMI_CONFIG_REALM, ARM_RMI_CONFIG_HASH_ALGO,
                u32(ARM_RMI_CONFIG_HASH_ALGO_SHA512)));
        assertEquals(0, createdRealm(t).hashAlgo());
    }
}
