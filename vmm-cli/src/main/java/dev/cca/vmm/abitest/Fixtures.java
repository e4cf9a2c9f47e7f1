package dev.cca.vmm.abitest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

import static dev.cca.kvm.uapi.KvmUapi.*;

/**
 * The standard set-ups of docs/abi-scenarios.md ("Fixtures"): {@code realm} and {@code normal}, expanded into the
 * ioctl steps a VMM makes (JSON steps, parsed and run like a scenario's own). Names are bound with the optional
 * "prefix". Expanding checks the fixture's values; running is the runner's.
 */
final class Fixtures {
    private Fixtures() {
    }

    /** Fixture bounds: what a host of a scenario (at most 8 PEs, 4 GiB) can hold. */
    static final int MAX_FIXTURE_VCPUS = 64;

    /** Evaluates a number of the fixture, with its default when absent. */
    @FunctionalInterface
    interface Eval {
        long eval(JsonNode n, long dflt, String where);
    }

    /**
     * A fixture expanded: its set-up steps, and with a program the populate (realm) and set-PC steps that follow
     * writing it at "code". {@code where} names the fixture in messages ("step 1 (fixture realm)").
     */
    record Expansion(String where, boolean realm, String prefix, long ram, List<ObjectNode> setUp) {
        ObjectNode populate(long bytes) {
            ObjectNode pop = obj("ioctl", "KVM_ARM_RMI_POPULATE").put("fd", prefix + "vm");
            pop.putObject("struct").put("base", ram).put("size", bytes).put("source_uaddr", "$" + prefix + "code")
                    .put("flags", KVM_ARM_RMI_POPULATE_FLAGS_MEASURE);
            return pop;
        }

        ObjectNode setPc() {
            ObjectNode pc = obj("ioctl", "KVM_SET_ONE_REG").put("fd", prefix + "vcpu0");
            pc.putObject("struct").put("id", REG_PC).putObject("addr").put("u64", ram);
            return pc;
        }
    }

    static Expansion expand(Step.Fixture fx, String at, Eval num) {
        String kind = String.valueOf(fx.fixture());
        String pre = fx.prefix() != null ? fx.prefix() : "";
        String w = at + " (fixture " + kind + ")";
        if (!kind.equals("realm") && !kind.equals("normal")) {
            throw new ScenarioException(at + ": unknown fixture '" + kind + "' (realm, normal)");
        }
        boolean realm = kind.equals("realm");
        long ipa = num.eval(fx.ipaBits(), realm ? 33 : 0, w + ".ipa_bits");
        long ram = num.eval(fx.ram(), ScenarioRunner.RAM_DEFAULT, w + ".ram");
        long ramSize = num.eval(fx.ramSize(), 1L << 20, w + ".ram_size");
        long vcpuCount = num.eval(fx.vcpus(), 1, w + ".vcpus");
        if (vcpuCount < 1 || vcpuCount > MAX_FIXTURE_VCPUS) {
            throw new ScenarioException(w + ".vcpus: must be 1.." + MAX_FIXTURE_VCPUS + ", was " + vcpuCount);
        }
        int vcpus = (int) vcpuCount;
        if (ramSize <= 0 || (ramSize & 0xFFF) != 0) {
            throw new ScenarioException(w + ".ram_size: must be a positive multiple of 4096, was " + ramSize);
        }
        if ((ram & 0xFFF) != 0) {
            throw new ScenarioException(w + ".ram: must be 4096-byte aligned, was " + StepCheck.fmt(ram));
        }
        boolean gic = fx.gic() == null || fx.gic();
        List<ObjectNode> steps = new ArrayList<>();
        steps.add(obj("open", "/dev/kvm").put("as", pre + "kvm"));
        steps.add(obj("ioctl", "KVM_CREATE_VM").put("fd", pre + "kvm")
                .put("arg", (realm ? KVM_VM_TYPE_ARM_REALM : 0) | ipa).put("as", pre + "vm"));
        boolean sharedBacking = Boolean.TRUE.equals(fx.sharedBacking());
        if (sharedBacking) {
            ObjectNode sm = obj("mmap", null).put("as", pre + "shared");
            sm.putObject("mmap").put("size", ramSize);
            steps.add(sm);
        }
        if (realm) {
            ObjectNode g = obj("ioctl", "KVM_CREATE_GUEST_MEMFD").put("fd", pre + "vm").put("as", pre + "gmem");
            g.putObject("struct").put("size", ramSize);
            steps.add(g);
            ObjectNode m = obj("ioctl", "KVM_SET_USER_MEMORY_REGION2").put("fd", pre + "vm");
            ObjectNode ms = m.putObject("struct").put("flags", KVM_MEM_GUEST_MEMFD).put("guest_phys_addr", ram)
                    .put("memory_size", ramSize).put("guest_memfd", "$" + pre + "gmem");
            if (sharedBacking) {
                ms.put("userspace_addr", "$" + pre + "shared"); // the memory a shared (unprotected) access maps
            }
            steps.add(m);
            ObjectNode attrs = obj("ioctl", "KVM_SET_MEMORY_ATTRIBUTES").put("fd", pre + "vm");
            attrs.putObject("struct").put("address", ram).put("size", ramSize)
                    .put("attributes", KVM_MEMORY_ATTRIBUTE_PRIVATE);
            steps.add(attrs);
        }
        for (int i = 0; i < vcpus; i++) {
            steps.add(obj("ioctl", "KVM_CREATE_VCPU").put("fd", pre + "vm").put("arg", i).put("as", pre + "vcpu" + i));
            ObjectNode init = obj("ioctl", "KVM_ARM_VCPU_INIT").put("fd", pre + "vcpu" + i);
            long features = (1L << KVM_ARM_VCPU_PSCI_0_2) | (i > 0 ? 1L << KVM_ARM_VCPU_POWER_OFF : 0);
            init.putObject("struct").put("target", KVM_ARM_TARGET_GENERIC_V8).putArray("features").add(features);
            steps.add(init);
        }
        if (gic) {
            ObjectNode cd = obj("ioctl", "KVM_CREATE_DEVICE").put("fd", pre + "vm");
            cd.putObject("struct").put("type", KVM_DEV_TYPE_ARM_VGIC_V3);
            cd.putObject("save").put(pre + "gic", "fd");
            steps.add(cd);
            steps.add(attr(pre + "gic", KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, 0x0800_0000L));
            steps.add(attr(pre + "gic", KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x080A_0000L));
            steps.add(attr(pre + "gic", KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0));
        }
        ObjectNode mm = obj("mmap", null).put("as", pre + "code");
        mm.putObject("mmap").put("size", realm ? 0x20000 : ramSize);
        steps.add(mm);
        if (!realm) {
            // A normal VM's RAM is the "code" mapping itself, in memslot 0.
            ObjectNode m = obj("ioctl", "KVM_SET_USER_MEMORY_REGION2").put("fd", pre + "vm");
            m.putObject("struct").put("guest_phys_addr", ram).put("memory_size", ramSize)
                    .put("userspace_addr", "$" + pre + "code");
            steps.add(m);
        }
        return new Expansion(w, realm, pre, ram, steps);
    }

    private static ObjectNode obj(String key, String value) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        if (value != null) {
            n.put(key, value);
        }
        return n;
    }

    private static ObjectNode attr(String fd, int group, long attr, long value) {
        ObjectNode a = obj("ioctl", "KVM_SET_DEVICE_ATTR").put("fd", fd);
        ObjectNode s = a.putObject("struct").put("group", group).put("attr", attr);
        s.putObject("addr").put("u64", value);
        return a;
    }

}
